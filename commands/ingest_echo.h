// What an ingest answers with when a dialect shows the event itself (Ingested::events): the
// writer's decision, not a later read, so a committed write always has an answer.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "commands/command.h"
#include "eventlog/log.capnp.h"
#include "eventlog/log_events.h"

namespace eventsd {

// The stored event with this id, as the deciding transaction sees it.
using StoredLookup = std::function<std::optional<StoredEvent>(std::string_view id)>;

// Fills result.events from result.ids and result.created: an event created by this command is
// taken from `recorded` (the command's fact, created events in request order); a duplicate of an
// event earlier in the request repeats it; any other duplicate is looked up with `stored`. A
// duplicate that `stored` cannot find is a bug (std::logic_error): the decider just found it.
void echo_events(Ingested& result, capnp::List<schema::Event>::Reader recorded, const StoredLookup& stored);

}  // namespace eventsd

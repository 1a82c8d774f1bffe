// History for auditors: which log records touched an event. Answered from rm_audit (a key per
// event and record that changed it, valued with the event's sequence number, whose upper bits are
// the position of its ingestion) and rm_ids, so it costs one seek and one log read per record,
// however long the log.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "eventlog/lmdb.h"
#include "eventlog/log.capnp.h"
#include "projections/read_models.h"

namespace eventsd {

// Calls visit(position, record) for every record that touched the event `id` of the tenant —
// its ingest, a burst that regrouped it, merges that moved it, its deletion, the retention that
// purged it — oldest first. Returns how many there were.
std::size_t audit_event(const ReadView& view, std::uint32_t tno,
                        std::string_view id,
                        const std::function<void(std::uint64_t, schema::LogRecord::Reader)>& visit);

}  // namespace eventsd

// Rendering shared by the native API's handlers: events (seed 001's shape, enriched with the
// contact and company), leads, the position a write reached.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "commands/command.h"
#include "commands/event_input.h"
#include "http/api/api.h"
#include "common/json_writer.h"
#include "projections/contacts.h"
#include "projections/stored_event.h"

namespace eventsd::http {

// Looks contacts and their companies up inside one snapshot, once per contact.
class Enricher {
 public:
  struct Enrichment {
    std::optional<ContactProfile> profile;
    std::optional<Company> company;
  };
  Enricher(const ReadView& view, std::uint32_t tno) : view_(view), tno_(tno) {}
  const Enrichment& lookup(const std::string& contact_id);

 private:
  ReadView view_;
  std::uint32_t tno_;
  std::map<std::string, Enrichment> cache_;
};

// An event as seed 001 lists it (`full`: plus every other field, as GET /v1/events/{id} has it).
// `enricher` may be null (then contact and company are null).
void write_native_event(JsonWriter& w, const StoredEvent& e, Enricher* enricher, bool full);
// {id, event, timestamp, url, contact_id}
void write_summary_event(JsonWriter& w, const StoredEvent& e);
void write_lead(JsonWriter& w, const Lead& lead);

// The header that tells a writer the log position its write reached (min_position reads it back).
Response with_position(Response response, std::uint64_t position);

// Ingest as every dialect that answers {"status":"success","ids":[...]} does it: validate the
// body with the dialect's field names, submit, answer 201.
boost::asio::awaitable<Reply> ingest_events(App& app, Request& req, FieldNames names);

}  // namespace eventsd::http

// Log records as JSON: the line format of `eventctl dump`, `eventctl audit` and
// GET /v1/audit/events/{id}, and what `eventctl import` reads back.
//
//   {"position":7,"recorded_at":"2026-04-29T11:23:45.120Z","tenant":"acme","actor":"tok_…",
//    "kind":"events_ingested","prev_hash":"…","fact":{…}}
//
// kind is the fact's name in snake case (events_ingested, events_deleted, contact_upserted,
// retention_applied, contacts_merged, suppression_rules_set, scoring_rules_set). Events use the
// canonical field names of the native API (docs/api.md, "Ingest"); fields that are not set are left out.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/json_writer.h"
#include "eventlog/log.capnp.h"

namespace eventsd {

const char* fact_kind(schema::LogRecord::Fact::Which which);

void write_event_json(JsonWriter& w, schema::Event::Reader e);

// `keep_event`, when given, selects which events of an events_ingested fact are written (an
// audit shows the events it is about); the fact then also says how many the record holds.
void write_record_json(JsonWriter& w, std::uint64_t position, schema::LogRecord::Reader record,
                       const std::function<bool(schema::Event::Reader)>& keep_event = {});

}  // namespace eventsd

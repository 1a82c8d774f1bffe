// The streamed bodies every dialect shares (http/api/streams.cpp): the live event stream (SSE) and
// the export, each parametrized by how the dialect writes an event.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/json_writer.h"
#include "http/api/api.h"
#include "http/api/render.h"
#include "projections/event_queries.h"

namespace eventsd::http {

// Writes one event as a dialect shows it, as a JSON value.
using EventWriter = void (*)(JsonWriter& w, const StoredEvent& e, Enricher& enricher);

// Server-Sent Events of the tenant's newly committed events (of `event_type` only, when set),
// each message {"position": N, "events": [...]} with `id:` the log position; resumes after the
// Last-Event-ID header or the last_event_id parameter. Throws ApiError for a bad position, or
// 503 when streams are off or full.
// The stream lives as long as the credential that opened it (req.credential): at most every second
// of the server's clock, and at least once a second of real time, it asks again
// (http/api/credential.h); once the credential no longer holds it sends a last message,
// `event: revoked` with the error body of `dialect` whose code is the reason, and ends.
Reply event_stream(App& app, const Request& req, Dialect dialect, std::optional<std::string> event_type,
                   EventWriter write);

// How an export body is made: its media type, file name, the bytes before the first event (a
// CSV header row) and how one event is appended.
struct ExportShape {
  const char* content_type = "";
  const char* filename = "";
  std::string header;
  void (*row)(std::string& out, const StoredEvent& e, Enricher& enricher) = nullptr;
};

// Every event `request` matches (its filter and order; paging is the export's own), streamed in
// pages of short snapshots.
Reply event_export(App& app, std::string tenant, ListRequest request, ExportShape shape);

// Appends one CSV field, quoted as RFC 4180 asks when it holds a comma, quote, CR or LF.
void csv_field(std::string& out, std::string_view value);

}  // namespace eventsd::http

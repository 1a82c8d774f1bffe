// Bodies that are streamed (docs/api.md, "Streams and exports"): Server-Sent Events of newly
// committed events, and exports of every matching event.
// Both read the store in short snapshots, one piece at a time, and produce the next piece only
// after the client took the last one: memory stays flat however large the export or however slow
// the reader.
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>


#include "http/api/streams.h"

#include <algorithm>
#include <chrono>

#include "common/json_writer.h"
#include "common/parse.h"
#include "engine/commit_broadcaster.h"
#include "http/api/filters.h"
#include "http/api/render.h"
#include "http/api/view.h"
#include "projections/event_queries.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

constexpr unsigned kStreamRetryAfter = 5;  // seconds a refused stream client is asked to wait
constexpr std::size_t kStreamPiece = 256 * 1024;  // bytes of events per piece, at most
constexpr std::size_t kStreamScan = 10'000;        // log records looked at per snapshot, at most
constexpr auto kHeartbeat = std::chrono::seconds(15);
// How often, on the server's clock, a stream asks again whether its credential holds; it also
// wakes at least this often (of real time) to do so.
constexpr Millis kCredentialCheck = 1000;
constexpr std::uint32_t kExportPage = 500;

// ------------------------------------------------------------------------------ SSE

struct StreamState {
  StreamState(App& app, CommitBroadcaster& commits, StreamSlots::Slot slot, const Request& req, Dialect dialect,
              std::optional<std::string> type, std::uint64_t from, EventWriter write)
      : app(app), commits(commits), slot(std::move(slot)), tenant(req.principal.tenant), credential(req.credential),
        dialect(dialect), event_type(std::move(type)), position(from), write(write),
        next_check(req.received_at + kCredentialCheck) {}
  App& app;
  CommitBroadcaster& commits;  // the tenant's engine's
  StreamSlots::Slot slot;  // held while the stream lives
  std::string tenant;
  Credential credential;  // what opened the stream, asked again while it runs
  Dialect dialect;        // of the final event
  std::optional<std::string> event_type;
  std::uint64_t position;  // the last log position looked at
  EventWriter write;
  Millis next_check;       // when, on the server's clock, the credential is asked again
  std::chrono::steady_clock::time_point last_sent = std::chrono::steady_clock::now();  // for heartbeats
  bool greeted = false;
  bool ended = false;  // the final event was sent

  // Why the credential no longer holds, when it is time to ask again and it does not.
  std::optional<CredentialEnd> credential_ended() {
    const Millis now = app.clock->now_millis();
    if (now < next_check) return std::nullopt;
    next_check = now + kCredentialCheck;
    return http::credential_ended(app, credential, now);
  }
  // How long to wait for a commit before asking again (at most kCredentialCheck, at least 1 ms).
  std::chrono::milliseconds until_check() const {
    const Millis left = next_check - app.clock->now_millis();
    return std::chrono::milliseconds(std::clamp<Millis>(left, 1, kCredentialCheck));
  }
};

// The stream's last message: `event: revoked`, its data the error body of the stream's dialect
// with the reason as its code.
std::string revoked_event(Dialect dialect, const CredentialEnd& end) {
  return "event: revoked\ndata: " + error_body(dialect, ApiError(401, end.reason, end.message + "; the stream ends")) +
         "\n\n";
}

// The SSE messages for the records after state.position, up to kStreamPiece bytes or
// kStreamScan records (a tenant with little traffic in a busy log must not hold a snapshot and
// an I/O thread for the whole log).
std::string read_messages(StreamState& s) {
  std::string out;
  TenantView view(s.app, s.tenant);
  const auto tno = view.tno();
  LogCursor cursor(view.read().log_txn, view.models().log());
  Enricher enricher(view.read(), tno.value_or(0));
  std::size_t scanned = 0;
  for (bool ok = cursor.seek(s.position + 1); ok && out.size() < kStreamPiece && scanned++ < kStreamScan;
       ok = cursor.next()) {
    s.position = cursor.position();
    RecordView view(cursor.bytes());
    const auto record = view.root();
    if (!tno || text_view(record.getTenant()) != s.tenant || !record.getFact().isEventsIngested()) continue;
    std::string data;
    JsonWriter w(data);
    w.begin_object().key("position").number(s.position).key("events").begin_array();
    std::size_t shown = 0;
    std::uint32_t index = 0;
    for (auto e : record.getFact().getEventsIngested().getEvents()) {
      const std::uint64_t seq = event_seq(s.position, index++);
      if (s.event_type && text_view(e.getEvent()) != *s.event_type) continue;
      s.write(w, to_stored_event(seq, EventView{e, {}}), enricher);
      ++shown;
    }
    w.end_array().end_object();
    if (shown == 0) continue;
    out.append("id: ").append(std::to_string(s.position)).append("\ndata: ").append(data).append("\n\n");
  }
  return out;
}

}  // namespace

Reply event_stream(App& app, const Request& req, Dialect dialect, std::optional<std::string> type,
                   EventWriter write) {
  CommitBroadcaster* commits = &app.engine(req.principal.tenant).commits;
  // Resume after the position the client saw last (header, or a parameter for clients that
  // cannot set headers); otherwise start with what is committed from now on.
  std::optional<std::string> last(req.query.get("last_event_id"));
  if (auto it = req.raw.find("Last-Event-ID"); it != req.raw.end()) last = std::string(it->value());
  std::uint64_t from = commits->head();
  if (last) {
    const auto v = parse_u64(*last);
    if (!v) throw bad_param("Last-Event-ID", "Last-Event-ID must be a log position (the id of an event)");
    if (*v > from) {
      throw bad_param("Last-Event-ID", "Last-Event-ID is beyond the last committed log position (" +
                                           std::to_string(from) + ")");
    }
    from = *v;
  }
  // Checked and taken in one step, so that concurrent opens never exceed either cap.
  auto taken = app.stream_slots.take(req.principal.tenant, app.options.max_streams,
                                       app.options.max_streams_per_tenant);
  if (!taken.slot) {
    ApiError busy(503, "overloaded", taken.refusal == StreamSlots::Refusal::tenant
                                         ? "too many open event streams for this tenant; retry later"
                                         : "too many open event streams; retry later");
    busy.retry_after = kStreamRetryAfter;
    throw busy;
  }
  auto state = std::make_shared<StreamState>(app, *commits, std::move(*taken.slot), req, dialect, std::move(type),
                                             from, write);
  Response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, "text/event-stream");
  head.set(bhttp::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  return Reply(std::move(head), [state]() -> asio::awaitable<std::optional<std::string>> {
    if (state->ended) co_return std::nullopt;
    if (!state->greeted) {
      state->greeted = true;
      co_return std::string("retry: 3000\n: stream of committed events\n\n");
    }
    for (;;) {
      if (state->commits.closed()) co_return std::nullopt;
      // Asked before anything more is sent: nothing is read for a caller who may no longer read.
      if (auto end = state->credential_ended()) {
        state->ended = true;
        co_return revoked_event(state->dialect, *end);
      }
      if (state->commits.head() > state->position) {
        std::string messages = read_messages(*state);
        if (!messages.empty()) {
          state->last_sent = std::chrono::steady_clock::now();
          co_return messages;
        }
        // Records of other tenants or types: look further, after letting other work run.
        co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        continue;
      }
      switch (co_await state->commits.wait_beyond(state->position, state->until_check())) {
        case CommitBroadcaster::Wake::closed: co_return std::nullopt;
        case CommitBroadcaster::Wake::timeout:
          if (std::chrono::steady_clock::now() - state->last_sent >= kHeartbeat) {
            state->last_sent = std::chrono::steady_clock::now();
            co_return std::string(": heartbeat\n\n");
          }
          break;
        case CommitBroadcaster::Wake::moved: break;
      }
    }
  });
}

// ------------------------------------------------------------------------------ export

// RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. A field that a
// spreadsheet would take for a formula (it begins with = + - @, a tab or a CR: OWASP's "CSV
// injection") is written with a leading apostrophe, inside quotes, so that it is shown as text.
// Bytes that are not UTF-8 (none are accepted today; older data may hold some) become U+FFFD, as
// in every JSON answer: the export is declared UTF-8.
void csv_field(std::string& out, std::string_view v) {
  const bool formula = !v.empty() && std::string_view("=+-@\t\r").find(v.front()) != std::string_view::npos;
  std::string repaired;
  if (!valid_utf8(v)) {
    repaired = to_valid_utf8(v);
    v = repaired;
  }
  if (!formula && v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  out.push_back('"');
  if (formula) out.push_back('\'');
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

namespace {

struct ExportState {
  App* app;
  std::string tenant;
  ListRequest request;
  ExportShape shape;
  bool started = false;
  bool finished = false;
};

}  // namespace

Reply event_export(App& app, std::string tenant, ListRequest request, ExportShape shape) {
  auto state = std::make_shared<ExportState>();
  state->app = &app;
  state->tenant = std::move(tenant);
  state->request = std::move(request);
  state->request.limit = kExportPage;
  state->request.count_total = false;
  state->shape = std::move(shape);
  Response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, state->shape.content_type);
  head.set(bhttp::field::content_disposition,
           "attachment; filename=\"" + std::string(state->shape.filename) + "\"");
  return Reply(std::move(head), [state]() -> asio::awaitable<std::optional<std::string>> {
    if (state->finished) co_return std::nullopt;
    std::string out;
    if (!state->started) out = state->shape.header;
    state->started = true;
    // One page per piece, each in its own short snapshot, continuing from the last event.
    TenantView view(*state->app, state->tenant);
    const auto tno = view.tno();
    ListResult page;
    if (tno) page = list_events(view.read(), *tno, state->request);
    Enricher enricher(view.read(), tno.value_or(0));
    for (const auto& e : page.events) state->shape.row(out, e, enricher);
    state->request.after = page.next;
    if (!page.next) state->finished = true;
    co_return out;
  });
}

}  // namespace eventsd::http

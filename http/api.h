// The pieces every handler shares: the request as handlers see it, the error type that turns
// into a dialect's JSON error, and the application objects a handler may use.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "commands/writer.h"
#include "eventlog/json_reader.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "eventlog/tokens.h"
#include "projections/projector.h"
#include "http/rate_limit.h"

namespace eventsd {
class SystemLog;
}

namespace eventsd::http {

namespace bhttp = boost::beast::http;
using RawRequest = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// The API family a route belongs to; it decides the shape of error bodies.
enum class Dialect {
  native,     // /v1/...: {"status":"error","error":{...}}
  org_unit,   // seeds 000/002: {"error":{...}}
  campaign,   // seed 003: {"error":{...}}, 401 invalid_key
  workspace,  // seed 004: {"error":{...}}
};

// A request the server answers with a 4xx/5xx. Thrown by handlers and parameter parsers and
// rendered at the router, so a bad request never escapes as anything but JSON.
struct ApiError : std::runtime_error {
  ApiError(unsigned status, std::string code, std::string message, std::string field = {})
      : std::runtime_error(message), status(status), code(std::move(code)),
        message(std::move(message)), field(std::move(field)) {}
  unsigned status;
  std::string code;
  std::string message;
  std::string field;
  std::optional<unsigned> retry_after;  // seconds, for 429
};

ApiError bad_param(std::string field, std::string message);
// 503 `overloaded` with Retry-After: the writer's queue is full.
ApiError overloaded();

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one per core
  std::chrono::milliseconds idle_timeout{30'000};   // waiting for the next request's first byte
  std::chrono::milliseconds read_timeout{30'000};   // one request, from its first byte to its last
  std::chrono::milliseconds write_timeout{30'000};  // a whole response
  std::size_t max_connections = 10'000;
  std::size_t max_streams = 1'000;            // event streams open at once, all tenants together
  std::size_t max_streams_per_tenant = 100;   // event streams open at once for one tenant
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024 * 1024;       // as sent, and again once decompressed
  // An answer sent before the request was read whole (413, 431, 400, 503 overloaded) is followed
  // by a lingering close: what the client still sends is read and discarded, up to these bounds,
  // so that its TCP stack does not turn the answer into a reset.
  std::chrono::milliseconds linger_time{5'000};
  std::size_t linger_bytes = 8 * 1024 * 1024;
  double rate_limit = 0;                  // requests per second per token; 0: no limit
  std::int64_t campaign_retention_days = 180;  // 0: keep campaign events forever
};

// Everything a handler may touch. Owned by main(); outlives the server.
class CommitBroadcaster;
class Metrics;
class Auth;

// One log with its writer and its read side: the whole store on a single node, one shard's
// replica in cluster mode (docs/cluster.md). A tenant's requests go to one engine (App::engine).
struct Engine {
  Store& store;           // the log's environment: the log and the write model
  const Log& log;
  Projector& projector;   // the read side: read handlers go through TenantView (view.h)
  Writer& writer;
  CommitBroadcaster* commits = nullptr;  // positions the read models reached; null: no stream
  // A replica of a log appended elsewhere too (cluster mode): a position beyond its head may
  // still arrive, so min_position waits for it rather than refusing it.
  bool replica = false;
};

// Cluster mode: which node decides a tenant's writes (docs/cluster.md). Null on a single node.
class WriteRouting {
 public:
  virtual ~WriteRouting() = default;
  // Whether this node decides the tenant's writes now.
  virtual bool decides(std::string_view tenant) const = 0;
  // The answer of the node that does to `raw`, relayed unchanged; a 503 in the request's dialect
  // when no node can be reached. Throws only std::bad_alloc.
  virtual boost::asio::awaitable<Response> forward(std::string_view tenant, const RawRequest& raw) = 0;
  // This node's name, and the node that owns shard `shard` as this node last saw it ("" when
  // none does).
  virtual const std::string& node() const = 0;
  virtual std::string owner(unsigned shard) const = 0;
  // The node that should own it (docs/cluster.md, "Ownership"), as this node sees the live nodes.
  virtual std::string preferred(unsigned shard) const = 0;
};

struct App {
  Store& store;           // tokens, users, sessions: the log's environment on a single node
  TokenStore& tokens;
  ServerOptions options;
  std::vector<Engine> engines;     // one, or one per shard in cluster mode
  RateLimiter* limiter = nullptr;  // null: no rate limit
  Metrics* metrics = nullptr;      // null: nothing recorded
  Auth* auth = nullptr;            // null: bearer tokens only (http/auth.h)
  WriteRouting* routing = nullptr; // null: this node decides every write (a single node)
  SystemLog* system_log = nullptr; // cluster mode: token/user/session writes (write_beside_log)

  // The engine that holds `tenant`'s log.
  Engine& engine(std::string_view tenant);
  const Engine& engine(std::string_view tenant) const { return const_cast<App*>(this)->engine(tenant); }
};

// Decoded query parameters, in order. A parameter given twice is rejected when read. A parameter
// with an empty value ("?event_type=", what an HTML form sends for an empty field) reads as
// absent; its name is still checked. The cache-buster "_" (jQuery, many HTTP libraries) is
// accepted everywhere and means nothing.
class QueryParams {
 public:
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  // The value of `name`, if given and not empty; throws ApiError when it was given more than once.
  std::optional<std::string_view> get(std::string_view name) const;
  // Like get(), and removes the parameter (one the router handles for every route).
  std::optional<std::string> take(std::string_view name);
  // Throws ApiError naming the first parameter not in `allowed` (nor "_").
  void only(std::initializer_list<std::string_view> allowed) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Principal {
  std::string token_id;
  std::string tenant;
};

struct Request {
  const RawRequest& raw;
  std::vector<std::string> path;      // decoded segments
  std::vector<std::string> captures;  // the segments that matched a route's {placeholders}
  QueryParams query;
  Principal principal;
  Millis received_at = 0;

  // The clock, for an answer that depends on it (a relative date range, a retention cutoff, a
  // window ending today). `granularity` is how finely the answer changes with it (1 ms, a day):
  // the router folds the time at that granularity into the answer's ETag.
  Millis now(Millis granularity = 1) const {
    if (clock_granularity == 0 || granularity < clock_granularity) clock_granularity = granularity;
    return received_at;
  }
  mutable Millis clock_granularity = 0;  // 0: the answer does not depend on the clock
};

// The id a route's path names ({id}): every stored id (event, contact, campaign) is 1-128 bytes
// without control characters, so any other answers 404 `code` as an unknown id would.
const std::string& path_id(const Request& req, const char* code, const char* message);

// A body sent in pieces after the header, with chunked transfer encoding (export, the event
// stream): each call returns the next piece, or nullopt at the end. Pieces are produced only as
// fast as the client takes them, so a slow client never makes the server buffer more than one.
using ChunkSource = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

// What a handler answers: a whole response, or a header and a ChunkSource.
struct Reply {
  Reply(Response r) : response(std::move(r)) {}  // NOLINT: a Response is a Reply
  Reply(Response head, ChunkSource source) : response(std::move(head)), chunks(std::move(source)) {}
  Response response;
  ChunkSource chunks;
  std::string_view route = "unmatched";  // the route's "METHOD /pattern", for metrics
};

using Handler = std::function<boost::asio::awaitable<Reply>(App&, Request&)>;

// Building responses. An error response carries a Date header (RFC 9110 §6.6.1) of its own, as it
// may be sent before the router sees the request.
Response json_response(unsigned status, std::string body);
Response error_response(Dialect dialect, const ApiError& error);
// An IMF-fixdate (RFC 9110 §5.6.7) for a Date header: "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(Millis t);

// Parsing parameters (each throws ApiError naming the parameter). Integers may be written with
// a zero fraction ("20.0", as clients that keep every number a double send them); booleans are
// true/false in any case, or 1/0.
std::optional<std::int64_t> int_param(const QueryParams& q, std::string_view name,
                                      std::int64_t min, std::int64_t max);
std::optional<bool> bool_param(const QueryParams& q, std::string_view name);
std::optional<Millis> time_param(const QueryParams& q, std::string_view name);
// A string parameter: 1..max bytes, no control characters.
std::optional<std::string> text_param(const QueryParams& q, std::string_view name,
                                      std::size_t max = 256);
// The request body as JSON, every number kept as sent (eventlog/json_reader.h); throws ApiError
// 400 when it is not JSON or breaks the reader's rules (naming the field where there is one).
JsonValue json_body(const Request& request);

}  // namespace eventsd::http

// A request as handlers see it — its path, query, principal and clock — and the parsing of its
// parameters and body, each failure an ApiError naming the parameter.
// Thread safety: a Request belongs to one coroutine; the functions are pure.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_reader.h"
#include "common/time.h"
#include "http/api/credential.h"
#include "http/api/errors.h"
#include "http/server/message.h"

namespace eventsd::http {

struct App;

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
  bool publishable = false;  // a publishable key: a browser's, whose event ids are its own (command.h)
};
// A principal as a forwarded request carries it (cluster/forward.h): a JSON object of every field.
// decode_principal: nullopt for anything else.
std::string encode_principal(const Principal& principal);
std::optional<Principal> decode_principal(std::string_view text);

// What a request another node of a cluster forwarded here comes with: that node's name and the
// principal it authenticated (the client's credentials stay with the node they were sent to).
struct Forwarded {
  std::string node;
  Principal principal;
};

struct Request {
  const RawRequest& raw;
  std::vector<std::string> path;      // decoded segments
  std::vector<std::string> captures;  // the segments that matched a route's {placeholders}
  QueryParams query;
  Principal principal;
  Millis received_at = 0;
  // Set when another node of the cluster forwarded the request here (its name); never taken
  // from what a client sent.
  std::optional<std::string> forwarded_by;
  // The TCP peer the request came from (the client, or a proxy in front of it: client_address.h);
  // nullopt for a request forwarded by another node or handed to the router in process.
  std::optional<boost::asio::ip::address> peer;

  // The clock, for an answer that depends on it (a relative date range, a retention cutoff, a
  // window ending today). `granularity` is how finely the answer changes with it (1 ms, a day):
  // the router folds the time at that granularity into the answer's ETag.
  Millis now(Millis granularity = 1) const {
    if (clock_granularity == 0 || granularity < clock_granularity) clock_granularity = granularity;
    return received_at;
  }
  mutable Millis clock_granularity = 0;  // 0: the answer does not depend on the clock
  // What authenticated the request (set with `principal`), for an answer that asks again later.
  Credential credential = {};
};

using Handler = std::function<boost::asio::awaitable<Reply>(App&, Request&)>;

// The id a route's path names ({id}): every stored id (event, contact, campaign) is 1-128 bytes
// without control characters, so any other answers 404 `code` as an unknown id would.
const std::string& path_id(const Request& req, const char* code, const char* message);

// Parsing parameters (each throws ApiError naming the parameter). Integers may be written with
// a zero fraction ("20.0", as clients that keep every number a double send them); booleans are
// true/false in any case, or 1/0.
std::optional<std::int64_t> int_param(const QueryParams& q, std::string_view name,
                                      std::int64_t min, std::int64_t max);
std::optional<bool> bool_param(const QueryParams& q, std::string_view name);
// An instant (common/time.h, parse_iso8601_query: every form parse_iso8601 takes, a '+' that the
// query's form encoding made a space included); 400 naming the parameter otherwise.
std::optional<Millis> time_param(const QueryParams& q, std::string_view name);
// A string parameter: 1..max bytes, no control characters.
std::optional<std::string> text_param(const QueryParams& q, std::string_view name,
                                      std::size_t max = 256);
// The request body as JSON, every number kept as sent (common/json_reader.h); throws ApiError
// 400 when it is not JSON or breaks the reader's rules (naming the field where there is one).
JsonValue json_body(const Request& request);
// Throws ApiError 400 naming the first key of the JSON object `object` that `allowed` lacks.
void only_fields(const JsonValue& object, std::initializer_list<std::string_view> allowed);
// json_body() that must be an object (else a 400 naming "body") with no key outside `allowed`.
JsonValue object_body(const Request& request, std::initializer_list<std::string_view> allowed);

}  // namespace eventsd::http

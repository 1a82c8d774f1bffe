// Errors and plain answers as every dialect shapes them (docs/api.md, "Errors"): the dialect a
// route belongs to, the error a handler throws, and the JSON responses built from them.
// Pure functions and plain values; thread-safe.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "common/time.h"
#include "http/server/message.h"

namespace eventsd::http {

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
  std::optional<unsigned> retry_after;  // seconds, for 429 and 503
};

ApiError bad_param(std::string field, std::string message);
// 503 `overloaded` with Retry-After: the writer's queue is full.
ApiError overloaded();

// Building responses. An error response carries a Date header (RFC 9110 §6.6.1) of its own, as it
// may be sent before the router sees the request.
Response json_response(unsigned status, std::string body);
Response error_response(Dialect dialect, const ApiError& error);
// The JSON body error_response() sends (also the data of a stream's final event, streams.h).
std::string error_body(Dialect dialect, const ApiError& error);

}  // namespace eventsd::http

#include "http/api/errors.h"

#include <boost/beast/http/field.hpp>

#include "common/json_writer.h"

namespace eventsd::http {

ApiError bad_param(std::string field, std::string message) {
  return ApiError(400, "invalid_request", std::move(message), std::move(field));
}

ApiError overloaded() {
  ApiError error(503, "overloaded", "too many writes are waiting; retry later");
  error.retry_after = 1;
  return error;
}

Response json_response(unsigned status, std::string body) {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string error_body(Dialect dialect, const ApiError& error) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  if (dialect == Dialect::native) w.key("status").string("error");
  w.key("error").begin_object();
  w.key("code").string(error.code);
  w.key("message").string(error.message);
  if (!error.field.empty()) w.key("field").string(error.field);
  w.end_object().end_object();
  return body;
}

Response error_response(Dialect dialect, const ApiError& error) {
  Response res = json_response(error.status, error_body(dialect, error));
  if (error.retry_after) res.set(bhttp::field::retry_after, std::to_string(*error.retry_after));
  if (error.status == 401) res.set(bhttp::field::www_authenticate, "Bearer");
  res.set(bhttp::field::date, format_http_date(now_millis()));
  return res;
}

}  // namespace eventsd::http

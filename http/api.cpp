#include "http/api.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <cstdio>

#include "commands/event_input.h"
#include "eventlog/json_writer.h"
#include "eventlog/shard.h"

namespace eventsd::http {

ApiError bad_param(std::string field, std::string message) {
  return ApiError(400, "invalid_request", std::move(message), std::move(field));
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  std::optional<std::string_view> found;
  for (const auto& [k, v] : items_) {
    if (k != name || v.empty()) continue;
    if (found) throw bad_param(std::string(name), std::string(name) + " is given more than once");
    found = v;
  }
  return found;
}

std::optional<std::string> QueryParams::take(std::string_view name) {
  auto found = get(name);
  if (!found) return std::nullopt;
  std::string value(*found);
  std::erase_if(items_, [&](const auto& item) { return item.first == name; });
  return value;
}

void QueryParams::only(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [k, v] : items_) {
    if (k != "_" && std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      throw bad_param(k, "unknown query parameter '" + k + "'");
    }
  }
}

Engine& App::engine(std::string_view tenant) {
  return engines[shard_of(tenant, static_cast<unsigned>(engines.size()))];
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

Response error_response(Dialect dialect, const ApiError& error) {
  std::string body;
  JsonWriter w(body);
  w.begin_object();
  if (dialect == Dialect::native) w.key("status").string("error");
  w.key("error").begin_object();
  w.key("code").string(error.code);
  w.key("message").string(error.message);
  if (!error.field.empty()) w.key("field").string(error.field);
  w.end_object().end_object();
  Response res = json_response(error.status, std::move(body));
  if (error.retry_after) res.set(bhttp::field::retry_after, std::to_string(*error.retry_after));
  if (error.status == 401) res.set(bhttp::field::www_authenticate, "Bearer");
  res.set(bhttp::field::date, http_date(now_millis()));
  return res;
}

std::string http_date(Millis t) {
  const std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char out[32];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}


std::optional<std::int64_t> int_param(const QueryParams& q, std::string_view name,
                                      std::int64_t min, std::int64_t max) {
  auto v = q.get(name);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  // "20.0": an integer spelled as a decimal with a zero fraction.
  const char* const last = v->data() + v->size();
  if (ec == std::errc() && end != last && *end == '.' && end + 1 != last &&
      std::all_of(end + 1, last, [](char c) { return c == '0'; })) {
    end = last;
  }
  if (ec != std::errc() || end != last || n < min || n > max) {
    throw bad_param(std::string(name), std::string(name) + " must be an integer from " +
                                           std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

std::optional<bool> bool_param(const QueryParams& q, std::string_view name) {
  auto v = q.get(name);
  if (!v) return std::nullopt;
  if (boost::beast::iequals(*v, "true") || *v == "1") return true;
  if (boost::beast::iequals(*v, "false") || *v == "0") return false;
  throw bad_param(std::string(name), std::string(name) + " must be true or false");
}

std::optional<Millis> time_param(const QueryParams& q, std::string_view name) {
  auto v = q.get(name);
  if (!v) return std::nullopt;
  auto t = parse_iso8601(*v);
  if (!t) {
    throw bad_param(std::string(name), std::string(name) + " must be an ISO 8601 date or date-time");
  }
  return t;
}

std::optional<std::string> text_param(const QueryParams& q, std::string_view name, std::size_t max) {
  auto v = q.get(name);
  if (!v) return std::nullopt;
  if (!is_clean_text(*v, max)) {
    throw bad_param(std::string(name), std::string(name) + " must be 1-" + std::to_string(max) +
                                           " bytes without control characters");
  }
  return std::string(*v);
}

const std::string& path_id(const Request& req, const char* code, const char* message) {
  const std::string& id = req.captures.at(0);
  if (!is_clean_text(id, 128)) throw ApiError(404, code, message);
  return id;
}

JsonValue json_body(const Request& request) {
  auto parsed = parse_json(request.raw.body());
  if (auto* e = std::get_if<JsonError>(&parsed)) {
    if (!e->field.empty()) throw ApiError(400, "invalid_request", e->message, e->field);
    throw ApiError(400, "invalid_request", "the body is not valid JSON: " + e->message);
  }
  return std::get<JsonValue>(std::move(parsed));
}

}  // namespace eventsd::http

#include "http/api/request.h"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "commands/event_input.h"

namespace eventsd::http {

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

std::string encode_principal(const Principal& principal) {
  return boost::json::serialize(boost::json::object{{"token_id", principal.token_id}, {"tenant", principal.tenant}});
}

std::optional<Principal> decode_principal(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  const auto* id = o.if_contains("token_id");
  const auto* tenant = o.if_contains("tenant");
  if (o.size() != 2 || !id || !id->is_string() || !tenant || !tenant->is_string()) return std::nullopt;
  return Principal{std::string(id->get_string()), std::string(tenant->get_string())};
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
  auto t = parse_iso8601_query(*v);
  if (!t) {
    throw bad_param(std::string(name), std::string(name) + " must be an ISO 8601 date or date-time in the years "
                                                           "1970-9999 (2026-04-29T11:23:45Z, +02:00, +02 or "
                                                           "20260429T112345Z)");
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

void only_fields(const JsonValue& object, std::initializer_list<std::string_view> allowed) {
  if (auto e = unknown_field(object, allowed, "")) throw bad_param(e->field, e->message);
}

JsonValue object_body(const Request& request, std::initializer_list<std::string_view> allowed) {
  JsonValue body = json_body(request);
  if (!body.is_object()) throw bad_param("body", "the body must be a JSON object");
  only_fields(body, allowed);
  return body;
}

}  // namespace eventsd::http

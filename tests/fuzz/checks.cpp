#include "tests/fuzz/checks.h"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/time.h"

namespace eventsd::fuzz {

namespace json = boost::json;

namespace {

// A parsed JSON text the fuzzer's own checks know to be valid.
JsonValue parsed(std::string_view text) { return std::get<JsonValue>(parse_json(text)); }

JsonValue native_form(const EventInput& e) {
  JsonValue::Object o;
  auto put = [&](const char* key, const std::optional<std::string>& v) {
    if (v) o.emplace_back(key, JsonValue::string(*v));
  };
  put("id", e.id);
  o.emplace_back("event", JsonValue::string(e.event));
  put("contact_id", e.contact_id);
  if (e.timestamp) o.emplace_back("timestamp", JsonValue::string(format_iso8601_ms(*e.timestamp)));
  put("url", e.url);
  put("referrer", e.referrer);
  put("session_id", e.session_id);
  put("utm_source", e.utm_source);
  put("utm_medium", e.utm_medium);
  put("utm_campaign", e.utm_campaign);
  put("campaign_id", e.campaign_id);
  put("step_id", e.step_id);
  put("email", e.email);
  o.emplace_back("data", parsed(e.data));
  return JsonValue::object(std::move(o));
}

bool same(const EventInput& a, const EventInput& b) {
  return a.id == b.id && a.event == b.event && a.contact_id == b.contact_id && a.timestamp == b.timestamp &&
         a.url == b.url && a.referrer == b.referrer && a.session_id == b.session_id &&
         a.utm_source == b.utm_source && a.utm_medium == b.utm_medium && a.utm_campaign == b.utm_campaign &&
         a.campaign_id == b.campaign_id && a.step_id == b.step_id && a.email == b.email &&
         a.domain == b.domain && a.data == b.data;
}

}  // namespace

void check_native_event(const EventInput& e, std::string_view body) {
  check(is_clean_text(e.event, 128), "an accepted event name is not 1-128 clean bytes", body);
  check(!e.id || is_valid_event_id(*e.id), "an accepted id is not a valid event id", body);
  for (const auto* v : {&e.contact_id, &e.campaign_id, &e.step_id}) {
    check(!*v || is_clean_text(**v, 128), "an accepted id field is not 1-128 clean bytes", body);
  }
  check(!e.domain || is_clean_text(*e.domain, 253), "a derived domain is not clean text", body);
  check(e.data.size() <= kMaxDataBytes, "accepted data exceeds 32 KiB", body);
  const auto data = parse_json(e.data);
  check(std::holds_alternative<JsonValue>(data) && std::get<JsonValue>(data).is_object(),
        "accepted data is not a JSON object", e.data);

  // Written back in the native names and read again: the same event.
  const std::string again = native_form(e).compact();
  const auto reparsed = parse_event(parsed(again), kNativeFieldNames, "");
  const auto* back = std::get_if<EventInput>(&reparsed);
  check(back != nullptr, "an accepted event, written back, is refused: " +
                             (back ? std::string() : std::get<FieldError>(reparsed).field + ": " +
                                                         std::get<FieldError>(reparsed).message),
        again);
  check(same(e, *back), "an accepted event, written back and read again, changed", std::string(body) + "\n--> " + again);
}



void finding(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "FINDING: %.*s\n", static_cast<int>(what.size()), what.data());
  if (!detail.empty()) {
    const std::size_t shown = std::min<std::size_t>(detail.size(), 4096);
    std::fprintf(stderr, "%.*s%s\n", static_cast<int>(shown), detail.data(), shown < detail.size() ? "..." : "");
  }
  std::abort();
}

void check_answer(const Answer& a, std::string_view request) {
  // EVENTSD_FUZZ_VERBOSE=1: every request and its status, to see what a corpus reaches.
  static const bool verbose = std::getenv("EVENTSD_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    const auto line = request.substr(0, request.find('\r'));
    std::fprintf(stderr, "%u %.*s\n", a.status, static_cast<int>(std::min<std::size_t>(line.size(), 200)), line.data());
  }
  const std::string context = std::string(request) + "\n--> " + std::to_string(a.status) + " " + a.body;
  check(a.status >= 200 && a.status < 500, "a request was answered with a 5xx (or no status)", context);
  check(a.stream_error.empty(), "a streamed body failed half-way: " + a.stream_error, context);
  boost::system::error_code ec;
  // Streamed bodies: every line of JSON lines, every data line of an event stream, is JSON.
  const bool ndjson = a.content_type == "application/x-ndjson";
  if (ndjson || a.content_type == "text/event-stream") {
    std::string_view rest = a.body;
    while (!rest.empty()) {
      const auto eol = rest.find('\n');
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
      if (!ndjson) {
        if (!line.starts_with("data: ")) continue;
        line.remove_prefix(6);
      }
      if (line.empty() && ndjson) continue;
      json::parse(line, ec);
      check(!ec, "a line of a streamed body is not JSON: " + ec.message(), context + "\n--> line: " + std::string(line));
    }
    return;
  }
  if (a.content_type != "application/json") return;
  const json::value v = json::parse(a.body, ec);
  check(!ec, "a JSON answer is not JSON (or not UTF-8): " + ec.message(), context);
  if (a.status < 400) return;
  const json::object* o = v.if_object();
  const json::value* error = o ? o->if_contains("error") : nullptr;
  const json::value* code = error && error->is_object() ? error->get_object().if_contains("code") : nullptr;
  check(code && code->is_string() && !code->get_string().empty(), "an error answer has no error.code", context);
}

}  // namespace eventsd::fuzz

#include "tests/fuzz/checks.h"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace eventsd::fuzz {

namespace json = boost::json;

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

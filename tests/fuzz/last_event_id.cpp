// Last-Event-ID (GET /v1/events/stream), as a header and as the last_event_id parameter, on a
// real store with a history. The header goes through the HTTP parser as the server receives it.
// A stream that is served resumes strictly after the position given: its "id:" lines increase
// and lie in (Last-Event-ID, head]; every data line is JSON (check_answer).
#include <charconv>
#include <cstdint>
#include <string>

#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;
using fuzz::check;

void check_resume(const fuzz::Answer& a, std::string_view last, const std::string& request) {
  fuzz::check_answer(a, request);
  if (a.status != 200) return;
  std::uint64_t after = 0;
  std::string_view v = last;
  // An empty value reads as no value (docs/api.md, "Query parameters"): a stream from the head.
  if (!v.empty()) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), after);
    check(ec == std::errc() && end == v.data() + v.size(), "a stream was served for a Last-Event-ID that is not a position",
          request);
  }
  std::string_view rest = a.body;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (!line.starts_with("id: ")) continue;
    std::uint64_t id = 0;
    std::from_chars(line.data() + 4, line.data() + line.size(), id);
    check(id > after, "a resumed stream repeats a position at or before Last-Event-ID", request + "\n" + a.body);
    after = id;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1024) return 0;
  auto& app = fuzz::live_app();
  const std::string_view value = fuzz::as_text(data, size);

  const std::string raw = "GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + app.token_all() +
                          "\r\nLast-Event-ID: " + std::string(value) + "\r\n\r\n";
  http::RawRequest req;
  if (app.parse(raw, req)) {
    auto it = req.find("Last-Event-ID");
    check(it != req.end(), "the parsed request lost its Last-Event-ID");
    check_resume(app.handle(req, 8), it->value(), raw);
  }

  std::string target = "/v1/events/stream?last_event_id=";
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : value) {
    target += '%';
    target += hex[c >> 4];
    target += hex[c & 15];
  }
  http::RawRequest param{http::bhttp::verb::get, target, 11};
  param.set(http::bhttp::field::authorization, "Bearer " + app.token_all());
  check_resume(app.handle(param, 8), value, target);
  return 0;
}

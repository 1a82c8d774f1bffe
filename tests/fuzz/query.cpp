// Query strings through the parameter parsing of every GET route: the input is what follows '?',
// sent (as a client would, bytes that may not appear in a request target percent-encoded) to each
// GET route of the router, with a token of every scope, against a real store with a history.
// Every answer obeys check_answer: a 4xx naming the parameter, or a JSON answer; never a 5xx.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;

// The GET routes with their placeholders filled with ids the history holds.
std::vector<std::string> get_paths(const http::Router& router) {
  std::vector<std::string> out;
  for (const auto& route : router.routes()) {
    if (route.method != http::bhttp::verb::get) continue;
    std::string path;
    for (const auto& seg : route.segments) {
      path += '/';
      if (seg == "{workspaceId}") path += fuzz::kTenant;
      else if (seg.starts_with("{") && route.pattern.starts_with("/v1/campaigns")) path += "cmp_1";
      else if (seg.starts_with("{") && route.pattern.find("event") < route.pattern.find('{')) path += "e1";
      else if (seg.starts_with("{")) path += "ct_1";
      else path += seg;
    }
    out.push_back(path);
  }
  return out;
}

// The bytes of a request target may be only visible ASCII; anything else a client
// percent-encodes ('%' itself is left alone so the fuzzer can write escapes).
std::string as_query(std::string_view input) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : input) {
    if (c <= 0x20 || c >= 0x7F || c == '#') {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8 * 1024) return 0;  // the server's header limit
  auto& app = fuzz::live_app();
  static const std::vector<std::string> paths = get_paths(app.router());
  const std::string query = as_query(fuzz::as_text(data, size));
  for (const auto& path : paths) {
    http::RawRequest req{http::bhttp::verb::get, path + "?" + query, 11};
    req.set(http::bhttp::field::authorization, "Bearer " + app.token_all());
    fuzz::check_answer(app.handle(req), req.target());
  }
  return 0;
}

// Whole HTTP requests through the router, with a real store: the input is the bytes a client
// sends, in which $ALL, $READ and $OTHER stand for tokens (every scope of tenant "fuzz"; its
// events:read only; every scope of tenant "other"). They are parsed as the server parses them
// (its header and body limits); what the server would refuse before routing is skipped, the rest
// is routed and answered, streamed bodies read. Every answer obeys check_answer.
#include <cstdint>
#include <string>

#include "tests/fuzz/checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventsd;
  if (size > (std::size_t{1} << 20) + 8 * 1024) return 0;
  auto& app = fuzz::live_app();
  const std::string raw = app.with_tokens(fuzz::as_text(data, size));
  http::RawRequest req;
  if (!app.parse(raw, req)) return 0;
  fuzz::check_answer(app.handle(req), raw);
  return 0;
}

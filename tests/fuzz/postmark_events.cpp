// A Postmark webhook delivery (http/dialects/provider_events.h, hook_signatures.h): the input's
// first line is the Authorization header, the rest the body, checked against a fixed user and
// password.
//
// Beyond not crashing: every event read obeys docs/api.md, "Ingest" (checks.h), with a name
// docs/integrations.md maps to; only the source's own user and password pass.
#include <cstdint>

#include "common/encoding.h"
#include "common/hash.h"
#include "http/dialects/hook_signatures.h"
#include "http/dialects/provider_events.h"
#include "tests/fuzz/checks.h"
#include "tests/fuzz/provider_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventsd;
  const std::string_view input = fuzz::as_text(data, size);
  const auto [authorization, body] = fuzz::first_line(input);
  // "Basic " + base64("postmark:correct horse battery staple") is the one header that passes.
  const bool passed = http::verify_basic_auth(authorization, "postmark", to_hex(sha256("correct horse battery staple")));
  fuzz::check(!passed || authorization.substr(6) == "cG9zdG1hcms6Y29ycmVjdCBob3JzZSBiYXR0ZXJ5IHN0YXBsZQ==",
              "basic auth passed with another user or password", input);
  const auto parsed = http::parse_postmark(body);
  if (const auto* events = std::get_if<http::ProviderEvents>(&parsed)) {
    fuzz::check(events->events.size() + events->skipped == 1, "a Postmark delivery is one event", body);
    fuzz::check_provider_events(*events, body);
  }
  return 0;
}

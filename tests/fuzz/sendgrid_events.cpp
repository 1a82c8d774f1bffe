// A SendGrid webhook delivery (http/dialects/provider_events.h, hook_signatures.h): the input's
// first line is the signature header, the rest the body. The body is read into native events, and
// the signature checked against a fixed key.
//
// Beyond not crashing: every event read obeys docs/api.md, "Ingest", as POST /v1/events would
// accept it (checks.h), with a name docs/integrations.md maps to; no input verifies under a key
// whose private half the fuzzer does not have.
#include <cstdint>

#include "http/dialects/hook_signatures.h"
#include "http/dialects/provider_events.h"
#include "tests/fuzz/checks.h"
#include "tests/fuzz/provider_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventsd;
  const std::string_view input = fuzz::as_text(data, size);
  const auto [signature, body] = fuzz::first_line(input);
  fuzz::check(!http::verify_sendgrid(http::kDummySendgridKey, signature, "1796083200", body),
              "a signature verified under a key whose private half no one has", input);
  const auto parsed = http::parse_sendgrid(body);
  if (const auto* events = std::get_if<http::ProviderEvents>(&parsed)) fuzz::check_provider_events(*events, body);
  return 0;
}

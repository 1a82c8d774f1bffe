// A Mailgun webhook delivery (http/dialects/provider_events.h, hook_signatures.h): the input is
// the body, with its signature object, checked against a fixed signing key.
//
// Beyond not crashing: every event read obeys docs/api.md, "Ingest" (checks.h), with a name
// docs/integrations.md maps to; a signature verifies exactly when it is the HMAC the key makes.
#include <cstdint>

#include "http/dialects/hook_signatures.h"
#include "http/dialects/provider_events.h"
#include "tests/fuzz/checks.h"
#include "tests/fuzz/provider_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventsd;
  const std::string_view body = fuzz::as_text(data, size);
  const auto parsed = http::parse_mailgun(body);
  const auto* delivery = std::get_if<http::MailgunDelivery>(&parsed);
  if (!delivery) return 0;
  const auto& s = delivery->signature;
  const bool verified = http::verify_mailgun("fuzz-signing-key-0123456789", s.timestamp, s.token, s.signature);
  fuzz::check(verified == (s.signature == http::sign_mailgun("fuzz-signing-key-0123456789", s.timestamp, s.token)),
              "a Mailgun signature verified that is not the key's HMAC, or the other way round", body);
  fuzz::check(delivery->events.events.size() + delivery->events.skipped == 1, "a Mailgun delivery is one event", body);
  fuzz::check_provider_events(delivery->events, body);
  return 0;
}

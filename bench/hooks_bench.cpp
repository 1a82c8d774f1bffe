// Provider webhooks (docs/performance.md, "Provider webhooks"): what a SendGrid delivery costs the
// I/O thread before the writer sees it.
//
//  - sendgrid_verify: the ECDSA P-256 signature check of one delivery (OpenSSL EVP: the key read
//    from its base64 DER, SHA-256 over timestamp + body, the verification), for a batch of 1,000
//    events: what each request costs before it is parsed, a bad signature as much as a good one;
//  - sendgrid_verify_empty: the same for a delivery of no events: the fixed cost of a check (a
//    flood of bad signatures with small bodies costs this much per request before the limiter);
//  - sendgrid_parse: the same body read into 1,000 native events (parse_json, the mapping, and the
//    native rules for each event);
//  - sendgrid_verify_and_parse: both, what POST /hooks/{id} does before submitting;
//  - mailgun_verify: the HMAC-SHA256 check of one Mailgun delivery.
#include <benchmark/benchmark.h>

#include "http/dialects/hook_signatures.h"
#include "http/dialects/provider_events.h"
#include "tests/support/p256_signer.h"
#include "tests/support/provider_samples.h"

namespace eventsd {
namespace {

struct Delivery {
  test::P256Signer signer;
  std::string key = signer.public_key_b64();
  std::string body = test::sendgrid_batch(1000);
  std::string timestamp = "1796083200";
  std::string signature = signer.sign(timestamp, body);
};

const Delivery& delivery() {
  static const Delivery d;
  return d;
}

void sendgrid_verify(benchmark::State& state) {
  const auto& d = delivery();
  for (auto _ : state) benchmark::DoNotOptimize(http::verify_sendgrid(d.key, d.signature, d.timestamp, d.body));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * d.body.size()));
}
BENCHMARK(sendgrid_verify)->Unit(benchmark::kMicrosecond);

// The fixed part of a check: a delivery of no events (the key read, one ECDSA verification).
void sendgrid_verify_empty(benchmark::State& state) {
  const auto& d = delivery();
  const std::string sig = d.signer.sign(d.timestamp, "[]");
  for (auto _ : state) benchmark::DoNotOptimize(http::verify_sendgrid(d.key, sig, d.timestamp, "[]"));
}
BENCHMARK(sendgrid_verify_empty)->Unit(benchmark::kMicrosecond);

void sendgrid_parse(benchmark::State& state) {
  const auto& d = delivery();
  for (auto _ : state) {
    auto parsed = http::parse_sendgrid(d.body);
    benchmark::DoNotOptimize(parsed);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(state.iterations() * 1000), benchmark::Counter::kIsRate);
}
BENCHMARK(sendgrid_parse)->Unit(benchmark::kMicrosecond);

void sendgrid_verify_and_parse(benchmark::State& state) {
  const auto& d = delivery();
  for (auto _ : state) {
    if (!http::verify_sendgrid(d.key, d.signature, d.timestamp, d.body)) state.SkipWithError("did not verify");
    auto parsed = http::parse_sendgrid(d.body);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(sendgrid_verify_and_parse)->Unit(benchmark::kMicrosecond);

void mailgun_verify(benchmark::State& state) {
  const std::string key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", token = std::string(50, 'a');
  const std::string sig = http::sign_mailgun(key, "1796083200", token);
  for (auto _ : state) benchmark::DoNotOptimize(http::verify_mailgun(key, "1796083200", token, sig));
}
BENCHMARK(mailgun_verify)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace eventsd

BENCHMARK_MAIN();

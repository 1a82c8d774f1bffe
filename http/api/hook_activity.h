// What one node knows of the provider webhooks it served (docs/integrations.md): each source's
// deliveries — the last accepted one, counts accepted and refused by reason — shown by
// GET /v1/sources, kept by tenant and id (an id deleted by one tenant and taken by another
// starts afresh); the Mailgun tokens claimed within the signature window (a token claimed again
// is a replay, or the same delivery in flight); and the per-source rate limit that makes a flood
// of bad signatures cheap.
//
// This is the node's own memory, not configuration: it starts empty when eventsd starts, and in
// cluster mode each node counts the deliveries it was sent (docs/api.md, "Sources").
// Memory is bounded: activity is kept for at most kMaxSources sources that exist (an unknown id
// is never counted), replay tokens for kMaxTokens tokens within the window (past it the oldest
// go first), the limiter's buckets by TokenBuckets' bounds.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "http/api/rate_limit.h"

namespace eventsd::http {

// Why a delivery was refused (the `refused` counts' keys).
enum class HookRefusal { too_large, invalid_signature, stale_timestamp, replayed, rate_limited, invalid_payload };
std::string_view refusal_name(HookRefusal why);

struct SourceActivity {
  std::optional<Millis> last_delivery_at;  // the last accepted delivery
  std::uint64_t deliveries = 0;            // accepted requests
  std::uint64_t events_created = 0;        // events they recorded
  std::uint64_t events_duplicate = 0;      // provider retries: ids stored already
  std::uint64_t events_skipped = 0;        // unknown kinds, events the native rules refuse
  std::map<std::string, std::uint64_t, std::less<>> refused;  // by refusal_name
};

// A delivery's body is at most this (a SendGrid batch of 1,000 events is 170-400 KB); the
// server's --body-limit bounds it first.
inline constexpr std::size_t kMaxHookBody = 1024 * 1024;

struct HookOptions {
  double rate = 50;    // requests per second per source (bad or good), then 429
  double burst = 100;  // requests in a burst
  Millis window = 5 * 60 * 1000;  // a signature's timestamp may be this far from now, either way
};

class HookActivity {
 public:
  static constexpr std::size_t kMaxSources = 100'000;
  static constexpr std::size_t kMaxTokens = 1'000'000;

  explicit HookActivity(const Clock& clock, HookOptions options = {});
  const HookOptions& options() const { return options_; }

  // The limiter's answer for one request to source `id` of `tenant` ("" for an id no source has:
  // limited alike, in a table of its own, so a flood of made-up ids pushes out no tenant's
  // buckets): nullopt, or the seconds to wait.
  std::optional<unsigned> take(std::string_view tenant, std::string_view id);

  void accepted(std::string_view tenant, std::string_view id, Millis at, std::uint64_t created,
                std::uint64_t duplicate, std::uint64_t skipped);
  void refused(std::string_view tenant, std::string_view id, HookRefusal why);
  std::optional<SourceActivity> activity(std::string_view tenant, std::string_view id) const;
  void forget(std::string_view tenant, std::string_view id);  // the source was deleted

  // Mailgun's signature covers its timestamp and token, not the events: a token must carry one
  // delivery only. claim() takes `token` of source `id` for the delivery at hand, atomically:
  // false when it was claimed within the window (a replay, or the same delivery in flight).
  // release() gives it back when that delivery was not accepted (its retry is no replay).
  bool claim(std::string_view id, std::string_view token);
  void release(std::string_view id, std::string_view token);

 private:
  void expire_tokens();  // with mutex_ held
  // The activity kept under `key` (made when there is room; nullptr when there is none), with
  // mutex_ held.
  SourceActivity* entry(const std::string& key);

  const Clock& clock_;
  const HookOptions options_;
  TokenBuckets limiter_;
  mutable std::mutex mutex_;
  std::map<std::string, SourceActivity, std::less<>> activity_;          // tenant + '\n' + id
  std::unordered_map<std::string, Clock::Steady::time_point> tokens_;  // id + '\n' + token: claimed at
  std::deque<std::pair<Clock::Steady::time_point, std::string>> token_order_;  // oldest first
};

}  // namespace eventsd::http

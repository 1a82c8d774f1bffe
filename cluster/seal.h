// The cluster key (eventsd --cluster-key-file; docs/cluster.md, "The cluster key"): a secret
// every node of a cluster holds. Whatever a node puts on NATS for the others to act on carries a
// seal made with it — each system-log change, each shard-log message, each lease, registry and
// configuration value, each forwarded request and its answer — and a node acts only on what
// carries a good seal. Someone who can publish on NATS but does not hold the key can therefore
// change nothing a node applies; what it publishes is refused, counted (RefusalCounts, on
// /metrics as eventsd_cluster_refused_total) and skipped, and never stops a follower.
//
// A seal is the text "v1 <node> <at> <mac>": the node that made it, the time it was made (ms
// since the epoch, by that node's clock) and the HMAC-SHA-256, base64url, of
//   "eventsd-seal-v1", the context, the node, the time (8 bytes, big-endian), and each part,
// every variable-length field prefixed with its length (8 bytes, big-endian), so no two
// different inputs share a MAC input. The context says what the sealed bytes are and where they
// belong — a stream message's context names its stream and the sequence it must be stored at,
// a key-value entry's its bucket and key, a forwarded request's the node it is sent to — so a
// sealed message replayed elsewhere, or later in a stream, does not open.
//
// Against replays where the context cannot name a sequence, the time is checked: a key-value
// entry's against the time the NATS server stored it, a forwarded request's against the
// receiving node's clock, each within the window (--cluster-window-ms); forwarded requests are
// also remembered for that window (ReplayGuard) so that one is served once.
//
// Thread safety: a ClusterKey is immutable but for its counters (atomic); any thread may seal and
// open at once. A ReplayGuard may be used from any thread (it locks).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>

#include "common/clock.h"

namespace eventsd {

// The NATS header, or the first line of a forwarded message, that holds a seal.
inline constexpr const char* kSealHeader = "Eventsd-Seal";

// What a refused message was, and why it was refused.
enum class Sealed { system, shard, kv, forward, reply };
enum class Refusal { unsealed, bad_seal, stale, replayed, malformed };
const char* name_of(Sealed what);
const char* name_of(Refusal why);

class RefusalCounts {
 public:
  void count(Sealed what, Refusal why) { counts_[index(what, why)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t get(Sealed what, Refusal why) const { return counts_[index(what, why)].load(); }
  std::uint64_t total() const;
  // Prometheus samples of eventsd_cluster_refused_total{what=..., why=...}, with HELP and TYPE.
  void render(std::string& out) const;

 private:
  static constexpr std::size_t kWhats = 5, kWhys = 5;
  static std::size_t index(Sealed what, Refusal why) {
    return static_cast<std::size_t>(what) * kWhys + static_cast<std::size_t>(why);
  }
  std::array<std::atomic<std::uint64_t>, kWhats * kWhys> counts_{};
};

// What a good seal says.
struct SealInfo {
  std::string node;
  std::int64_t at = 0;  // ms since the epoch, by the sealing node's clock
};

class ClusterKey {
 public:
  static constexpr std::size_t kMinBytes = 32;
  // The key is the file's content with surrounding whitespace dropped: at least kMinBytes bytes
  // (e.g. `head -c 32 /dev/urandom | base64`). Refused (std::runtime_error, saying why) when the
  // file cannot be read, is too short, or may be read or written by others than its owner.
  static ClusterKey from_file(const std::filesystem::path& path, const Clock& clock);
  // std::invalid_argument when `secret` is shorter than kMinBytes.
  ClusterKey(std::string_view secret, const Clock& clock);

  // The seal of `parts` in `context`, made by `node` now (the clock's).
  std::string seal(std::string_view context, std::string_view node, std::initializer_list<std::string_view> parts) const;
  // The seal made at `at` (tests, and the fuzz target).
  std::string seal_at(std::string_view context, std::string_view node, std::int64_t at,
                      std::initializer_list<std::string_view> parts) const;
  // What the seal `text` says when it is a good seal of `parts` in `context`; otherwise why not
  // (malformed: not a seal at all; bad_seal: not made with this key for these bytes). Compares
  // MACs in constant time.
  std::variant<SealInfo, Refusal> open(std::string_view context, std::string_view text,
                                       std::initializer_list<std::string_view> parts) const;
  // Whether a seal made at `at` is within the window of `reference` (ms since the epoch).
  bool fresh(std::int64_t at, std::int64_t reference) const;

  const Clock& clock() const { return clock_; }
  std::chrono::milliseconds window() const { return window_; }
  void set_window(std::chrono::milliseconds window) { window_ = window; }
  RefusalCounts& refused() const { return refused_; }

 private:
  std::array<unsigned char, 32> mac(std::string_view context, std::string_view node, std::int64_t at,
                                    std::initializer_list<std::string_view> parts) const;

  std::array<unsigned char, 32> key_{};  // SHA-256 of the secret: HMAC's key, whatever its length
  const Clock& clock_;
  std::chrono::milliseconds window_{60'000};
  mutable RefusalCounts refused_;
};

// The seals of forwarded requests served within the window, so that each is served once.
// Bounded: when `capacity` seals of the window are held, a new one is refused as a replay would
// be (the sender gets 503 and tries again) rather than one forgotten early.
class ReplayGuard {
 public:
  explicit ReplayGuard(const ClusterKey& key, std::size_t capacity = 1'000'000) : key_(key), capacity_(capacity) {}
  // True the first time `seal` is presented; false when it was seen within the window or there
  // is no room.
  bool first_time(std::string_view seal);

 private:
  const ClusterKey& key_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<std::int64_t, std::string>> by_time_;  // (forget after, mac), oldest first
};

}  // namespace eventsd

#include "cluster/seal.h"

#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cluster/placement.h"
#include "common/encoding.h"
#include "common/hash.h"
#include "common/parse.h"

namespace eventsd {

namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::string_view kDomain = "eventsd-seal-v1";

// HMAC-SHA-256 (RFC 2104) over SHA-256 as common/hash.h computes it (OpenSSL's, which uses the
// CPU's SHA extensions: several times libsodium's portable code).
class Hmac {
 public:
  explicit Hmac(const std::array<unsigned char, 32>& key) : key_(key) {
    std::array<unsigned char, 64> pad{};
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<unsigned char>((i < key.size() ? key[i] : 0) ^ 0x36);
    inner_.update(std::string_view(reinterpret_cast<const char*>(pad.data()), pad.size()));
  }
  void u64(std::uint64_t v) {
    char b[8];
    for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
    inner_.update(std::string_view(b, sizeof b));
  }
  void field(std::string_view bytes) {
    u64(bytes.size());
    inner_.update(bytes);
  }
  std::array<unsigned char, 32> finish() {
    const Sha256 inner = inner_.finish();
    std::array<unsigned char, 64> pad{};
    for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = static_cast<unsigned char>((i < key_.size() ? key_[i] : 0) ^ 0x5c);
    Sha256Hasher outer;
    outer.update(std::string_view(reinterpret_cast<const char*>(pad.data()), pad.size()));
    outer.update(as_view(inner));
    const Sha256 mac = outer.finish();
    std::array<unsigned char, 32> out{};
    std::copy(mac.begin(), mac.end(), out.begin());
    return out;
  }

 private:
  const std::array<unsigned char, 32>& key_;
  Sha256Hasher inner_;
};

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// The next space-separated word of `rest`.
std::string_view word(std::string_view& rest) {
  const auto space = rest.find(' ');
  const std::string_view w = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return w;
}

}  // namespace

const char* name_of(Sealed what) {
  switch (what) {
    case Sealed::system: return "system";
    case Sealed::shard: return "shard";
    case Sealed::kv: return "kv";
    case Sealed::forward: return "forward";
    case Sealed::reply: return "reply";
  }
  return "?";
}

const char* name_of(Refusal why) {
  switch (why) {
    case Refusal::unsealed: return "unsealed";
    case Refusal::bad_seal: return "bad_seal";
    case Refusal::stale: return "stale";
    case Refusal::replayed: return "replayed";
    case Refusal::malformed: return "malformed";
  }
  return "?";
}

std::uint64_t RefusalCounts::total() const {
  std::uint64_t n = 0;
  for (const auto& c : counts_) n += c.load();
  return n;
}

void RefusalCounts::render(std::string& out) const {
  out += "# HELP eventsd_cluster_refused_total Messages from NATS refused: not sealed with the cluster key, "
         "stale, replayed or malformed (cluster mode).\n# TYPE eventsd_cluster_refused_total counter\n";
  for (std::size_t w = 0; w < kWhats; ++w) {
    for (std::size_t y = 0; y < kWhys; ++y) {
      out += "eventsd_cluster_refused_total{what=\"";
      out += name_of(static_cast<Sealed>(w));
      out += "\",why=\"";
      out += name_of(static_cast<Refusal>(y));
      out += "\"} " + std::to_string(counts_[w * kWhys + y].load()) + "\n";
    }
  }
}

ClusterKey ClusterKey::from_file(const std::filesystem::path& path, const Clock& clock) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot read the cluster key file " + path.string());
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    throw std::runtime_error("the cluster key file " + path.string() +
                             " may be read or written by others than its owner (chmod 600 it)");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read the cluster key file " + path.string());
  const std::string text = content.str();
  const std::string_view secret = trim(text);
  if (secret.size() < kMinBytes) {
    throw std::runtime_error("the cluster key file " + path.string() + " holds fewer than " +
                             std::to_string(kMinBytes) + " bytes (make one with: head -c 32 /dev/urandom | base64)");
  }
  return ClusterKey(secret, clock);
}

ClusterKey::ClusterKey(std::string_view secret, const Clock& clock) : clock_(clock) {
  if (secret.size() < kMinBytes) throw std::invalid_argument("a cluster key has at least 32 bytes");
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  const Sha256 h = sha256(secret);
  std::copy(h.begin(), h.end(), key_.begin());
}

std::array<unsigned char, 32> ClusterKey::mac(std::string_view context, std::string_view node, std::int64_t at,
                                               std::initializer_list<std::string_view> parts) const {
  Hmac h(key_);
  h.field(kDomain);
  h.field(context);
  h.field(node);
  h.u64(static_cast<std::uint64_t>(at));
  h.u64(parts.size());
  for (auto p : parts) h.field(p);
  return h.finish();
}

std::string ClusterKey::seal(std::string_view context, std::string_view node,
                             std::initializer_list<std::string_view> parts) const {
  return seal_at(context, node, clock_.now_millis(), parts);
}

std::string ClusterKey::seal_at(std::string_view context, std::string_view node, std::int64_t at,
                                std::initializer_list<std::string_view> parts) const {
  const auto m = mac(context, node, at, parts);
  return std::string(kVersion) + " " + std::string(node) + " " + std::to_string(at) + " " +
         to_base64url(std::string_view(reinterpret_cast<const char*>(m.data()), m.size()));
}

std::variant<SealInfo, Refusal> ClusterKey::open(std::string_view context, std::string_view text,
                                                 std::initializer_list<std::string_view> parts) const {
  if (text.size() > 256) return Refusal::malformed;
  std::string_view rest = text;
  if (word(rest) != kVersion) return Refusal::malformed;
  const std::string_view node = word(rest);
  const std::string_view at_text = word(rest);
  const std::string_view mac_text = word(rest);
  if (!rest.empty() || !is_valid_node_name(node)) return Refusal::malformed;
  std::int64_t at = 0;
  if (auto v = parse_u64(at_text); v && *v <= static_cast<std::uint64_t>(INT64_MAX)) {
    at = static_cast<std::int64_t>(*v);
  } else {
    return Refusal::malformed;
  }
  const auto given = from_base64url(mac_text);
  if (!given || given->size() != 32) return Refusal::malformed;
  const auto expected = mac(context, node, at, parts);
  if (crypto_verify_32(expected.data(), reinterpret_cast<const unsigned char*>(given->data())) != 0) {
    return Refusal::bad_seal;
  }
  return SealInfo{std::string(node), at};
}

bool ClusterKey::fresh(std::int64_t at, std::int64_t reference) const {
  const std::int64_t w = window_.count();
  return at >= reference - w && at <= reference + w;
}

bool ReplayGuard::first_time(std::string_view seal) {
  const std::int64_t now = key_.clock().now_millis();
  std::lock_guard lock(mutex_);
  // Each seal is kept two windows from when it was first served: by then its time is outside
  // the window of every later check (seals too old are refused before they get here).
  while (!by_time_.empty() && by_time_.front().first <= now) {
    seen_.erase(by_time_.front().second);
    by_time_.pop_front();
  }
  std::string key(seal);
  if (seen_.contains(key) || seen_.size() >= capacity_) return false;
  seen_.insert(key);
  by_time_.emplace_back(now + 2 * key_.window().count(), std::move(key));
  return true;
}

}  // namespace eventsd

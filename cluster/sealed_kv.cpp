#include "cluster/sealed_kv.h"

#include <cstdio>

namespace eventsd {

namespace {

std::string context_of(const std::string& bucket, const std::string& key) { return "kv/" + bucket + "/" + key; }

}  // namespace

std::string SealedKv::sealed(const std::string& bucket, const std::string& key, std::string_view value) const {
  return std::string(value) + "\n" + key_.seal(context_of(bucket, key), node_, {value});
}

nats::KvEntry SealedKv::opened(const std::string& bucket, const std::string& key, nats::KvEntry entry) const {
  const std::string_view stored = entry.value;
  const auto newline = stored.rfind('\n');
  std::optional<Refusal> refusal;
  if (newline == std::string_view::npos) {
    refusal = Refusal::unsealed;
  } else {
    const std::string_view value = stored.substr(0, newline);
    const auto opened = key_.open(context_of(bucket, key), stored.substr(newline + 1), {value});
    if (const auto* why = std::get_if<Refusal>(&opened)) {
      refusal = *why;
    } else {
      // Against the server's time of storing it; a server that did not say is checked against
      // this node's clock.
      const std::int64_t stored_at =
          entry.written == std::chrono::system_clock::time_point{}
              ? key_.clock().now_millis()
              : std::chrono::duration_cast<std::chrono::milliseconds>(entry.written.time_since_epoch()).count();
      if (!key_.fresh(std::get<SealInfo>(opened).at, stored_at)) refusal = Refusal::stale;
      else entry.value = std::string(value);
    }
  }
  if (refusal) {
    key_.refused().count(Sealed::kv, *refusal);
    std::fprintf(stderr, "eventsd: refused the value of %s/%s (revision %llu): %s\n", bucket.c_str(), key.c_str(),
                 static_cast<unsigned long long>(entry.revision), name_of(*refusal));
    entry.value = std::string(kRefused);
  }
  return entry;
}

std::optional<nats::KvEntry> SealedKv::get(const std::string& bucket, const std::string& key) {
  auto entry = nats_.kv_get(bucket, key);
  if (!entry) return std::nullopt;
  return opened(bucket, key, std::move(*entry));
}

nats::KvWrite SealedKv::create(const std::string& bucket, const std::string& key, std::string_view value) {
  return nats_.kv_create(bucket, key, sealed(bucket, key, value));
}

nats::KvWrite SealedKv::update(const std::string& bucket, const std::string& key, std::string_view value,
                               std::uint64_t revision) {
  return nats_.kv_update(bucket, key, sealed(bucket, key, value), revision);
}

std::map<std::string, nats::KvEntry> SealedKv::all(const std::string& bucket) {
  auto entries = nats_.kv_all(bucket);
  for (auto& [key, entry] : entries) entry = opened(bucket, key, std::move(entry));
  return entries;
}

}  // namespace eventsd

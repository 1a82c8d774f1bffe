#include "http/api/hook_activity.h"

#include <chrono>

namespace eventsd::http {

std::string_view refusal_name(HookRefusal why) {
  switch (why) {
    case HookRefusal::too_large: return "too_large";
    case HookRefusal::invalid_signature: return "invalid_signature";
    case HookRefusal::stale_timestamp: return "stale_timestamp";
    case HookRefusal::replayed: return "replayed";
    case HookRefusal::rate_limited: return "rate_limited";
    case HookRefusal::invalid_payload: return "invalid_payload";
  }
  return "invalid_payload";
}

HookActivity::HookActivity(const Clock& clock, HookOptions options)
    : clock_(clock), options_(options), limiter_(clock) {}

std::optional<unsigned> HookActivity::take(std::string_view tenant, std::string_view id) {
  return limiter_.take(tenant, id, "", options_.rate, options_.burst);
}

namespace {

std::string joined(std::string_view a, std::string_view b) {
  std::string key(a);
  key.push_back('\n');
  key.append(b);
  return key;
}

}  // namespace

SourceActivity* HookActivity::entry(const std::string& key) {
  auto it = activity_.find(key);
  if (it == activity_.end()) {
    if (activity_.size() >= kMaxSources) return nullptr;
    it = activity_.emplace(key, SourceActivity{}).first;
  }
  return &it->second;
}

void HookActivity::accepted(std::string_view tenant, std::string_view id, Millis at, std::uint64_t created,
                            std::uint64_t duplicate, std::uint64_t skipped) {
  std::lock_guard lock(mutex_);
  SourceActivity* found = entry(joined(tenant, id));
  if (!found) return;
  auto& a = *found;
  a.last_delivery_at = at;
  ++a.deliveries;
  a.events_created += created;
  a.events_duplicate += duplicate;
  a.events_skipped += skipped;
}

void HookActivity::refused(std::string_view tenant, std::string_view id, HookRefusal why) {
  std::lock_guard lock(mutex_);
  if (SourceActivity* a = entry(joined(tenant, id))) ++a->refused[std::string(refusal_name(why))];
}

std::optional<SourceActivity> HookActivity::activity(std::string_view tenant, std::string_view id) const {
  const std::string key = joined(tenant, id);
  std::lock_guard lock(mutex_);
  auto it = activity_.find(key);
  if (it == activity_.end()) return std::nullopt;
  return it->second;
}

void HookActivity::forget(std::string_view tenant, std::string_view id) {
  const std::string key = joined(tenant, id);
  std::lock_guard lock(mutex_);
  if (auto it = activity_.find(key); it != activity_.end()) activity_.erase(it);
}

void HookActivity::expire_tokens() {
  // A token older than twice the window can no longer come with a timestamp inside it. An entry
  // of token_order_ whose token was released and claimed again since is the later claim's no more.
  const auto horizon = clock_.steady() - 2 * std::chrono::milliseconds(options_.window);
  while (!token_order_.empty() && (token_order_.front().first < horizon || token_order_.size() > kMaxTokens)) {
    auto& [at, key] = token_order_.front();
    if (auto it = tokens_.find(key); it != tokens_.end() && it->second == at) tokens_.erase(it);
    token_order_.pop_front();
  }
}

bool HookActivity::claim(std::string_view id, std::string_view token) {
  std::string key = joined(id, token);
  std::lock_guard lock(mutex_);
  expire_tokens();
  const auto now = clock_.steady();
  if (!tokens_.emplace(key, now).second) return false;
  token_order_.emplace_back(now, std::move(key));
  return true;
}

void HookActivity::release(std::string_view id, std::string_view token) {
  const std::string key = joined(id, token);
  std::lock_guard lock(mutex_);
  tokens_.erase(key);
}

}  // namespace eventsd::http

#include "http/api/stream_slots.h"

namespace eventsd::http {

StreamSlots::Taken StreamSlots::take(const std::string& tenant, std::size_t global, std::size_t per_tenant) {
  std::lock_guard lock(mutex_);
  if (total_ >= global) return {std::nullopt, Refusal::global};
  auto& mine = by_tenant_[tenant];
  if (mine >= per_tenant) {
    if (mine == 0) by_tenant_.erase(tenant);
    return {std::nullopt, Refusal::tenant};
  }
  ++mine;
  ++total_;
  if (gauge_) ++*gauge_;
  return {Slot(this, tenant), Refusal::global};
}

void StreamSlots::give_back(const std::string& tenant) {
  std::lock_guard lock(mutex_);
  auto it = by_tenant_.find(tenant);
  if (it != by_tenant_.end() && --it->second == 0) by_tenant_.erase(it);
  --total_;
  if (gauge_) --*gauge_;
}

std::size_t StreamSlots::open() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t StreamSlots::open(const std::string& tenant) const {
  std::lock_guard lock(mutex_);
  auto it = by_tenant_.find(tenant);
  return it == by_tenant_.end() ? 0 : it->second;
}

}  // namespace eventsd::http

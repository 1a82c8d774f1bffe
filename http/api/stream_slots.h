// Slots for long-lived event streams: a global cap and a share per tenant, taken and given back
// atomically, so that concurrent opens never exceed either and one tenant opening streams in a
// loop cannot take every other tenant's. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace eventsd::http {

class StreamSlots {
 public:
  // `gauge` (may be null) follows the number of slots taken, for /metrics; it must outlive this.
  explicit StreamSlots(std::atomic<std::int64_t>* gauge = nullptr) : gauge_(gauge) {}

  // A slot taken; gives it back when destroyed. Move-only; must not outlive its StreamSlots.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : slots_(other.slots_), tenant_(std::move(other.tenant_)) { other.slots_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot() {
      if (slots_) slots_->give_back(tenant_);
    }

   private:
    friend class StreamSlots;
    Slot(StreamSlots* slots, std::string tenant) : slots_(slots), tenant_(std::move(tenant)) {}
    StreamSlots* slots_;
    std::string tenant_;
  };

  enum class Refusal { global, tenant };
  // A slot for `tenant` when fewer than `global` streams are open and fewer than `per_tenant` of
  // the tenant's; otherwise which cap was reached.
  struct Taken {
    std::optional<Slot> slot;
    Refusal refusal = Refusal::global;
  };
  Taken take(const std::string& tenant, std::size_t global, std::size_t per_tenant);

  std::size_t open() const;
  std::size_t open(const std::string& tenant) const;

 private:
  void give_back(const std::string& tenant);

  std::atomic<std::int64_t>* gauge_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> by_tenant_;  // only tenants with open streams
};

}  // namespace eventsd::http

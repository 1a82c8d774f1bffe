// The counter changes of one record (ReadModels::CountDeltas), summed per rm_counts key and
// written once when the record is folded: a batch of 100 events of 5 types touches 5 type
// counters, not 500. Internal to projections/: apply_record.cpp makes and flushes one per record,
// event_index.cpp adds to it.
//
// Thread safety: one per record being folded, on the folding thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "projections/read_models.h"

namespace eventsd {

class ReadModels::CountDeltas {
 public:
  // Counts one event with these flags in (insert) or out of the counters of `key`.
  void add(std::string_view key, std::uint8_t flags, bool insert) {
    auto it = deltas_.find(key);
    if (it == deltas_.end()) it = deltas_.emplace(std::string(key), Delta{}).first;
    auto& d = it->second;
    const std::int64_t n = insert ? 1 : -1;
    d[0] += n;
    if (flags & kIdentified) d[1] += n;
    if (flags & kSuppressed) d[2] += n;
    if ((flags & kIdentified) && (flags & kSuppressed)) d[3] += n;
  }

  // Writes the sums into rm_counts (a counter that reaches zero is deleted) and starts over.
  void flush(const ReadModels& models, lmdb::Txn& txn) {
    for (const auto& [key, d] : deltas_) {
      Counters c = models.counters(txn, key);
      c.all += static_cast<std::uint64_t>(d[0]);
      c.identified += static_cast<std::uint64_t>(d[1]);
      c.suppressed += static_cast<std::uint64_t>(d[2]);
      c.identified_suppressed += static_cast<std::uint64_t>(d[3]);
      if (c.all == 0) {
        txn.del(models.dbs_.counts, key);
      } else {
        txn.put(models.dbs_.counts, key, rm::counts_value(c));
      }
    }
    deltas_.clear();
  }

 private:
  using Delta = std::array<std::int64_t, 4>;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Delta, Hash, std::equal_to<>> deltas_;
};

}  // namespace eventsd

// The groups of an aggregate while it runs: dimension values interned to small numbers, one
// accumulator per distinct tuple of them, and the step from accumulators to ordered, zero-filled,
// limited rows. Shared by every way an aggregate is answered (counters, event scans, contacts).
//
// Views handed to add_* (values, number texts) must stay valid until finish() returns: the
// callers run inside one snapshot and finish inside it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "projections/aggregate.h"
#include "projections/data_fields.h"
#include "projections/time_buckets.h"

namespace eventsd {

class GroupTable {
 public:
  using Key = std::array<std::uint32_t, kMaxGroupBy>;  // per dimension: 0 = null, else an id

  struct Numbers {
    std::uint64_t n = 0;
    DecimalSum sum;
    DataNumber min, max;
    std::vector<DataNumber> values;  // kept for percentiles only
  };
  // Distinct ids (contacts, sessions) of a group: appended, and sorted and deduplicated when
  // the list doubles, so memory stays near the distinct count. Consecutive repeats (a visit's
  // events) are dropped at once.
  class Distinct {
   public:
    void add(std::uint32_t id) {
      if (!ids_.empty() && ids_.back() == id) return;
      ids_.push_back(id);
      if (ids_.size() >= 2 * std::max<std::size_t>(settled_, 32)) settle();
    }
    std::size_t count() {
      settle();
      return ids_.size();
    }

   private:
    void settle();
    std::vector<std::uint32_t> ids_;
    std::size_t settled_ = 0;
  };
  struct Acc {
    std::uint64_t count = 0;
    Distinct contacts, sessions;
    std::vector<Numbers> numbers;  // per numeric key (numeric_keys())
  };

  explicit GroupTable(const AggregateRequest& request);

  // The id of a dimension's value (missing and JSON null are 0).
  std::uint32_t value_id(std::size_t dim, FieldValue v);
  // The id of the time bucket holding `t` (the dimension must be a time bucket).
  std::uint32_t bucket_id(std::size_t dim, Millis t);
  // The group's accumulator; null when the group is new and kMaxGroups are taken.
  Acc* group(const Key& key);

  // Interned contact and session ids for the unique_* metrics.
  std::uint32_t contact_id(std::string_view id) { return intern(contacts_, id); }
  std::uint32_t session_id(std::string_view id) { return intern(sessions_, id); }
  // The data members numeric metrics read, each once (Acc::numbers is in this order).
  const std::vector<std::string>& numeric_keys() const { return numeric_keys_; }
  void add_number(Acc& acc, std::size_t slot, const DataNumber& n) const;

  bool wants_contacts() const { return wants_contacts_; }
  bool wants_sessions() const { return wants_sessions_; }

  // Orders, zero-fills and limits the groups into `result` (rows, total_rows, zero_filled).
  void finish(AggregateResult& result);

 private:
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::size_t h = 0;
      for (auto v : k) h = h * 0x9E3779B97F4A7C15ull + v;
      return h;
    }
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Strings to ids, remembering the last one asked for (events come in runs: a visit's contact).
  struct Interner {
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids;
    std::string last;
    std::uint32_t last_id = 0;
  };
  static std::uint32_t intern(Interner& m, std::string_view v);

  struct Dim {
    FieldRef field;
    std::optional<Bucketer> bucketer;      // time buckets
    std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> ids;  // value -> id
    std::vector<std::string> values{""};   // id -> value (index 0: null)
    std::vector<Millis> starts{0};         // id -> bucket start (time buckets)
    std::unordered_map<Millis, std::uint32_t> bucket_ids;
    bool json = false;                     // a data member: values are JSON text
  };

  Cell dim_cell(std::size_t d, std::uint32_t id) const;
  std::vector<Cell> metric_cells(const Acc* acc) const;
  // Adds rows of zeros for the buckets with no data; false when the span is too large.
  bool zero_fill(std::vector<std::pair<Key, const Acc*>>& rows);

  const AggregateRequest& request_;
  std::vector<Dim> dims_;
  std::optional<std::size_t> time_dim_;
  std::unordered_map<Key, std::uint32_t, KeyHash> index_;
  std::vector<Key> keys_;
  std::vector<Acc> accs_;
  Interner contacts_, sessions_;
  std::vector<std::string> numeric_keys_;
  std::vector<bool> keep_values_;  // per numeric key: a percentile needs every value
  std::vector<std::size_t> metric_slot_;  // per metric: its numeric key
  bool wants_contacts_ = false, wants_sessions_ = false;
};

}  // namespace eventsd

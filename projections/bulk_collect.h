// Pass 1 of the bulk fold (bulk_fold.h): what a prefix of the log says, collected in memory. One
// pass over the records gathers every event's index entries into groups (per tenant, per name)
// that are already in key order or nearly, sums the counters per cell of everything a counter key
// can name, and notes the records that do more than insert their own events (deletes, merges,
// regroupings, retention, rules, contacts) for pass 3. bulk_write.h writes what it holds.
// Internal to projections/.
//
// Memory: about 150 bytes per event. Strings are kept once (Dictionary, Arena); the records kept
// for pass 3 view the log snapshot given to collect(), which must stay open while they are used.
//
// Thread safety: one Collected per fold, on the folding thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "eventlog/lmdb.h"
#include "eventlog/log.h"
#include "projections/bulk_fold.h"
#include "projections/read_models.h"

namespace eventsd::bulk {

// An index entry: the event's timestamp, and its sequence number with its flags (kIdentified,
// kSuppressed) in the top two bits (sequence numbers stay far below 2^62).
struct Entry {
  std::int64_t ts;
  std::uint64_t seq_flags;
  std::uint64_t seq() const { return seq_flags & ((std::uint64_t{1} << 62) - 1); }
  std::uint8_t flags() const { return static_cast<std::uint8_t>(seq_flags >> 62); }
  bool operator<(const Entry& o) const { return ts != o.ts ? ts < o.ts : seq() < o.seq(); }
};

// An rm_by_contact entry: with the event's points and name (a Dictionary number).
struct ContactIndexEntry : Entry {
  std::int32_t points;
  std::uint32_t name;
};

struct IdEntry {
  std::string_view id;
  std::uint64_t seq;
};

// Copies of strings that must outlive the record they came from (a record's bytes are copied
// when they are not word-aligned in the map, and the copy goes with the record).
class Arena {
 public:
  std::string_view keep(std::string_view s);

 private:
  static constexpr std::size_t kBlock = std::size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

// Strings seen in the log, numbered from 1 (0: none), each kept once.
class Dictionary {
 public:
  std::uint32_t intern(std::string_view s);
  std::string_view operator[](std::uint32_t id) const { return strings_[id]; }

 private:
  Arena arena_;
  std::unordered_map<std::string_view, std::uint32_t> ids_;
  std::vector<std::string_view> strings_{std::string_view()};
};

// Counters of events that agree on everything a counter key can name.
struct CellKey {
  std::uint32_t tno, name, domain, campaign;
  std::int64_t day;
  std::uint8_t reason;
  bool operator==(const CellKey&) const = default;
};
struct CellHash {
  std::size_t operator()(const CellKey& k) const noexcept {
    std::uint64_t h = k.tno * 0x9E3779B97F4A7C15ull ^ k.name * 0xC2B2AE3D27D4EB4Full ^
                      k.domain * 0x165667B19E3779F9ull ^ k.campaign * 0x27D4EB2F165667C5ull ^
                      static_cast<std::uint64_t>(k.day) * 0x85EBCA77C2B2AE63ull ^ k.reason;
    return static_cast<std::size_t>(h ^ (h >> 31));
  }
};

// The index entries of one tenant, grouped by the name that starts their keys.
struct Tenant {
  std::string_view name;
  std::uint32_t tno = 0;
  std::vector<std::uint64_t> events;
  std::vector<IdEntry> ids;
  std::vector<Entry> by_time;
  std::unordered_map<std::uint32_t, std::vector<Entry>> by_type, by_domain, by_campaign;
  std::unordered_map<std::uint32_t, std::vector<ContactIndexEntry>> by_contact;
  // Unsuppressed events by session subject (visitor_sessions.h): a contact, or an anonymous
  // session id.
  std::unordered_map<std::uint32_t, std::vector<Entry>> contact_points, anonymous_points;
};

// An rm_campaign_expiry entry: a campaign event by its time, the order retention removes them in.
struct CampaignExpiry {
  std::int64_t ts;
  std::uint32_t tno;
  std::uint64_t seq_flags;
  std::uint64_t seq() const { return Entry{ts, seq_flags}.seq(); }
  bool operator<(const CampaignExpiry& o) const {
    return ts != o.ts ? ts < o.ts : tno != o.tno ? tno < o.tno : seq() < o.seq();
  }
};

// A record pass 3 applies: its position, and its view in Collected::views.
struct Mutation {
  std::uint64_t position;
  std::size_t view;
};

// An id used again after its event was deleted or purged: pass 3 puts it at its record's place.
struct Reused {
  std::uint64_t position;
  std::uint32_t tno;
  IdEntry id;
};

// Everything pass 1 found in the log prefix.
struct Collected {
  std::vector<std::unique_ptr<RecordView>> views;  // records pass 3 applies (others reset)
  std::vector<Mutation> mutations;
  std::vector<Reused> reused;                       // ids used again, in log order
  std::vector<std::unique_ptr<Tenant>> tenants;     // in the order numbers were assigned
  Arena strings;                                    // ids and tenant names
  Dictionary names, domains, contacts, campaigns, session_ids;
  std::vector<CampaignExpiry> campaign_expiry;
  std::unordered_map<CellKey, Counters, CellHash> cells;
  std::uint64_t last = 0;    // the last position collected
  std::uint64_t events = 0;  // events collected
};

// Collects the log from position 1, within `limits`, into `out` (empty). False when the prefix
// cannot be folded in bulk: it holds a retention record of the first format, which purged by age,
// not by name.
bool collect(const lmdb::Txn& log_txn, const Log& log, const BulkLimits& limits,
             const std::function<void(std::uint64_t, std::uint64_t)>& progress, Collected& out);

}  // namespace eventsd::bulk

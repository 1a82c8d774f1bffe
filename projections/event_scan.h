// The scan under aggregates and funnels: every live event of a tenant that meets a set of
// conditions, handed to a visitor one by one, read from the narrowest index and from the log only
// when a field the index does not hold is needed.
//
// Plan. Each index key holds the timestamp, so a date range is a key range of any of them; beyond
// that, rm_by_type keys hold the event name, rm_by_domain the domain, rm_by_campaign the campaign
// and rm_by_contact the contact (and its values the event name). The scan walks either one prefix
// (a condition `field eq value` on one of those fields; the smallest by its counter, a contact
// always), a few prefixes (`event one_of [...]`), every prefix of rm_by_type (when the event name
// is all it needs), every prefix of rm_by_contact (identified events only, no date range), or
// rm_by_time. Entries whose flags fail `identified_only`/`suppressed` are dropped from the index
// alone. When a field is needed that the index lacks, matching entries are gathered in chunks of
// at most kScanChunk, sorted by sequence number and read from the log in that order (neighbouring
// events share a log record, which is decoded once), with the overlay of rm_events only for
// identified events when the contact is needed (a merge may have moved them).
//
// Bound. At most `max_examined` index entries are looked at; a scan that stops there with entries
// left says so (`truncated`). Memory is O(kScanChunk) plus the contact lookups' cache (one entry
// per distinct contact examined). Index walks go newest first within each prefix.
//
// Thread safety: a scan is a function call inside the caller's snapshot; nothing is shared.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "projections/contacts.h"
#include "projections/event_fields.h"
#include "projections/event_queries.h"
#include "projections/read_models.h"

namespace eventsd {

inline constexpr std::uint64_t kMaxExamined = 2'000'000;
inline constexpr std::size_t kScanChunk = 256 * 1024;

struct ScanSpec {
  std::optional<Millis> after, before;  // inclusive bounds on the timestamp
  bool identified_only = false;
  SuppressedFilter suppressed = SuppressedFilter::exclude;
  std::vector<Condition> where;         // every one must hold
  std::vector<FieldRef> reads;          // the fields the visitor reads (time buckets need none)
  std::uint64_t max_examined = kMaxExamined;
};

// The list route's filters (event_type, contact_id, domain, campaign_id, url_contains, search,
// dates, identified_only, suppressed) as a scan's conditions.
void add_list_filter(const EventFilter& filter, ScanSpec& spec);

// A contact's profile and its company, looked up once per contact in a scan (the cache starts
// over beyond kMaxEntries contacts). A returned entry is valid until the next lookup.
class ProfileCache {
 public:
  static constexpr std::size_t kMaxEntries = 65'536;
  struct Entry {
    std::optional<ContactProfile> profile;
    std::optional<Company> company;
  };
  ProfileCache(const ReadView& view, std::uint32_t tno) : view_(view), tno_(tno) {}
  const Entry& lookup(std::string_view contact_id);
  // The value of a contact.* or company.* field of the contact.
  FieldValue value(Field field, std::optional<std::string_view> contact_id);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  ReadView view_;
  std::uint32_t tno_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> cache_;
};

// One event as the visitor sees it. Its views are valid during the visit only.
class ScannedEvent {
 public:
  Millis timestamp() const { return ts_; }
  std::uint64_t seq() const { return seq_; }
  bool suppressed() const { return (flags_ & kSuppressed) != 0; }
  // Any field but a time bucket; a field the scan was not told about (ScanSpec::reads) may be
  // missing.
  FieldValue value(const FieldRef& field);

 private:
  friend class EventScan;
  Millis ts_ = 0;
  std::uint64_t seq_ = 0;
  std::uint8_t flags_ = 0;
  const EventView* doc_ = nullptr;  // set when the event was read from the log
  Field key_field_ = Field::event;  // what key_value_ is, when set (the index key's string)
  std::optional<std::string_view> key_value_;
  std::optional<std::string_view> entry_event_;  // from an rm_by_contact value
  const std::vector<std::string>* data_keys_ = nullptr;
  std::vector<std::optional<std::string_view>>* data_values_ = nullptr;
  bool data_read_ = false;
  ProfileCache* profiles_ = nullptr;
};

struct ScanOutcome {
  std::uint64_t examined = 0;  // index entries looked at
  bool truncated = false;      // stopped at max_examined with entries left
  std::string plan;            // which index, and whether events were read from the log
};

// Whether the scan of `spec` would read events from the log (an index lacks a field it needs).
bool scan_reads_log(const ReadView& view, std::uint32_t tno, const ScanSpec& spec);

// Calls visit for each matching event until it returns false. The visitor may not write.
using ScanVisitor = std::function<bool(ScannedEvent&)>;
ScanOutcome scan_events(const ReadView& view, std::uint32_t tno, const ScanSpec& spec,
                        const ScanVisitor& visit);

}  // namespace eventsd

// The key and value layout of every read-model database, in one place: every read-model key is
// made by a function of this header, so each layout is written down once, here. docs/queries.md
// says which query reads which database; ReadModels::kLayoutVersion (read_models.h) must change
// with any layout below, since a generation of another layout is folded again, never read.
//
// In keys (eventlog/keys.h), integers are big-endian, timestamps are i64 with the sign bit flipped
// and strings end in a 0 byte, so LMDB's byte order is the query order. `tno` is the tenant's
// number (u32, assigned in log order), `seq` an event's sequence number (u64: log position << 12 |
// index in the record), `ts` its timestamp, `day` the first millisecond of a UTC day (i64),
// `flags` one byte (kIdentified | kSuppressed). Strings in values have no terminator. Values
// called native are in the machine's byte order: they are read whole, never compared by LMDB.
//
//   database            key                                            value
//   rm_meta             "checkpoint" | "next_tenant" | "layout"        u64, native
//   rm_tenants          tenant id (no terminator)                      tno
//   rm_events           tno, seq                                       EventOverlay (stored_event.h), usually ""
//   rm_ids              tno, event id (no terminator)                  seq
//   rm_by_time          tno, ts, seq                                   flags
//   rm_by_type          tno, event name\0, ts, seq                     flags
//   rm_by_domain        tno, domain\0, ts, seq                         flags
//   rm_by_campaign      tno, campaign id\0, ts, seq                    flags
//   rm_by_contact       tno, contact id\0, ts, seq                     flags, points (i32 as u32), event name
//   rm_counts           tno, CountKind (u8), the kind's dimensions     Counters, native
//   rm_campaigns        tno, campaign id\0                             ""
//   rm_campaign_expiry  ts, tno, seq                                   flags
//   rm_contacts         tno, contact id\0                              profile (JSON)
//   rm_companies        tno, company key\0                             company (JSON)
//   rm_emails           tno, e-mail lower-cased (ASCII)\0              the contact whose profile has it
//   rm_aliases          tno, merged contact\0                          the contact it stands for
//   rm_merged           tno, contact\0, merged contact\0               ""
//   rm_rules            tno, RuleKind (u8)                             the rules as the API shows them (JSON)
//   rm_audit            tno, event id\0, log position (u64)            seq
//   rm_session_points   tno, SessionSubject (u8), subject\0, ts, seq   1 if the event starts a session, else 0
//   rm_sessions         a session's first point's rm_session_points key  ""
//   rm_session_starts   tno, start ts, start seq                       SessionSubject (u8)
//   rm_session_days     tno, day, SessionSubject (u8)                  sessions started that day: u64, native
//
// Every index entry — the keys of rm_by_* and of the sessions' points — ends in [ts][seq]: a range
// of one prefix is in time order, and entry_ts() and entry_seq() read any of them.
//
// Thread safety: pure functions and constants. A Key lives on the stack and never allocates.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/time.h"
#include "eventlog/keys.h"

namespace eventsd {

// What the counters of rm_counts are keyed by: the byte after the tenant number, then the
// kind's dimensions. (A contact's events are counted by scanning its index range: per-contact
// counters would add a random page write to every identified event, the costliest thing the
// writer does.) A missing domain is "".
enum class CountKind : std::uint8_t {
  tenant = 0,           // [tno][0]
  type = 1,             // [tno][1][event name\0]
  domain = 3,           // [tno][3][domain\0]
  campaign = 4,         // [tno][4][campaign id\0]
  type_domain = 5,      // [tno][5][event name\0][domain\0]            all time
  day_type_domain = 6,  // [tno][6][day][event name\0][domain\0]
  day = 7,              // [tno][7][day]
  reason = 8,           // [tno][8][suppression reason u8]             suppressed events only
  day_reason = 9,       // [tno][9][day][suppression reason u8]        suppressed events only
};

// Whose events a session groups (the byte after the tenant number in the sessions' keys).
enum class SessionSubject : std::uint8_t { contact = 'c', anonymous = 's' };

// Which rules rm_rules holds (the byte after the tenant number).
enum class RuleKind : std::uint8_t { suppression = 1, scoring = 2 };

// The flags byte that starts the value of every index entry, so identified/suppressed filters
// need no event fetch.
inline constexpr std::uint8_t kIdentified = 1;
inline constexpr std::uint8_t kSuppressed = 2;

// Per-dimension event counters: the value of rm_counts. Suppressed events are counted apart so
// that every combination of `identified_only` and `suppressed=include|exclude|only` is answered
// without a scan.
struct Counters {
  std::uint64_t all = 0;
  std::uint64_t identified = 0;             // with a contact
  std::uint64_t suppressed = 0;
  std::uint64_t identified_suppressed = 0;
};

// An rm_by_contact value: a contact's score and its velocity windows are read from its index
// range alone.
struct ContactEntry {
  std::uint8_t flags = 0;
  std::int32_t points = 0;
  std::string_view event;
};

namespace rm {

using keys::Key;

// ---- rm_meta
inline constexpr std::string_view kCheckpointKey = "checkpoint";  // the last log position folded
inline constexpr std::string_view kNextTenantKey = "next_tenant";  // the next tenant number
inline constexpr std::string_view kLayoutKey = "layout";           // ReadModels::kLayoutVersion

// ---- every database keyed by tenant first: a tenant's whole range
inline constexpr std::size_t kTenantPrefixSize = 4;
inline Key tenant_prefix(std::uint32_t tno) { Key k; k.u32(tno); return k; }

// ---- rm_tenants (keyed by the tenant id itself)
inline Key tenants_value(std::uint32_t tno) { Key k; k.u32(tno); return k; }
inline std::uint32_t read_tenants_value(std::string_view v) { return keys::read_u32(v, 0); }

// ---- rm_events
inline Key events_key(std::uint32_t tno, std::uint64_t seq) { Key k; k.u32(tno).u64(seq); return k; }
inline std::uint64_t events_key_seq(std::string_view key) { return keys::read_u64(key, kTenantPrefixSize); }

// ---- rm_ids; its values and rm_audit's are a sequence number
inline Key ids_key(std::uint32_t tno, std::string_view event_id) { Key k; k.u32(tno).raw(event_id); return k; }
inline Key seq_value(std::uint64_t seq) { Key k; k.u64(seq); return k; }
inline std::uint64_t read_seq_value(std::string_view v) { return keys::read_u64(v, 0); }

// ---- index entries: any key that ends in [ts][seq], after a prefix that names its range
inline constexpr std::size_t kEntrySuffixSize = 16;
inline Key entry_key(std::string_view prefix, Millis ts, std::uint64_t seq) {
  Key k; k.raw(prefix).i64(ts).u64(seq); return k;
}
// The first key of `prefix`'s range at or after `ts`.
inline Key entry_seek(std::string_view prefix, Millis ts) { Key k; k.raw(prefix).i64(ts); return k; }
inline Millis entry_ts(std::string_view key) { return keys::read_i64(key, key.size() - kEntrySuffixSize); }
inline std::uint64_t entry_seq(std::string_view key) { return keys::read_u64(key, key.size() - 8); }
// An index entry's value: its flags.
inline constexpr char kFlagsValues[4] = {0, 1, 2, 3};
inline std::string_view flags_value(std::uint8_t flags) { return {&kFlagsValues[flags & 3], 1}; }
inline std::uint8_t read_flags_value(std::string_view v) { return v.empty() ? 0 : static_cast<std::uint8_t>(v[0]); }

// ---- rm_by_time (a tenant's range: tenant_prefix)
inline Key by_time_key(std::uint32_t tno, Millis ts, std::uint64_t seq) {
  Key k; k.u32(tno).i64(ts).u64(seq); return k;
}

// ---- rm_by_type, rm_by_domain, rm_by_campaign, rm_by_contact: [tno][name\0][ts][seq]
// One name's range (an event name, a domain, a campaign id, a contact id). The databases keyed
// [tno][name\0] (rm_campaigns, rm_contacts, rm_companies, rm_aliases) share this shape.
inline Key named_prefix(std::uint32_t tno, std::string_view name) { Key k; k.u32(tno).str(name); return k; }
// The name of a key that starts [tno][name\0].
inline std::string_view named_key_name(std::string_view key) {
  return key.substr(kTenantPrefixSize, key.find('\0', kTenantPrefixSize) - kTenantPrefixSize);
}
inline Key named_entry_key(std::uint32_t tno, std::string_view name, Millis ts, std::uint64_t seq) {
  Key k; k.u32(tno).str(name).i64(ts).u64(seq); return k;
}
inline Key by_type_key(std::uint32_t tno, std::string_view event, Millis ts, std::uint64_t seq) {
  return named_entry_key(tno, event, ts, seq);
}
inline Key by_domain_key(std::uint32_t tno, std::string_view domain, Millis ts, std::uint64_t seq) {
  return named_entry_key(tno, domain, ts, seq);
}
inline Key by_campaign_key(std::uint32_t tno, std::string_view campaign, Millis ts, std::uint64_t seq) {
  return named_entry_key(tno, campaign, ts, seq);
}
inline Key by_contact_key(std::uint32_t tno, std::string_view contact, Millis ts, std::uint64_t seq) {
  return named_entry_key(tno, contact, ts, seq);
}
inline Key by_contact_value(std::uint8_t flags, std::int32_t points, std::string_view event) {
  Key k; k.u8(flags).u32(static_cast<std::uint32_t>(points)).raw(event); return k;
}
inline ContactEntry read_by_contact_value(std::string_view v) {
  ContactEntry e;
  if (v.empty()) return e;
  e.flags = static_cast<std::uint8_t>(v[0]);
  if (v.size() >= 5) {
    e.points = static_cast<std::int32_t>(keys::read_u32(v, 1));
    e.event = v.substr(5);
  }
  return e;
}

// ---- rm_counts: [tno][CountKind][dimensions]
inline constexpr std::size_t kCountsPrefixSize = kTenantPrefixSize + 1;
// Every counter of one kind, in key order.
inline Key counts_prefix(std::uint32_t tno, CountKind kind) {
  Key k; k.u32(tno).u8(static_cast<std::uint8_t>(kind)); return k;
}
// The counters of a kind whose first dimension is a day (day, day_type_domain, day_reason), from
// `day` on; counts_key_day reads a key's day.
inline Key counts_day_seek(std::uint32_t tno, CountKind kind, Millis day) {
  Key k = counts_prefix(tno, kind); k.i64(day); return k;
}
inline Millis counts_key_day(std::string_view key) { return keys::read_i64(key, kCountsPrefixSize); }
inline Key counts_tenant_key(std::uint32_t tno) { return counts_prefix(tno, CountKind::tenant); }
// A kind whose one dimension is a name: type, domain, campaign.
inline Key counts_named_key(std::uint32_t tno, CountKind kind, std::string_view name) {
  Key k = counts_prefix(tno, kind); k.str(name); return k;
}
inline Key counts_type_domain_key(std::uint32_t tno, std::string_view event, std::string_view domain) {
  Key k = counts_prefix(tno, CountKind::type_domain); k.str(event).str(domain); return k;
}
inline Key counts_day_type_domain_key(std::uint32_t tno, Millis day, std::string_view event, std::string_view domain) {
  Key k = counts_prefix(tno, CountKind::day_type_domain); k.i64(day).str(event).str(domain); return k;
}
inline Key counts_day_key(std::uint32_t tno, Millis day) { return counts_day_seek(tno, CountKind::day, day); }
inline Key counts_reason_key(std::uint32_t tno, std::uint8_t reason) {
  Key k = counts_prefix(tno, CountKind::reason); k.u8(reason); return k;
}
inline Key counts_day_reason_key(std::uint32_t tno, Millis day, std::uint8_t reason) {
  Key k = counts_prefix(tno, CountKind::day_reason); k.i64(day).u8(reason); return k;
}
inline std::string_view counts_value(const Counters& c) { return {reinterpret_cast<const char*>(&c), sizeof c}; }
inline Counters read_counts_value(std::string_view v) {
  Counters c;
  if (v.size() == sizeof c) std::memcpy(&c, v.data(), sizeof c);
  return c;
}

// ---- rm_campaigns
inline Key campaigns_key(std::uint32_t tno, std::string_view campaign) { return named_prefix(tno, campaign); }

// ---- rm_campaign_expiry: oldest first across tenants
inline Key campaign_expiry_key(Millis ts, std::uint32_t tno, std::uint64_t seq) {
  Key k; k.i64(ts).u32(tno).u64(seq); return k;
}
struct CampaignExpiry {
  Millis ts;
  std::uint32_t tno;
  std::uint64_t seq;
};
inline CampaignExpiry read_campaign_expiry_key(std::string_view key) {
  return {keys::read_i64(key, 0), keys::read_u32(key, 8), keys::read_u64(key, 12)};
}

// ---- rm_contacts, rm_companies, rm_aliases (named_key_name reads their keys)
inline Key contacts_key(std::uint32_t tno, std::string_view contact) { return named_prefix(tno, contact); }
inline Key companies_key(std::uint32_t tno, std::string_view company) { return named_prefix(tno, company); }
inline Key aliases_key(std::uint32_t tno, std::string_view merged) { return named_prefix(tno, merged); }
// ---- rm_emails: the caller lower-cases the address (ASCII letters only, as contacts.cpp does)
inline Key emails_key(std::uint32_t tno, std::string_view email) { return named_prefix(tno, email); }

// ---- rm_merged (a contact's range: merged_prefix)
inline Key merged_prefix(std::uint32_t tno, std::string_view contact) { return named_prefix(tno, contact); }
inline Key merged_key(std::uint32_t tno, std::string_view contact, std::string_view merged) {
  Key k; k.u32(tno).str(contact).str(merged); return k;
}
// The merged contact of a key of the range merged_prefix(...), whose size is `prefix_size`.
inline std::string_view merged_key_member(std::string_view key, std::size_t prefix_size) {
  return key.substr(prefix_size, key.size() - prefix_size - 1);
}

// ---- rm_rules
inline Key rules_key(std::uint32_t tno, RuleKind kind) {
  Key k; k.u32(tno).u8(static_cast<std::uint8_t>(kind)); return k;
}

// ---- rm_audit (an event id's range: audit_prefix)
inline Key audit_prefix(std::uint32_t tno, std::string_view event_id) { return named_prefix(tno, event_id); }
inline Key audit_key(std::uint32_t tno, std::string_view event_id, std::uint64_t position) {
  Key k = audit_prefix(tno, event_id); k.u64(position); return k;
}
inline std::uint64_t audit_key_position(std::string_view key) { return keys::read_u64(key, key.size() - 8); }

// ---- rm_session_points and rm_sessions: a subject's entries (entry_key) after this prefix
inline Key session_subject_prefix(std::uint32_t tno, SessionSubject kind, std::string_view subject) {
  Key k; k.u32(tno).u8(static_cast<std::uint8_t>(kind)).str(subject); return k;
}
inline constexpr char kSessionPointValues[2] = {0, 1};
inline std::string_view session_point_value(bool starts_session) { return {&kSessionPointValues[starts_session], 1}; }
inline bool read_session_point_value(std::string_view v) { return !v.empty() && v[0] == 1; }

// ---- rm_session_starts
inline Key session_starts_key(std::uint32_t tno, Millis ts, std::uint64_t seq) {
  Key k; k.u32(tno).i64(ts).u64(seq); return k;
}
// The tenant's sessions started at or after `ts`.
inline Key session_starts_seek(std::uint32_t tno, Millis ts) { Key k; k.u32(tno).i64(ts); return k; }
inline Millis session_starts_ts(std::string_view key) { return keys::read_i64(key, kTenantPrefixSize); }

// ---- rm_session_days
inline Key session_days_key(std::uint32_t tno, Millis day, SessionSubject kind) {
  Key k; k.u32(tno).i64(day).u8(static_cast<std::uint8_t>(kind)); return k;
}
// The tenant's days from `day` on.
inline Key session_days_seek(std::uint32_t tno, Millis day) { Key k; k.u32(tno).i64(day); return k; }
inline Millis session_days_day(std::string_view key) { return keys::read_i64(key, kTenantPrefixSize); }
inline std::uint8_t session_days_kind(std::string_view key) {
  return static_cast<std::uint8_t>(key[kTenantPrefixSize + 8]);
}

}  // namespace rm
}  // namespace eventsd

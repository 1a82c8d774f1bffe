// Sessions: a subject's unsuppressed events, split where more than 30 minutes pass between two of
// them (seed 002: suppressed events do not contribute to session creation). The subject is the
// event's contact (after merges), or, for an anonymous event, its session_id; an anonymous event
// without a session_id belongs to no session.
//
// The model is folded from the same calls that index events (ReadModels::index, on every insert
// and removal: ingest, delete, merge, regrouping, retention), so it is a pure function of the log
// like every read model, and each call keeps it exact by looking only at the event's neighbours:
// an event joins, extends, bridges or starts a session; removing one shrinks, splits or ends it.
// The key layouts are in read_model_keys.h; docs/queries.md says how the fold and the reads use them.
//
// Thread safety: immutable after construction (database handles only); state lives in the
// transactions passed in.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/lmdb.h"
#include "common/time.h"
#include "projections/read_model_keys.h"
#include "projections/stored_event.h"

namespace eventsd {

struct ReadView;

// Two events further apart than this are in different sessions.
inline constexpr Millis kSessionGap = 30 * 60 * 1000;

struct SessionDbs {
  MDB_dbi points;    // rm_session_points: each subject's unsuppressed events, marked when they start a session
  MDB_dbi sessions;  // rm_sessions: each subject's sessions (the points that start one)
  MDB_dbi starts;    // rm_session_starts: the tenant's sessions by start time
  MDB_dbi days;      // rm_session_days: how many sessions started each UTC day
};

class SessionsModel {
 public:
  static constexpr std::array<const char*, 4> kDbNames = {"rm_session_points", "rm_sessions",
                                                          "rm_session_starts", "rm_session_days"};
  SessionsModel() = default;
  explicit SessionsModel(SessionDbs dbs) : dbs_(dbs) {}
  const SessionDbs& dbs() const { return dbs_; }

  // Adds (insert) or removes the event `seq` as it is seen now (contact after merges, suppression
  // after regrouping). A removal must see the event as its insertion did.
  void index(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq, const EventView& event,
             bool insert) const;

 private:
  SessionDbs dbs_{};
};

struct Session {
  Millis started_at = 0;
  Millis ended_at = 0;             // the last event's timestamp
  std::uint64_t event_count = 0;   // unsuppressed events
};

struct SessionPage {
  std::vector<Session> sessions;  // newest first
  std::uint64_t total = 0;        // the contact's sessions, whatever the page
};

// A contact's sessions, newest first; `offset` sessions skipped, at most `limit` returned.
// Costs a walk of the contact's sessions plus the events of those returned.
SessionPage contact_sessions(const ReadView& view, std::uint32_t tno, std::string_view contact,
                             std::uint64_t offset, std::uint32_t limit);
std::uint64_t count_contact_sessions(const ReadView& view, std::uint32_t tno, std::string_view contact);

// Sessions of the tenant whose first event lies in [after, before] (either may be unset), of
// contacts only when `identified_only`. Whole days are read from the per-day counters, a day cut
// by a bound from the start index.
std::uint64_t count_sessions(const ReadView& view, std::uint32_t tno, std::optional<Millis> after,
                             std::optional<Millis> before, bool identified_only);

}  // namespace eventsd

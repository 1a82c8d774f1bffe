// Aggregated counts (GET /v1/events/stats, GET /v1/events/types), answered from the counters the
// events read model keeps (CountKind), not by scanning events. Only a date bound that falls
// inside a day makes the query scan: the events of that partial day. docs/queries.md has the
// costs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eventlog/lmdb.h"
#include "common/time.h"
#include "projections/read_models.h"

namespace eventsd {

struct StatsQuery {
  std::optional<std::string> event_type;
  std::optional<std::string> domain;
  std::optional<Millis> after;   // inclusive
  std::optional<Millis> before;  // inclusive
  bool identified_only = false;
  // by_day covers the kStatsDays UTC calendar days ending with the day of `now` (or of `before`,
  // when earlier): days without events are not listed, and older days are not either.
  Millis now = 0;
};

inline constexpr std::size_t kStatsTopN = 50;
inline constexpr std::size_t kStatsDays = 90;

struct Stats {
  std::uint64_t total = 0;       // unsuppressed events
  std::uint64_t suppressed = 0;  // suppressed events, counted apart
  // Unsuppressed counts, largest first (ties by name), at most 50 each.
  std::vector<std::pair<std::string, std::uint64_t>> by_type;
  std::vector<std::pair<std::string, std::uint64_t>> by_domain;
  // Days (UTC day start) of the calendar window with unsuppressed events, newest first.
  std::vector<std::pair<Millis, std::uint64_t>> by_day;
  // Sessions (projections/visitor_sessions.h) that started within the date bounds; event_type and domain
  // do not narrow it (a session is not of one type), identified_only keeps contacts' sessions.
  std::uint64_t sessions = 0;
};

Stats compute_stats(const ReadView& view, std::uint32_t tno,
                    const StatsQuery& query);

// Suppressed events by reason, all time and per day (the 90 most recent days that have any,
// newest first). Index by schema::SuppressionReason.
struct SuppressionStats {
  std::array<std::uint64_t, 4> by_reason{};
  std::vector<std::pair<Millis, std::array<std::uint64_t, 4>>> by_day;
};
SuppressionStats suppression_stats(const ReadView& view, std::uint32_t tno);

// The distinct event names of the tenant, in byte order.
std::vector<std::string> event_types(const ReadView& view,
                                     std::uint32_t tno);

}  // namespace eventsd

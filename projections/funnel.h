// Funnels (POST /v1/aggregate/funnel): how many contacts went through 2-10 steps in order, each
// step an event name with optional conditions, within a conversion window of their first step.
//
// Per contact (anonymous events cannot be followed and do not count): every event of a first
// step inside the date range is a possible start; from a start, each next step is the earliest
// event of that step after the previous step's event (timestamp order, then recording order; one
// event is never two steps) and no later than the start plus the window. The contact reaches the
// furthest step any start reaches; its times between steps are those of the earliest start that
// reaches that far. Broken down by a dimension, a contact counts under the value of its starts'
// events, with its best start among those of that value (so a contact whose starts differ in
// value counts under each), while the totals count it once.
//
// The events are those of the steps' names (rm_by_type over those names, or rm_by_contact when
// the date range is open and no step needs the log), from the date range's start to its end plus
// the window, at most `max_examined` index entries (event_scan.h). Memory: one record of 32 bytes
// per matching event, grouped by contact at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "projections/aggregate.h"
#include "projections/event_fields.h"
#include "projections/event_queries.h"
#include "projections/read_models.h"

namespace eventsd {

inline constexpr std::size_t kMinFunnelSteps = 2;
inline constexpr std::size_t kMaxFunnelSteps = 10;
inline constexpr Millis kDefaultFunnelWindow = 14 * kMillisPerDay;
inline constexpr Millis kMaxFunnelWindow = 365 * kMillisPerDay;

struct FunnelStep {
  std::string event;
  std::vector<Condition> where;
};

struct FunnelRequest {
  std::vector<FunnelStep> steps;
  Millis window = kDefaultFunnelWindow;
  EventFilter filter;             // every step's events; the date range bounds the first step
  std::vector<Condition> where;   // every step's events
  std::optional<FieldRef> breakdown;  // not a time bucket
  std::uint32_t limit = kDefaultAggregateLimit;  // breakdown values listed
  std::uint64_t max_examined = kMaxExamined;
};

struct FunnelStepResult {
  std::uint64_t count = 0;                    // contacts that reached the step
  std::optional<Millis> median_from_previous;  // nearest-rank median; unset for the first step
};

struct FunnelSeries {
  Cell value;  // the breakdown's value (null, a string, a data member's JSON text)
  std::vector<FunnelStepResult> steps;
};

struct FunnelResult {
  std::vector<FunnelStepResult> steps;
  std::vector<FunnelSeries> breakdown;  // most first-step contacts first, at most `limit`
  std::uint64_t breakdown_values = 0;   // before `limit`
  std::uint64_t examined = 0;
  bool truncated = false;               // stopped at max_examined: the counts cover part
  std::string plan;
};

FunnelResult run_funnel(const ReadView& view, std::optional<std::uint32_t> tno,
                        const FunnelRequest& request);

}  // namespace eventsd

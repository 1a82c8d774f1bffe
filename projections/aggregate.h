// Aggregates (POST /v1/aggregate): events, contacts or companies that meet filters, grouped by up
// to three dimensions, with metrics per group.
//
// How an aggregate is answered:
//  * from the counters (rm_counts, no event looked at) when it asks for `count` of events
//    grouped by at most event name, domain and UTC day, filtered by at most event type, domain,
//    identified_only, suppressed and date bounds on UTC midnights;
//  * otherwise by a scan (projections/event_scan.h): the narrowest index, the log only for fields
//    the index lacks, at most `max_examined` index entries. For contacts, the walk goes over the
//    contacts' profiles and their ranges of rm_by_contact; for companies, over the profiles.
//
// Bounds: groups are capped at kMaxGroups (the answer says `max_groups` when a new group had no
// room left and stops there); the answer lists at most `limit` rows after ordering. Time buckets
// are zero-filled from the request's date range (else from the first to the last bucket with
// data) when that spans at most kMaxBuckets buckets and kMaxFilledRows rows.
//
// Everything is read inside the caller's snapshot and copied into the result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "projections/event_fields.h"
#include "projections/event_queries.h"
#include "projections/event_scan.h"
#include "projections/read_models.h"
#include "projections/time_buckets.h"

namespace eventsd {

enum class AggregateSource { events, contacts, companies };
std::string_view source_name(AggregateSource source);  // "events", "contacts", "companies"

enum class MetricKind { count, unique_contacts, unique_sessions, sum, avg, min, max, p50, p95 };

// `count`, `unique_contacts`, `unique_sessions`, or `sum(data.amount)` (sum, avg, min, max, p50,
// p95 of a data member's numbers; events without a number there are left out of it).
struct Metric {
  MetricKind kind = MetricKind::count;
  std::string key;  // the data member of a numeric metric
  bool operator==(const Metric&) const = default;
};
std::optional<Metric> parse_metric(std::string_view name);
std::string metric_name(const Metric& m);

inline constexpr std::size_t kMaxGroupBy = 3;
inline constexpr std::size_t kMaxMetrics = 20;
inline constexpr std::uint32_t kDefaultAggregateLimit = 100;
inline constexpr std::uint32_t kMaxAggregateLimit = 10'000;
inline constexpr std::size_t kMaxGroups = 100'000;
inline constexpr std::size_t kMaxBuckets = 10'000;
inline constexpr std::size_t kMaxFilledRows = 100'000;

// What each source can be grouped by and measured with (the others are a 400).
// events: every field and time bucket, every metric. contacts: contact_id, contact.*,
// company.*, and a time bucket (of the contact's first matching event); count. companies:
// company.*; count and unique_contacts.
bool dimension_allowed(AggregateSource source, const FieldRef& f);
bool metric_allowed(AggregateSource source, const Metric& m);

struct AggregateOrder {
  bool by_metric = true;
  std::size_t index = 0;  // into metrics or group_by
  bool descending = true;
};

struct AggregateRequest {
  AggregateSource source = AggregateSource::events;
  EventFilter filter;             // which events count (for contacts and companies: which
                                  // events a contact must have one of, when any is given)
  std::vector<Condition> where;   // on event, data, contact and company fields
  std::vector<FieldRef> group_by;  // at most kMaxGroupBy, at most one time bucket
  Zone zone;                      // of the time buckets
  std::vector<Metric> metrics;    // at least one
  // Unset: a time bucket ascending if grouped by one, else the first metric descending. Ties
  // are ordered by the dimensions, ascending.
  std::optional<AggregateOrder> order;
  std::uint32_t limit = kDefaultAggregateLimit;
  std::uint64_t max_examined = kMaxExamined;
  bool use_counters = true;  // false: scan even when the counters could answer (tests, benches)
};

// One value of an answer. Dimensions: null, a string, a data member's JSON text, a time bucket
// (its label; `number` is its start). Metrics: null or a number (its JSON text and value).
struct Cell {
  enum class Kind : std::uint8_t { null, text, json, number, time } kind = Kind::null;
  std::string text;
  double number = 0;
};

struct AggregateRow {
  std::vector<Cell> dims;     // as group_by
  std::vector<Cell> metrics;  // as metrics
};

struct AggregateResult {
  std::vector<AggregateRow> rows;  // ordered, at most `limit`
  std::uint64_t total_rows = 0;    // before `limit`
  bool zero_filled = false;        // time buckets without data are rows of zeros
  std::uint64_t examined = 0;      // index entries (events, contacts) looked at
  std::optional<std::string> truncated;  // "max_examined" or "max_groups": the rows cover part
  std::string plan;                // how it was answered ("rm_counts", an index, "+ log")
};

// `tno` unset: a tenant with nothing recorded (every answer is empty).
AggregateResult run_aggregate(const ReadView& view, std::optional<std::uint32_t> tno,
                              const AggregateRequest& request);

// The number of buckets [bucket of lo .. bucket of hi] spans, counting at most `cap` + 1.
std::size_t count_buckets(Bucketer& bucketer, Millis lo, Millis hi, std::size_t cap);

}  // namespace eventsd

#include "projections/funnel.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "projections/event_scan.h"

namespace eventsd {

namespace {

// One event of some step, as the funnel keeps it.
struct Hit {
  std::uint32_t contact;
  std::uint32_t value;  // the breakdown's value id (0: null)
  Millis ts;
  std::uint64_t seq;
  std::uint16_t steps;  // bit k: the event is an event of step k
};

// The best way one contact went through the funnel from a set of starts.
struct Path {
  std::size_t level = 0;     // steps reached
  std::vector<Millis> times;  // of each step reached
};

// Per contact: the index of the next event of step k at or after position p.
class NextIndex {
 public:
  NextIndex(const Hit* hits, std::size_t m, std::size_t steps) : m_(m), next_(steps * (m + 1)) {
    for (std::size_t k = 0; k < steps; ++k) {
      std::size_t* row = &next_[k * (m + 1)];
      row[m] = m;
      for (std::size_t p = m; p-- > 0;) row[p] = (hits[p].steps >> k) & 1 ? p : row[p + 1];
    }
  }
  std::size_t at(std::size_t k, std::size_t p) const { return next_[k * (m_ + 1) + p]; }

 private:
  std::size_t m_;
  std::vector<std::size_t> next_;
};

// Follows the funnel from the start at hits[i].
Path follow(const Hit* hits, std::size_t m, const NextIndex& next, std::size_t steps, std::size_t i, Millis window) {
  Path p;
  p.level = 1;
  p.times.push_back(hits[i].ts);
  const Millis deadline = hits[i].ts > std::numeric_limits<Millis>::max() - window
                              ? std::numeric_limits<Millis>::max()
                              : hits[i].ts + window;
  std::size_t cur = i;
  for (std::size_t k = 1; k < steps; ++k) {
    const std::size_t j = next.at(k, cur + 1);
    if (j == m || hits[j].ts > deadline) break;
    ++p.level;
    p.times.push_back(hits[j].ts);
    cur = j;
  }
  return p;
}

struct Tally {
  std::vector<std::uint64_t> counts;
  std::vector<std::vector<Millis>> gaps;  // per step: time from the previous step
  explicit Tally(std::size_t steps) : counts(steps), gaps(steps) {}
  void add(const Path& p) {
    for (std::size_t k = 0; k < p.level; ++k) {
      ++counts[k];
      if (k > 0) gaps[k].push_back(p.times[k] - p.times[k - 1]);
    }
  }
  std::vector<FunnelStepResult> results() {
    std::vector<FunnelStepResult> out(counts.size());
    for (std::size_t k = 0; k < counts.size(); ++k) {
      out[k].count = counts[k];
      if (k == 0 || gaps[k].empty()) continue;
      auto& g = gaps[k];
      const std::size_t rank = (g.size() + 1) / 2;  // nearest rank of the 50th percentile
      std::nth_element(g.begin(), g.begin() + static_cast<long>(rank - 1), g.end());
      out[k].median_from_previous = g[rank - 1];
    }
    return out;
  }
};

}  // namespace

FunnelResult run_funnel(const ReadView& view, std::optional<std::uint32_t> tno, const FunnelRequest& r) {
  FunnelResult result;
  const std::size_t steps = r.steps.size();
  Tally total(steps);
  if (!tno) {
    result.steps = total.results();
    result.plan = "none (the tenant has recorded nothing)";
    return result;
  }

  ScanSpec spec;
  EventFilter filter = r.filter;
  filter.identified_only = true;
  add_list_filter(filter, spec);
  // Later steps may follow the last start by up to the window.
  if (spec.before) {
    spec.before = *spec.before > std::numeric_limits<Millis>::max() - r.window
                      ? std::numeric_limits<Millis>::max()
                      : *spec.before + r.window;
  }
  spec.where.insert(spec.where.end(), r.where.begin(), r.where.end());
  Condition names;
  names.field = FieldRef{Field::event, {}};
  names.op = Op::one_of;
  for (const auto& s : r.steps) {
    if (std::find(names.values.begin(), names.values.end(), s.event) == names.values.end()) {
      names.values.push_back(s.event);
    }
  }
  spec.where.push_back(names);
  spec.max_examined = r.max_examined;
  const FieldRef contact_field{Field::contact_id, {}}, event_field{Field::event, {}};
  spec.reads = {contact_field, event_field};
  for (const auto& s : r.steps) {
    for (const auto& c : s.where) spec.reads.push_back(c.field);
  }
  if (r.breakdown) spec.reads.push_back(*r.breakdown);

  std::unordered_map<std::string, std::uint32_t> contacts;
  std::unordered_map<std::string, std::uint32_t> value_ids;
  std::vector<FieldValue::Kind> value_kinds{FieldValue::Kind::missing};
  std::vector<std::string> values{""};
  std::vector<Hit> hits;
  std::string scratch;
  const ScanOutcome outcome = scan_events(view, *tno, spec, [&](ScannedEvent& e) {
    const FieldValue name = e.value(event_field);
    std::uint16_t mask = 0;
    for (std::size_t k = 0; k < steps; ++k) {
      if (name.v != r.steps[k].event) continue;
      const bool ok = std::all_of(r.steps[k].where.begin(), r.steps[k].where.end(), [&](const Condition& c) {
        return condition_holds(c, e.value(c.field), scratch);
      });
      if (ok) mask |= static_cast<std::uint16_t>(1u << k);
    }
    if (mask == 0) return true;
    const FieldValue contact = e.value(contact_field);
    if (!contact.present()) return true;
    Hit h{};
    h.contact = contacts.emplace(std::string(contact.v), static_cast<std::uint32_t>(contacts.size())).first->second;
    if (r.breakdown) {
      const FieldValue v = e.value(*r.breakdown);
      if (v.present()) {
        auto [it, added] = value_ids.emplace(std::string(v.v), static_cast<std::uint32_t>(values.size()));
        if (added) {
          values.emplace_back(v.v);
          value_kinds.push_back(v.kind);
        }
        h.value = it->second;
      }
    }
    h.ts = e.timestamp();
    h.seq = e.seq();
    h.steps = mask;
    hits.push_back(h);
    return true;
  });
  result.examined = outcome.examined;
  result.truncated = outcome.truncated;
  result.plan = outcome.plan;

  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return std::tie(a.contact, a.ts, a.seq) < std::tie(b.contact, b.ts, b.seq);
  });
  const Millis first_from = r.filter.after.value_or(std::numeric_limits<Millis>::min());
  const Millis first_to = r.filter.before.value_or(std::numeric_limits<Millis>::max());
  std::unordered_map<std::uint32_t, Tally> by_value;
  for (std::size_t lo = 0; lo < hits.size();) {
    std::size_t hi = lo;
    while (hi < hits.size() && hits[hi].contact == hits[lo].contact) ++hi;
    const Hit* h = &hits[lo];
    const std::size_t m = hi - lo;
    const NextIndex next(h, m, steps);
    Path best;
    std::unordered_map<std::uint32_t, Path> best_by_value;
    for (std::size_t i = 0; i < m; ++i) {
      if (!(h[i].steps & 1) || h[i].ts < first_from || h[i].ts > first_to) continue;
      Path p = follow(h, m, next, steps, i, r.window);
      if (p.level > best.level) best = p;
      if (r.breakdown) {
        Path& b = best_by_value[h[i].value];
        if (p.level > b.level) b = std::move(p);
      }
    }
    if (best.level > 0) total.add(best);
    for (const auto& [value, p] : best_by_value) by_value.try_emplace(value, steps).first->second.add(p);
    lo = hi;
  }
  result.steps = total.results();

  for (auto& [value, tally] : by_value) {
    FunnelSeries s;
    if (value != 0) {
      s.value.kind = value_kinds[value] == FieldValue::Kind::json ? Cell::Kind::json : Cell::Kind::text;
      s.value.text = values[value];
    }
    s.steps = tally.results();
    result.breakdown.push_back(std::move(s));
  }
  std::sort(result.breakdown.begin(), result.breakdown.end(), [](const FunnelSeries& a, const FunnelSeries& b) {
    if (a.steps[0].count != b.steps[0].count) return a.steps[0].count > b.steps[0].count;
    if ((a.value.kind == Cell::Kind::null) != (b.value.kind == Cell::Kind::null)) return a.value.kind == Cell::Kind::null;
    return a.value.text < b.value.text;
  });
  result.breakdown_values = result.breakdown.size();
  if (result.breakdown.size() > r.limit) result.breakdown.resize(r.limit);
  return result;
}

}  // namespace eventsd

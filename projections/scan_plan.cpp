#include "projections/scan_plan.h"

#include <algorithm>
#include <limits>

namespace eventsd {

namespace {

// The fields a field's value is computed from (a path from the url, a company from the contact).
void add_sources(const FieldRef& f, std::vector<Field>& out) {
  if (is_time_bucket(f.field)) return;
  if (is_profile_field(f.field)) out.push_back(Field::contact_id);
  else if (f.field == Field::path) out.push_back(Field::url);
  else out.push_back(f.field);
}

class Planner {
 public:
  Planner(const ReadView& view, std::uint32_t tno, const ScanSpec& spec) : view_(view), tno_(tno), spec_(spec) {}

  ScanPlan choose() {
    const auto& dbs = view_.models.dbs();
    const Counters tenant = view_.models.counters(view_.txn, rm::counts_tenant_key(tno_));
    std::vector<ScanPlan> candidates;
    {
      ScanPlan d;
      d.db = dbs.by_time;
      d.estimate = tenant.all;
      candidates.push_back(d);
    }
    for (std::size_t i = 0; i < spec_.where.size(); ++i) {
      const Condition& c = spec_.where[i];
      const bool eq = c.op == Op::eq && c.value == Condition::Value::string;
      if (!(eq || (c.op == Op::one_of && c.field.field == Field::event))) continue;
      const auto index = field_index(dbs, c.field.field);
      if (!index) continue;
      ScanPlan d = over(*index, ScanPlan::Kind::prefixes);
      d.guaranteed = static_cast<int>(i);
      d.values = eq ? std::vector<std::string>{c.text} : c.values;
      for (const auto& v : d.values) {
        const auto counters = range_counters(view_, tno_, *index, v);
        d.estimate += counters ? counters->all : 1;
      }
      candidates.push_back(d);
      if (index->always_drives()) return finish(d);
    }
    {
      ScanPlan d = over(*field_index(dbs, Field::event), ScanPlan::Kind::all_values);
      d.estimate = tenant.all;
      candidates.push_back(d);
    }
    if (spec_.identified_only && !spec_.after && !spec_.before) {
      ScanPlan d = over(*field_index(dbs, Field::contact_id), ScanPlan::Kind::all_values);
      d.estimate = tenant.identified;
      candidates.push_back(d);
    }
    {
      // The log itself, in order: no sorting and no overlay lookups, but every event of the
      // tenant is read, whatever the date range.
      ScanPlan d;
      d.kind = ScanPlan::Kind::seq;
      d.db = dbs.events;
      d.name = "rm_events";
      d.estimate = tenant.all;
      candidates.push_back(d);
    }
    // An event read from the log costs about what walking three or four index entries does;
    // in log order a little less (the gathered entries need no sorting, overlays no lookup).
    const double in_range = range_fraction(tenant);
    auto cost = [&](const ScanPlan& d) {
      if (d.kind == ScanPlan::Kind::seq) return static_cast<double>(d.estimate) * 3;
      return static_cast<double>(d.estimate) * in_range * (needs_log(d) ? 4 : 1);
    };
    return finish(*std::min_element(candidates.begin(), candidates.end(),
                                    [&](const ScanPlan& a, const ScanPlan& b) { return cost(a) < cost(b); }));
  }

 private:
  static ScanPlan over(const FieldIndex& index, ScanPlan::Kind kind) {
    ScanPlan d;
    d.kind = kind;
    d.db = index.db;
    d.name = index.name;
    d.index = index;
    return d;
  }

  // Whether matching needs a field that `d`'s entries do not hold.
  bool needs_log(const ScanPlan& d) const {
    std::vector<Field> needed;
    for (const auto& f : spec_.reads) add_sources(f, needed);
    for (std::size_t i = 0; i < spec_.where.size(); ++i) {
      if (static_cast<int>(i) == d.guaranteed) continue;
      const auto& c = spec_.where[i];
      if (c.op == Op::search) {
        needed.insert(needed.end(), {Field::event, Field::url, Field::domain});
      } else {
        add_sources(c.field, needed);
      }
    }
    return std::any_of(needed.begin(), needed.end(), [&](Field f) { return !d.supplies(f); });
  }

  ScanPlan finish(ScanPlan d) const {
    d.reads_log = d.kind == ScanPlan::Kind::seq || needs_log(d);
    std::vector<Field> needed;
    for (const auto& f : spec_.reads) add_sources(f, needed);
    for (const auto& c : spec_.where) add_sources(c.field, needed);
    d.needs_contact = std::find(needed.begin(), needed.end(), Field::contact_id) != needed.end();
    return d;
  }

  // The share of the tenant's events inside the date range, from the per-day counters.
  double range_fraction(const Counters& tenant) const {
    if ((!spec_.after && !spec_.before) || tenant.all == 0) return 1.0;
    const rm::Key prefix = rm::counts_prefix(tno_, CountKind::day);
    const Millis first = spec_.after ? day_start(*spec_.after) : std::numeric_limits<Millis>::min();
    std::uint64_t n = 0;
    lmdb::Cursor cursor(view_.txn, view_.models.dbs().counts);
    for (bool ok = cursor.seek(spec_.after ? rm::counts_day_seek(tno_, CountKind::day, first).view() : prefix.view());
         ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
      if (spec_.before && rm::counts_key_day(cursor.key()) > *spec_.before) break;
      n += rm::read_counts_value(cursor.value()).all;
    }
    return std::min(1.0, static_cast<double>(n) / static_cast<double>(tenant.all));
  }

  const ReadView& view_;
  std::uint32_t tno_;
  const ScanSpec& spec_;
};

}  // namespace

std::string ScanPlan::text() const {
  std::string p = name;
  if (kind == Kind::all_values) p += " (every key)";
  if (kind == Kind::prefixes) p += values.size() == 1 ? " (one key)" : " (some keys)";
  if (reads_log && kind != Kind::seq) p += " + log";
  if (kind == Kind::seq) p += " + log (in log order)";
  return p;
}

ScanPlan plan_scan(const ReadView& view, std::uint32_t tno, const ScanSpec& spec) {
  return Planner(view, tno, spec).choose();
}

}  // namespace eventsd

#include "projections/time_buckets.h"

#include <date/tz.h>

#include <chrono>
#include <cstdio>
#include <limits>

namespace eventsd {

namespace {

namespace chr = std::chrono;
using ms = chr::milliseconds;

constexpr Millis kHour = 3'600'000;

Millis floor_div(Millis a, Millis b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool plausible_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return name.front() != '/' && name.find("..") == std::string_view::npos;
}

Millis to_millis(date::sys_seconds t) {
  // The database's "forever" ends are far beyond any timestamp an event can carry (year 9999).
  constexpr auto kFar = chr::seconds(std::numeric_limits<Millis>::max() / 1000 / 2);
  if (t.time_since_epoch() >= kFar) return std::numeric_limits<Millis>::max() / 2;
  if (t.time_since_epoch() <= -kFar) return std::numeric_limits<Millis>::min() / 2;
  return chr::duration_cast<ms>(t.time_since_epoch()).count();
}

// Local-calendar arithmetic on local times expressed as milliseconds since 1970-01-01T00:00.
Millis local_day(Millis local) { return floor_div(local, kMillisPerDay) * kMillisPerDay; }

Millis local_unit_start(Millis local, TimeUnit unit) {
  const Millis day = local_day(local);
  const Millis days = day / kMillisPerDay;
  switch (unit) {
    case TimeUnit::week: {
      const Millis weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday = 0
      return day - weekday * kMillisPerDay;
    }
    case TimeUnit::month: {
      const date::year_month_day ymd{date::sys_days{date::days{days}}};
      const date::sys_days first{ymd.year() / ymd.month() / 1};
      return Millis{first.time_since_epoch().count()} * kMillisPerDay;
    }
    default: return day;
  }
}

Millis local_unit_step(Millis start, TimeUnit unit, int n) {
  switch (unit) {
    case TimeUnit::week: return start + 7 * kMillisPerDay * n;
    case TimeUnit::month: {
      const date::year_month_day ymd{date::sys_days{date::days{start / kMillisPerDay}}};
      const date::sys_days next{(ymd.year() / ymd.month() / 1) + date::months{n}};
      return Millis{next.time_since_epoch().count()} * kMillisPerDay;
    }
    default: return start + kMillisPerDay * n;
  }
}

}  // namespace

std::optional<Zone> Zone::find(std::string_view name) {
  if (!plausible_zone_name(name)) return std::nullopt;
  Zone z;
  z.name_ = std::string(name);
  if (name == "UTC") return z;
  try {
    const date::time_zone* tz = date::locate_zone(name);
    // No transition in the years an event can have (1970-9999) and a zero offset: UTC itself.
    const auto info = tz->get_info(date::sys_seconds{chr::seconds{0}});
    const bool fixed_utc = info.offset.count() == 0 && info.begin <= date::sys_days{date::year{1970} / 1 / 1} &&
                           info.end >= date::sys_days{date::year{10000} / 1 / 1};
    if (!fixed_utc) z.zone_ = tz;
    return z;
  } catch (const std::exception&) {
    // Not in the database (date reports it as runtime_error), or no database at all.
    return std::nullopt;
  }
}

Zone::Offset Zone::offset_at(Millis t) const {
  if (!zone_) return {0, std::numeric_limits<Millis>::min() / 2, std::numeric_limits<Millis>::max() / 2};
  const auto info = zone_->get_info(date::sys_seconds{chr::seconds{floor_div(t, 1000)}});
  return {Millis{info.offset.count()} * 1000, to_millis(info.begin), to_millis(info.end)};
}

Millis Zone::to_utc(Millis local) const {
  if (!zone_) return local;
  const auto t = zone_->to_sys(date::local_time<ms>{ms{local}}, date::choose::earliest);
  return chr::duration_cast<ms>(t.time_since_epoch()).count();
}

Bucket Bucketer::bucket_of(Millis t) {
  if (t >= last_.start && t < last_.end) return last_;
  auto it = known_.upper_bound(t);
  if (it != known_.begin() && t < std::prev(it)->second) {
    --it;
    last_ = {it->first, it->second};
    return last_;
  }
  last_ = compute(t);
  known_.emplace(last_.start, last_.end);
  return last_;
}

Bucket Bucketer::compute(Millis t) const {
  const Zone::Offset off = zone_.offset_at(t);
  const Millis local = t + off.offset;
  if (unit_ == TimeUnit::hour) {
    const Millis h = floor_div(local, kHour) * kHour;
    return {std::max(h - off.offset, off.begin), std::min(h + kHour - off.offset, off.end)};
  }
  // A day (week, month) runs from the first instant of its local start to the first instant of
  // the next one. Clocks set back across midnight make a local date come twice: the bucket is
  // the one whose boundaries enclose t, found by stepping from t's local date.
  Millis start = local_unit_start(local, unit_);
  while (zone_.to_utc(start) > t) start = local_unit_step(start, unit_, -1);
  while (zone_.to_utc(local_unit_step(start, unit_, 1)) <= t) start = local_unit_step(start, unit_, 1);
  return {zone_.to_utc(start), zone_.to_utc(local_unit_step(start, unit_, 1))};
}

std::string Bucketer::label(Millis start) const {
  const Millis offset = zone_.offset_at(start).offset;
  const Millis local = start + offset;
  if (unit_ == TimeUnit::month) return format_date(local).substr(0, 7);
  if (unit_ != TimeUnit::hour) return format_date(local);
  std::string text = format_iso8601_s(local);  // local time, spelt with a Z to replace
  text.pop_back();
  const Millis minutes = (offset < 0 ? -offset : offset) / 60'000;
  char tail[8];
  std::snprintf(tail, sizeof tail, "%c%02d:%02d", offset < 0 ? '-' : '+', static_cast<int>(minutes / 60),
                static_cast<int>(minutes % 60));
  return text + tail;
}

}  // namespace eventsd

// Time buckets (hour, day, week, month) of a time zone named by IANA name, daylight-saving
// changes included: a day is the zone's calendar day, 23 or 25 hours long on the days the clocks
// change; an hour is the time between two instants at which the zone's clocks show a full hour,
// so the hour repeated when clocks go back is two buckets (02:00+02:00 and 02:00+01:00) and the
// hour skipped when they go forward is none.
//
// Zone rules come from the system's time zone database (Debian's tzdata, read through Howard
// Hinnant's date library, `date/tz.h`; GCC 12's libstdc++ has no std::chrono::tzdb). Its files
// list transitions up to 2037; later instants keep the last offset listed.
//
// A Zone is a cheap handle to an immutable database entry, safe to share between threads. A
// Bucketer caches the buckets it computed and is for one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace date {
class time_zone;
}

namespace eventsd {

enum class TimeUnit { hour, day, week, month };

class Zone {
 public:
  // UTC.
  Zone() = default;
  // The zone with this IANA name ("Europe/Berlin", "UTC"); nullopt when the database has none.
  static std::optional<Zone> find(std::string_view name);

  const std::string& name() const { return name_; }
  // True when the zone's offset is zero at every instant (UTC and its aliases): its days are
  // the UTC days the counters are kept by.
  bool always_utc() const { return zone_ == nullptr; }

  // The offset from UTC in force at `t`, and the span [begin, end) over which it holds.
  struct Offset {
    Millis offset = 0;
    Millis begin = 0, end = 0;
  };
  Offset offset_at(Millis t) const;
  // The first instant whose local time is `local` or later (a local time skipped by a
  // transition gives the transition; a repeated one gives its first occurrence).
  Millis to_utc(Millis local) const;

 private:
  const date::time_zone* zone_ = nullptr;  // null: UTC
  std::string name_ = "UTC";
};

struct Bucket {
  Millis start = 0;  // inclusive
  Millis end = 0;    // exclusive
};

class Bucketer {
 public:
  Bucketer(Zone zone, TimeUnit unit) : zone_(std::move(zone)), unit_(unit) {}

  const Zone& zone() const { return zone_; }
  TimeUnit unit() const { return unit_; }
  // The bucket holding `t`.
  Bucket bucket_of(Millis t);
  // How the API shows the bucket starting at `start`: "2026-03-29" (day; a week by its Monday),
  // "2026-03" (month), "2026-10-25T02:00:00+01:00" (hour, local time and offset).
  std::string label(Millis start) const;

 private:
  Bucket compute(Millis t) const;

  Zone zone_;
  TimeUnit unit_;
  Bucket last_{0, 0};
  std::map<Millis, Millis> known_;  // start -> end of every bucket computed
};

}  // namespace eventsd

// A Clock (common/clock.h) that moves only when a test moves it: code that expires, leases or
// rate-limits is driven to exact instants, never by sleeping. Thread-safe: read from any thread
// while the test advances it.
#pragma once

#include <atomic>
#include <chrono>

#include "common/clock.h"

namespace eventsd::test {

class ManualClock final : public Clock {
 public:
  // Starts at an arbitrary steady instant and at `wall` (ms since the epoch) on the wall clock:
  // by default a fixed day, so that answers depending on "today" never change with the calendar.
  explicit ManualClock(Millis wall = 1'796'083'200'000) : wall_(wall) {}  // 2026-12-01T00:00:00Z

  Steady::time_point steady() const override { return Steady::time_point(std::chrono::nanoseconds(steady_.load())); }
  Millis now_millis() const override { return wall_.load(); }

  // Moves both clocks forward by `d`.
  void advance(std::chrono::nanoseconds d) {
    steady_ += d.count();
    wall_ += std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }

 private:
  std::atomic<std::int64_t> steady_{std::chrono::nanoseconds(std::chrono::hours(24)).count()};
  std::atomic<Millis> wall_;
};

}  // namespace eventsd::test

// Time as an input (docs/architecture.md, "Time"): whatever expires, leases, retries or limits
// reads the Clock it was given — as LevelDB passes its Env — so tests drive time by hand instead
// of sleeping, and assert exact outcomes.
// Thread safety: every Clock may be read from any thread at once.
#pragma once

#include <chrono>

#include "common/time.h"

namespace eventsd {

class Clock {
 public:
  using Steady = std::chrono::steady_clock;
  virtual ~Clock() = default;
  // Monotonic time: durations, deadlines, leases, rate limits.
  virtual Steady::time_point steady() const = 0;
  // The wall clock (ms since the epoch, UTC): what is recorded or shown, retention cutoffs.
  virtual Millis now_millis() const = 0;
};

// The machine's clocks.
class SystemClock final : public Clock {
 public:
  Steady::time_point steady() const override { return Steady::now(); }
  Millis now_millis() const override { return eventsd::now_millis(); }
};

// The process's SystemClock (it has no state).
const Clock& system_clock();

}  // namespace eventsd

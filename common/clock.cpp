#include "common/clock.h"

namespace eventsd {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace eventsd

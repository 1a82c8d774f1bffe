// The projector's flush thread: the live generation is flushed every Options::flush_interval
// apart from folding (projector.h), and the generations adopt() retired are let go here.
#include <cstdio>

#include "projections/projector.h"

namespace eventsd {

// The flush is an fdatasync of every page written since the last one: done here, folding (and
// so the answers to writes) does not wait for it.
void Projector::flush_until_stopped() {
  for (;;) {
    std::vector<std::shared_ptr<Generation>> released;
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      flush_wake_.wait_for(lock, options_.flush_interval, [&] { return stopping_ || !released_.empty(); });
      released.swap(released_);
      stop = stopping_;
    }
    released.clear();  // a retired generation no reader holds is removed here
    if (stop) return;
    try {
      if (auto live = current()) live->flush();
    } catch (const std::exception& e) {
      // Not fatal: the generation is only less known to be on disk; the next flush tries again.
      std::fprintf(stderr, "eventsd: read models: flush failed: %s\n", e.what());
    }
  }
}

}  // namespace eventsd

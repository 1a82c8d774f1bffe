#include "http/api/work_pool.h"

#include <sys/resource.h>
#include <unistd.h>

namespace eventsd::http {

void WorkPool::yield_to_io_threads() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  // On Linux a nice value is a thread's own (setpriority(2), "BUGS"): this thread alone runs
  // below the I/O threads. Failing to lower it is harmless.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
}

}  // namespace eventsd::http

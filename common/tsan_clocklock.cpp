// ThreadSanitizer builds only (EVENTSD_SANITIZE=thread; common/CMakeLists.txt adds this file).
//
// libstdc++ 12 takes a std::timed_mutex until a steady-clock instant (try_lock_until,
// try_lock_for) with pthread_mutex_clocklock, which clang 14's TSan runtime does not intercept
// (LLVM issue 62623): TSan never sees the lock taken, reports its release as "unlock of an
// unlocked mutex", and misses the order the mutex gives. The program's own definition below comes
// before glibc's: it waits with pthread_mutex_timedlock, which TSan intercepts, until the same
// instant on the realtime clock. Only a step of the realtime clock during the wait can change how
// long it waits, which a test build can afford.
#include <pthread.h>
#include <time.h>

#include <cstdint>

extern "C" int pthread_mutex_clocklock(pthread_mutex_t* __restrict mutex, clockid_t clock,
                                       const struct timespec* __restrict deadline) noexcept {
  if (clock == CLOCK_REALTIME) return pthread_mutex_timedlock(mutex, deadline);
  constexpr std::int64_t kBillion = 1'000'000'000;
  timespec now{}, real{};
  ::clock_gettime(clock, &now);
  ::clock_gettime(CLOCK_REALTIME, &real);
  std::int64_t left = (std::int64_t{deadline->tv_sec} - now.tv_sec) * kBillion + (deadline->tv_nsec - now.tv_nsec);
  if (left < 0) left = 0;
  const std::int64_t until = std::int64_t{real.tv_sec} * kBillion + real.tv_nsec + left;
  const timespec real_deadline{static_cast<time_t>(until / kBillion), static_cast<long>(until % kBillion)};
  return pthread_mutex_timedlock(mutex, &real_deadline);
}

#include "http/server/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <filesystem>

namespace eventsd::http {

namespace {

constexpr std::size_t kReserve = 64;  // files opened after start: /proc reads, map growth, logs

std::size_t open_descriptors() {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

}  // namespace

FdBudget raise_open_file_limit() {
  FdBudget b;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    b.raised_from = lim.rlim_cur;
    if (lim.rlim_cur != lim.rlim_max) {
      rlimit raised = lim;
      raised.rlim_cur = lim.rlim_max;
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    b.limit = lim.rlim_cur == RLIM_INFINITY ? static_cast<std::size_t>(1) << 20 : lim.rlim_cur;
  }
  b.in_use = open_descriptors();
  const std::size_t free = b.limit > b.in_use + kReserve ? b.limit - b.in_use - kReserve : 0;
  // A tenth of what is free (at least 8) answers clients beyond the cap; the rest serves.
  b.overflow = std::min(free, std::max<std::size_t>(8, free / 10));
  b.connections = std::max<std::size_t>(1, free - b.overflow);
  return b;
}

}  // namespace eventsd::http

// Open-file descriptors: the budget that bounds how many connections the server can hold.
// A process started from an ordinary shell gets a soft limit of 1,024 descriptors although its
// hard limit allows far more; connections beyond the limit would make accept() fail and leave new
// clients unanswered. The server raises the soft limit and sizes its caps to what is left.
#pragma once

#include <cstddef>

namespace eventsd::http {

struct FdBudget {
  std::size_t limit = 0;      // the soft RLIMIT_NOFILE after raising it
  std::size_t raised_from = 0;  // the soft limit before (equal to `limit` when unchanged)
  std::size_t in_use = 0;     // descriptors open when measured (store, log, listening socket, stdio)
  // Connections that can be served, after `in_use` and a reserve for files the process opens
  // later (metrics, logs, the store growing), and the headroom kept to answer 503 to clients
  // beyond the cap.
  std::size_t connections = 0;
  std::size_t overflow = 0;   // the headroom: connections answered 503 at once, beyond `connections`
};

// Raises the soft RLIMIT_NOFILE to the hard limit and measures the budget. Not thread-safe with
// other code that opens descriptors at the same moment (called once, before serving).
FdBudget raise_open_file_limit();

}  // namespace eventsd::http

// How eventctl ends: its exit statuses (docs/operations.md, "Exit statuses of eventctl"), and the
// error that ends it with kUsage.
#pragma once

#include <stdexcept>

#include "common/flags.h"

namespace eventsd::cli {

inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;                // an operation failed (message on stderr)
inline constexpr int kUsage = flags::kUsage;     // bad command line
inline constexpr int kChainBroken = 3;           // verify: the log's hash chain is broken
inline constexpr int kModelsDiffer = 4;          // verify: a read model differs from a fresh replay
inline constexpr int kBusy = 5;                  // the data directory is in use by a server

// A command line that parses but cannot be run (two flags that do not go together, a data
// directory that holds no data, a value the command refuses): main() prints it as it prints a
// parse error, naming the command, and exits kUsage.
struct Usage : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace eventsd::cli

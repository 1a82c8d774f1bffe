// Progress of a long eventctl operation (rebuild, verify, import) on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace eventsd::cli {

// A redrawn bar on a terminal, a plain line every two seconds otherwise. Not thread-safe: one
// thread updates it (or the caller serializes).
class Progress {
 public:
  explicit Progress(std::string what);
  // done and total in `unit`s (records, bytes...); rate_count/rate_unit feed the rate shown.
  void update(std::uint64_t done, std::uint64_t total, std::uint64_t rate_count, const char* rate_unit);
  void finish(const std::string& summary);

 private:
  std::string what_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace eventsd::cli

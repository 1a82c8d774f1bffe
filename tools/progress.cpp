#include "tools/progress.h"

#include <unistd.h>

#include <cstdio>

namespace eventsd::cli {

Progress::Progress(std::string what)
    : what_(std::move(what)), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_ - std::chrono::hours(1)) {}

void Progress::update(std::uint64_t done, std::uint64_t total, std::uint64_t rate_count,
                      const char* rate_unit) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::seconds(2))) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(rate_count) / elapsed : 0;
  const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  if (tty_) {
    constexpr int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r%s [%s%s] %llu/%llu  %.0f %s/s  ETA %.0fs   ", what_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate,
                 rate_unit, eta);
  } else {
    std::fprintf(stderr, "%s: %llu/%llu (%.0f%%), %.0f %s/s, eta %.0fs\n", what_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 fraction * 100, rate, rate_unit, eta);
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "%s%s: %s in %.2fs\n", tty_ ? "\r\033[K" : "", what_.c_str(), summary.c_str(), elapsed);
}

}  // namespace eventsd::cli

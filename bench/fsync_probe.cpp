// Measures what durable ingest is bounded by on this machine, right now: the latency of one
// 4 KiB write + fdatasync, and of 64 scattered 4 KiB writes + fdatasync (a small LMDB commit),
// in the directory given. Prints medians in microseconds. The ingest benchmark runs it in the same
// run as the load, so that figures from a noisy shared disk come with their baseline.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  const std::string path = dir + "/fsync-probe.tmp";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  constexpr std::size_t kPages = 16384;  // a 64 MiB file
  if (::ftruncate(fd, kPages * 4096) != 0) return 1;
  std::vector<char> page(4096, 'x');
  std::mt19937 rng(1);
  auto time_us = [](auto&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  };
  std::vector<double> one, scattered;
  for (int i = 0; i < 200; ++i) {
    one.push_back(time_us([&] {
      if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(rng() % kPages) * 4096) < 0) std::abort();
      ::fdatasync(fd);
    }));
  }
  for (int i = 0; i < 50; ++i) {
    scattered.push_back(time_us([&] {
      for (int p = 0; p < 64; ++p) {
        if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(rng() % kPages) * 4096) < 0) std::abort();
      }
      ::fdatasync(fd);
    }));
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::printf("fdatasync_1_page_us %.0f\nfdatasync_64_pages_us %.0f\n", median(one), median(scattered));
}

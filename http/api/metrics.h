// GET /metrics: Prometheus text exposition of what operators watch — requests by route and
// status, latency histograms per route, the writer (commits, events, events per commit), the log
// and read-model positions, LMDB's map, streams and connections; the build and the process
// (process_metrics.h). Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace eventsd::http {

struct App;

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets; the last bucket is +Inf.
  static constexpr std::array<double, 12> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                              0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void observe(std::string_view route, unsigned status, double seconds);
  std::atomic<std::int64_t> open_connections{0};
  // Requests forwarded to another node of a cluster, and those that got no answer from it
  // (cluster/forward.h).
  std::atomic<std::uint64_t> forwarded{0};
  std::atomic<std::uint64_t> forward_failures{0};
  // More samples, appended to the exposition (cluster mode: the messages refused from NATS). Set
  // before the server starts.
  std::function<void(std::string&)> more_samples;

  // The whole exposition, reading the store's figures in one snapshot.
  std::string render(App& app);

 private:
  struct Route {
    std::map<unsigned, std::uint64_t> by_status;
    std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};
    double seconds = 0;
    std::uint64_t count = 0;
  };
  std::mutex mutex_;
  std::map<std::string, Route, std::less<>> routes_;
};

}  // namespace eventsd::http

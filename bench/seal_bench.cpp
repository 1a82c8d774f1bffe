// What the cluster key costs (cluster/seal.h): sealing and opening a forwarded request and a
// shard-log message of typical sizes — a single event's request (~400 bytes), a batch of 100
// events (~40 KiB), a group commit's message (up to 1 MiB) — against the cost of copying the same
// bytes once, the least any handling of them costs. Run
//   build/bench/seal_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>

#include "cluster/forward.h"
#include "cluster/seal.h"
#include "common/clock.h"

namespace {

using namespace eventsd;

const ClusterKey& key() {
  static const ClusterKey k("the benchmark's cluster key, 32 bytes or more", system_clock());
  return k;
}

std::string bytes_of(std::size_t n) {
  std::string s(n, 'x');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

void BM_Copy(benchmark::State& state) {
  const std::string body = bytes_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    std::string copy = body;
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// The sender's work: seal, and the message with its seal line.
void BM_SealForwarded(benchmark::State& state) {
  const std::string request = bytes_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    const std::string seal = key().seal("forward/node-b", "node-a", {request});
    std::string message = http::join_sealed(seal, request);
    benchmark::DoNotOptimize(message.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// The receiver's work: split, open, check the time and the replay window.
void BM_OpenForwarded(benchmark::State& state) {
  const std::string request = bytes_of(static_cast<std::size_t>(state.range(0)));
  const std::string message = http::join_sealed(key().seal("forward/node-b", "node-a", {request}), request);
  for (auto _ : state) {
    const auto parts = http::split_sealed(message);
    const auto opened = key().open("forward/node-b", parts->first, {parts->second});
    benchmark::DoNotOptimize(&opened);
    benchmark::DoNotOptimize(key().fresh(std::get<SealInfo>(opened).at, key().clock().now_millis()));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// A shard-log message: its headers and body, sealed by the owner and opened by each replica.
void BM_SealShardMessage(benchmark::State& state) {
  const std::string body = bytes_of(static_cast<std::size_t>(state.range(0)));
  std::uint64_t seq = 1;
  for (auto _ : state) {
    const std::string seal = key().seal("EVENTSD_S0#" + std::to_string(seq++), "node-a", {"1", "7", "", body});
    benchmark::DoNotOptimize(seal.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_OpenShardMessage(benchmark::State& state) {
  const std::string body = bytes_of(static_cast<std::size_t>(state.range(0)));
  const std::string seal = key().seal("EVENTSD_S0#42", "node-a", {"1", "7", "", body});
  for (auto _ : state) {
    const auto opened = key().open("EVENTSD_S0#42", seal, {"1", "7", "", body});
    benchmark::DoNotOptimize(&opened);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_Copy)->Arg(400)->Arg(40 << 10)->Arg(1 << 20);
BENCHMARK(BM_SealForwarded)->Arg(400)->Arg(40 << 10)->Arg(1 << 20);
BENCHMARK(BM_OpenForwarded)->Arg(400)->Arg(40 << 10)->Arg(1 << 20);
BENCHMARK(BM_SealShardMessage)->Arg(400)->Arg(40 << 10)->Arg(1 << 20);
BENCHMARK(BM_OpenShardMessage)->Arg(400)->Arg(40 << 10)->Arg(1 << 20);
BENCHMARK_MAIN();

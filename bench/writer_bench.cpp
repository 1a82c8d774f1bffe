// The write path without HTTP: commands straight into the Writer, durable (fsync) commits.
// The HTTP figures of bench/ingest.sh are read against this one.
#include <benchmark/benchmark.h>

#include <random>
#include <thread>

#include "bench/sessions_batch.h"
#include "tests/support/in_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

// A batch like bench/wrk/ingest.lua's "sessions" workload: visits of 10 events, 40% anonymous.
std::vector<EventInput> make_batch(std::mt19937& rng, int size) {
  return bench::sessions_batch(rng, size, [](EventInput& e, std::uint64_t n) {
    e.data = R"({"n":)" + std::to_string(n % 1000000) + R"(,"title":"Page )" + std::to_string(n % 500) + R"("})";
  });
}

// Threads submit batches and wait for each, like HTTP clients on keep-alive connections.
void BM_DurableIngest(benchmark::State& state) {
  const int clients = static_cast<int>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  test::TempDir dir;
  test::InProcess p(dir.path());
  std::int64_t events = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        std::mt19937 rng(c + 1);
        for (int i = 0; i < 20; ++i) p.submit(test::ingest_command("bench", make_batch(rng, batch)));
      });
    }
    for (auto& t : threads) t.join();
    events += static_cast<std::int64_t>(clients) * 20 * batch;
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["events/commit"] =
      static_cast<double>(p.writer.stats().events_ingested) / static_cast<double>(p.writer.stats().commits);
}
BENCHMARK(BM_DurableIngest)->Args({8, 100})->Args({64, 1})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eventsd

BENCHMARK_MAIN();

// The owner's publish of a group commit (cluster/shard_replica.h): a window of 8 messages to a
// 3-replica JetStream stream, each fenced by the sequence (and id) of the one before it — sent
// one at a time, each waiting for its acknowledgement (how a commit was published before
// nats::Publisher), against pipelined through nats::Publisher (at most 8 unanswered). Both in the
// same run, against the same 3 nats-server processes on loopback (tests/support/nats_cluster.h).
//
//   build/bench/publish_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "cluster/nats.h"
#include "tests/support/nats_cluster.h"

namespace {

using namespace eventsd;
using namespace std::chrono_literals;

constexpr std::size_t kWindow = 8;

struct Fixture {
  test::NatsCluster cluster{3};
  nats::Connection connection{nats::ConnectOptions{cluster.urls(), "publish-bench", 5'000ms}};
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// A stream of its own per benchmark, and the window's messages from `last` on.
struct Stream {
  explicit Stream(const std::string& name) : name(name), subject("bench." + name) {
    fixture().connection.ensure_stream({name, {subject}, 3, std::chrono::seconds(120)});
  }
  std::vector<nats::Outgoing> window(std::size_t bytes) {
    std::vector<nats::Outgoing> out;
    for (std::size_t i = 0; i < kWindow; ++i) {
      const std::string id = name + "-" + std::to_string(last + i + 1);
      out.push_back({{{"Eventsd-Position", std::to_string(last + i + 1)}}, std::string(bytes, 'x'), last + i, id,
                     i ? out.back().msg_id : ""});
    }
    return out;
  }
  std::string name, subject;
  std::uint64_t last = 0;
};

void count(benchmark::State& state, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kWindow));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kWindow * bytes));
}

void BM_PublishOneAtATime(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  Stream stream("SYNC" + std::to_string(bytes));
  for (auto _ : state) {
    for (const auto& m : stream.window(bytes)) {
      auto r = fixture().connection.publish(stream.subject, m, 5'000ms);
      if (!std::holds_alternative<nats::Published>(r)) state.SkipWithError("a message was refused");
    }
    stream.last += kWindow;
  }
  count(state, bytes);
}

void BM_PublishPipelined(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  Stream stream("PIPE" + std::to_string(bytes));
  auto publisher = fixture().connection.publisher(stream.subject, kWindow);
  for (auto _ : state) {
    for (const auto& o : publisher->publish(stream.window(bytes), 5'000ms)) {
      if (!std::holds_alternative<nats::Published>(o)) state.SkipWithError("a message was refused");
    }
    stream.last += kWindow;
  }
  count(state, bytes);
}

// Message sizes: a commit of a few single events; of a few batches; of many.
BENCHMARK(BM_PublishOneAtATime)->Arg(1 << 10)->Arg(64 << 10)->Arg(512 << 10)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PublishPipelined)->Arg(1 << 10)->Arg(64 << 10)->Arg(512 << 10)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

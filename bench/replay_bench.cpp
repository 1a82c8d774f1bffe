// Replay speed: a new read-model generation folded from the whole log, record by record (as the
// projector folds live) and as `eventctl rebuild` does (bulk_fold.h, then record by record), on a
// log of BENCH_EVENTS events (default 10,000,000) built once in BENCH_DATA (default
// /tmp/eventsd-bench-replay) the way live traffic writes it: batches of 1000, timestamps rising,
// the "sessions" mix of bench/dataset.cpp.
//
// Prints, for RUNS runs (default 3), the events per second of
//   scan:   reading every record and every event of the log, decoding them (what replay cannot
//           go faster than), and
//   replay: the record-by-record fold from position 1,
//   rebuild: the bulk fold (what eventctl rebuild does),
// and the medians.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "projections/bulk_fold.h"
#include "projections/fold.h"
#include "tests/support/in_process.h"

namespace eventsd {
namespace {

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

void build(const std::filesystem::path& dir, std::uint64_t total) {
  std::fprintf(stderr, "building a log of %llu events in %s...\n", static_cast<unsigned long long>(total), dir.c_str());
  std::filesystem::remove_all(dir);
  test::InProcess p(dir);
  const char* types[] = {"page_view", "page_view", "page_view", "email_open", "form_submit", "button_click"};
  const Millis start = now_millis() - static_cast<Millis>(total);  // one event per millisecond
  std::atomic<std::uint64_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned>(t) + 1);
      for (;;) {
        const std::uint64_t first = next.fetch_add(1000);
        if (first >= total) return;
        std::vector<EventInput> batch;
        std::optional<std::string> contact;
        for (std::uint64_t i = first; i < std::min(total, first + 1000); ++i) {
          if (i % 10 == 0) {
            contact = rng() % 10 < 4 ? std::nullopt : std::optional<std::string>("ct_" + std::to_string(rng() % 100000));
          }
          EventInput e;
          e.event = types[rng() % 6];
          e.contact_id = contact;
          e.timestamp = start + static_cast<Millis>(i);
          const std::string domain = "site" + std::to_string(rng() % 20) + ".example.com";
          e.url = "https://" + domain + "/p/" + std::to_string(rng() % 500);
          e.domain = domain;
          e.data = R"({"n":)" + std::to_string(i) + "}";
          batch.push_back(std::move(e));
        }
        p.submit(test::ingest_command("bench", std::move(batch)));
      }
    });
  }
  for (auto& t : threads) t.join();
  p.writer.stop();
  std::ofstream(dir / "replay-events-v3") << total << "\n";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace eventsd

int main() {
  using namespace eventsd;
  const std::uint64_t total = env_number("BENCH_EVENTS", 10'000'000);
  const int runs = static_cast<int>(env_number("RUNS", 3));
  const char* data = std::getenv("BENCH_DATA");
  const std::filesystem::path dir = data ? data : "/tmp/eventsd-bench-replay";
  std::uint64_t have = 0;
  if (std::ifstream in(dir / "replay-events-v3"); in) in >> have;
  if (have != total) build(dir, total);

  Store store(data_dir::log_dir(dir));
  Log log(store);
  const auto scratch = dir / "replay-scratch";
  std::vector<double> scans, replays, rebuilds;
  for (int run = 0; run < runs; ++run) {
    // Scan: decode every record and touch every event.
    auto t0 = std::chrono::steady_clock::now();
    std::uint64_t events = 0, checksum = 0;
    {
      auto reader = store.read();
      LogCursor cursor(reader.txn(), log);
      for (bool ok = cursor.seek(1); ok; ok = cursor.next()) {
        RecordView view(cursor.bytes());
        auto fact = view.root().getFact();
        if (!fact.isEventsIngested()) continue;
        for (auto e : fact.getEventsIngested().getEvents()) {
          checksum += static_cast<std::uint64_t>(e.getTimestamp()) + e.getEvent().size();
          ++events;
        }
      }
    }
    const double scan = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Replay: the record-by-record fold (what the projector does live), from position 1.
    std::filesystem::remove_all(scratch);
    t0 = std::chrono::steady_clock::now();
    {
      Generation generation(scratch, 1, log, true);
      while (!fold_step(generation, store, log, {20'000, 100'000}).at_end) {
      }
      generation.flush();
    }
    const double replay = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Rebuild: what eventctl rebuild does (the bulk fold, then record by record to the head).
    std::filesystem::remove_all(scratch);
    t0 = std::chrono::steady_clock::now();
    {
      Generation generation(scratch, 1, log, true);
      bulk_fold(generation, store, log);
      while (!fold_step(generation, store, log, {20'000, 100'000}).at_end) {
      }
      generation.flush();
    }
    const double rebuild = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    scans.push_back(static_cast<double>(events) / scan);
    replays.push_back(static_cast<double>(events) / replay);
    rebuilds.push_back(static_cast<double>(events) / rebuild);
    std::printf("run %d: %llu events; scan %.0f events/s (%.2fs); replay %.0f events/s (%.2fs); "
                "rebuild %.0f events/s (%.2fs)  [%llu]\n",
                run + 1, static_cast<unsigned long long>(events), scans.back(), scan, replays.back(), replay,
                rebuilds.back(), rebuild, static_cast<unsigned long long>(checksum % 1000));
    std::fflush(stdout);
  }
  std::printf("median: scan %.0f events/s, replay %.0f events/s, rebuild %.0f events/s "
              "(rebuild/replay %.2f, rebuild/scan %.2f)\n",
              median(scans), median(replays), median(rebuilds), median(rebuilds) / median(replays),
              median(rebuilds) / median(scans));
}

#include "bench/dataset.h"

#include <fstream>
#include <iostream>
#include <random>

#include <cstdlib>

#include "bench/sessions_batch.h"
#include "eventlog/data_dir.h"
#include "tests/support/in_process.h"

namespace eventsd::bench {

namespace {

// Sessions over the year before `now`.
std::vector<EventInput> batch(std::mt19937_64& rng, Millis now, int size) {
  return sessions_batch(rng, size, [&](EventInput& e, std::uint64_t n) {
    e.timestamp = now - static_cast<Millis>(rng() % (365 * kMillisPerDay));
    e.data = R"({"title":"Page )" + std::to_string(n % 500) + R"("})";
  });
}

}  // namespace

Millis ensure_dataset(const std::filesystem::path& dir) {
  const auto marker = dir / "dataset-now";
  if (std::ifstream in(marker); in) {
    Millis now = 0;
    in >> now;
    if (now > 0) return now;
  }
  std::filesystem::remove_all(dir);
  const Millis now = now_millis();
  std::cerr << "building the data set in " << dir << " (2,000,000 events)...\n";
  test::InProcess p(dir);
  std::mt19937_64 rng(42);
  // Submit from a few threads so commits carry several batches, as under real load.
  auto load = [&](const std::string& tenant, int events) {
    std::vector<std::thread> threads;
    const int per_thread = events / 4;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t, seed = rng()] {
        std::mt19937_64 local(seed + static_cast<unsigned>(t));
        for (int done = 0; done < per_thread; done += 1000) {
          p.submit(test::ingest_command(tenant, batch(local, now, std::min(1000, per_thread - done))));
        }
      });
    }
    for (auto& t : threads) t.join();
  };
  load("big", kBigTenantEvents);
  for (int t = 0; t < kOtherTenants; ++t) {
    char name[8];
    std::snprintf(name, sizeof name, "t%03d", t);
    load(name, kOtherTenantEvents);
  }
  p.writer.stop();
  std::ofstream(marker) << now << "\n";
  std::cerr << "data set ready\n";
  return now;
}

ServedDataset::ServedDataset() {
  const char* env = std::getenv("BENCH_DATA");
  const std::filesystem::path dir = env ? env : "/tmp/eventsd-bench-queries";
  now = ensure_dataset(dir);
  StoreOptions read_only;
  read_only.read_only = true;
  read_only.create = false;
  log_store.emplace(data_dir::log_dir(dir), read_only);
  log.emplace(*log_store);
  const auto read_dir = data_dir::read_dir(dir);
  generation.emplace(read_dir, *generations::current(read_dir), *log, false, true);
  auto r = generation->store().read();
  tno = *generation->models().tenant_no(r.txn(), "big");
}

ServedDataset& served_dataset() {
  static ServedDataset dataset;
  return dataset;
}

}  // namespace eventsd::bench

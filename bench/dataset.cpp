#include "bench/dataset.h"

#include <fstream>
#include <iostream>
#include <random>

#include <cstdlib>

#include "eventlog/data_dir.h"
#include "tests/support/in_process.h"

namespace eventsd::bench {

namespace {

const char* kTypes[] = {"page_view", "page_view", "page_view", "email_open",
                        "form_submit", "button_click", "video_play", "email_click"};

std::vector<EventInput> batch(std::mt19937_64& rng, Millis now, int size) {
  std::vector<EventInput> out;
  std::optional<std::string> contact;
  for (int i = 0; i < size; ++i) {
    if (i % 10 == 0) {
      contact = rng() % 10 < 4 ? std::nullopt
                               : std::optional<std::string>("ct_" + std::to_string(rng() % 100000));
    }
    const auto n = rng();
    EventInput e;
    e.event = kTypes[n % 8];
    e.contact_id = contact;
    e.timestamp = now - static_cast<Millis>(rng() % (365 * kMillisPerDay));
    const std::string domain = "site" + std::to_string(n % 20) + ".example.com";
    e.url = "https://" + domain + "/p/" + std::to_string(n % 500);
    e.domain = domain;
    e.data = R"({"title":"Page )" + std::to_string(n % 500) + R"("})";
    out.push_back(std::move(e));
  }
  return out;
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

}  // namespace eventsd::bench

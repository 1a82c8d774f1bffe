// The query benchmarks' data set: 1,000,000 events in tenant "big" plus 1,000,000 spread over 100
// other tenants ("t000".."t099"), 8 event types, 20 domains, contacts drawn from 100,000 in visits
// of 10 events (40% anonymous), timestamps over the year before `now`. Built through the writer,
// in batches of 1000, into a data directory that is reused when it already holds the set.
#pragma once

#include <filesystem>
#include <optional>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "common/time.h"
#include "projections/generations.h"
#include "projections/read_models.h"

namespace eventsd::bench {

inline constexpr int kBigTenantEvents = 1'000'000;
inline constexpr int kOtherTenants = 100;
inline constexpr int kOtherTenantEvents = 10'000;

// Makes sure `dir` holds the data set; returns the `now` it was built around.
Millis ensure_dataset(const std::filesystem::path& dir);

// The data set as eventsd serves it (eventlog/data_dir.h): the log's environment and the
// read-model generation CURRENT names, both opened read-only; the directory is BENCH_DATA
// (default /tmp/eventsd-bench-queries), built first when it does not hold the set.
struct ServedDataset {
  ServedDataset();

  // A request's snapshots: the read models' and the log's.
  struct Snapshot {
    Store::Reader models, log;
    const ReadModels& read_models;
    ReadView view() const { return {read_models, models.txn(), log.txn()}; }
  };
  Snapshot snapshot() { return {generation->store().read(), log_store->read(), generation->models()}; }

  Millis now = 0;
  std::optional<Store> log_store;
  std::optional<Log> log;
  std::optional<Generation> generation;
  std::uint32_t tno = 0;  // tenant "big"
};

// The data set the benchmarks of this process read: opened by the first call (from any thread),
// and built first when BENCH_DATA does not hold it.
ServedDataset& served_dataset();

}  // namespace eventsd::bench

// The query benchmarks' data set: 1,000,000 events in tenant "big" plus 1,000,000 spread over 100
// other tenants ("t000".."t099"), 8 event types, 20 domains, contacts drawn from 100,000 in visits
// of 10 events (40% anonymous), timestamps over the year before `now`. Built through the writer,
// in batches of 1000, into a data directory that is reused when it already holds the set.
#pragma once

#include <filesystem>

#include "eventlog/time.h"

namespace eventsd::bench {

inline constexpr int kBigTenantEvents = 1'000'000;
inline constexpr int kOtherTenants = 100;
inline constexpr int kOtherTenantEvents = 10'000;

// Makes sure `dir` holds the data set; returns the `now` it was built around.
Millis ensure_dataset(const std::filesystem::path& dir);

}  // namespace eventsd::bench

// Server-side query latency on the 2,000,000-event data set (bench/dataset.h), warm cache: the
// read-model functions the HTTP handlers call, each inside its own read snapshot, as a request
// would run them. The data directory is kept between runs (BENCH_DATA, default
// /tmp/eventsd-bench-queries).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench/dataset.h"
#include "eventlog/log.h"
#include "projections/contacts.h"
#include "projections/event_queries.h"
#include "projections/read_models.h"
#include "projections/stats.h"

namespace eventsd {
namespace {

using Fixture = bench::ServedDataset;

template <class Query>
void run(benchmark::State& state, Query&& query) {
  auto& f = bench::served_dataset();
  for (auto _ : state) {
    const auto snapshot = f.snapshot();
    benchmark::DoNotOptimize(query(f, snapshot.view()));
  }
}

ListRequest page(std::uint64_t number) {
  ListRequest r;
  r.offset = (number - 1) * 20;
  return r;
}

void BM_FirstPage(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) { return list_events(v, f.tno, page(1)).events.size(); });
}
void BM_Page50(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) { return list_events(v, f.tno, page(50)).events.size(); });
}
void BM_TypeFilter(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) {
    auto r = page(1);
    r.filter.event_type = "form_submit";
    return list_events(v, f.tno, r).events.size();
  });
}
void BM_ContactFilter(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) {
    auto r = page(1);
    r.filter.contact_id = "ct_4242";
    return list_events(v, f.tno, r).events.size();
  });
}
void BM_DomainLast7Days(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) {
    auto r = page(1);
    r.filter.domain = "site7.example.com";
    r.filter.after = f.now - 7 * kMillisPerDay;
    r.filter.before = f.now;
    return list_events(v, f.tno, r).events.size();
  });
}
void BM_CountOnlyType(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) {
    EventFilter filter;
    filter.event_type = "page_view";
    return count_events(v, f.tno, filter);
  });
}
void BM_Stats(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) { return compute_stats(v, f.tno, {}).total; });
}
void BM_StatsSmallTenant(benchmark::State& s) {
  run(s, [](Fixture&, const ReadView& v) {
    auto tno = *v.models.tenant_no(v.txn, "t042");
    return compute_stats(v, tno, {}).total;
  });
}
void BM_Types(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) { return event_types(v, f.tno).size(); });
}
void BM_Lead(benchmark::State& s) {
  run(s, [](Fixture& f, const ReadView& v) { return find_lead(v, f.tno, "ct_4242").has_value(); });
}

BENCHMARK(BM_FirstPage)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Page50)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TypeFilter)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ContactFilter)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DomainLast7Days)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CountOnlyType)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Stats)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_StatsSmallTenant)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Types)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Lead)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace eventsd

BENCHMARK_MAIN();

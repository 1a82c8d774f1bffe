// Server-side latency of aggregates and funnels on the 2,000,000-event data set (bench/dataset.h),
// warm cache, each inside its own read snapshot as a request runs it — next to the plain list
// query (the first page of GET /v1/events) measured in the same run as the baseline. The data
// directory is shared with bench/query_bench (BENCH_DATA, default /tmp/eventsd-bench-queries).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench/dataset.h"
#include "eventlog/log.h"
#include "projections/aggregate.h"
#include "projections/event_queries.h"
#include "projections/funnel.h"
#include "projections/read_models.h"

namespace eventsd {
namespace {

AggregateRequest by(std::initializer_list<const char*> dims, std::initializer_list<const char*> metrics = {"count"}) {
  AggregateRequest r;
  r.filter.suppressed = SuppressedFilter::exclude;
  for (const char* d : dims) r.group_by.push_back(*parse_field(d));
  for (const char* m : metrics) r.metrics.push_back(*parse_metric(m));
  return r;
}

void run_aggregate_bench(benchmark::State& state, const AggregateRequest& r) {
  auto& f = bench::served_dataset();
  AggregateResult last;
  run_aggregate(f.snapshot().view(), f.tno, r);  // warm: the first run maps the pages it reads
  for (auto _ : state) {
    last = run_aggregate(f.snapshot().view(), f.tno, r);
    benchmark::DoNotOptimize(last.rows.data());
  }
  state.counters["rows"] = static_cast<double>(last.total_rows);
  state.counters["examined"] = static_cast<double>(last.examined);
  state.SetLabel(last.plan + (last.truncated ? " TRUNCATED" : ""));
}

// The baseline: GET /v1/events, first page.
void BM_ListFirstPage(benchmark::State& s) {
  auto& f = bench::served_dataset();
  for (auto _ : s) {
    ListRequest r;
    benchmark::DoNotOptimize(list_events(f.snapshot().view(), f.tno, r).events.size());
  }
}

// Answers the counters hold.
void BM_CountersByDay(benchmark::State& s) { run_aggregate_bench(s, by({"day"})); }
void BM_CountersByEvent(benchmark::State& s) { run_aggregate_bench(s, by({"event"})); }
void BM_CountersByDomain(benchmark::State& s) { run_aggregate_bench(s, by({"domain"})); }
void BM_CountersByDayAndEvent(benchmark::State& s) { run_aggregate_bench(s, by({"day", "event"})); }

// The whole tenant grouped by day and event name, without the counters: rm_by_type's keys only.
void BM_ScanByDayAndEvent(benchmark::State& s) {
  auto r = by({"day", "event"});
  r.use_counters = false;
  run_aggregate_bench(s, r);
}
// The same in a time zone other than UTC (the counters' days are UTC days).
void BM_ScanByDayAndEventBerlin(benchmark::State& s) {
  auto r = by({"day", "event"});
  r.zone = *Zone::find("Europe/Berlin");
  run_aggregate_bench(s, r);
}
// With unique contacts: counts from rm_by_type, contacts from rm_by_contact (no log).
void BM_ScanByDayAndEventUniqueContacts(benchmark::State& s) {
  run_aggregate_bench(s, by({"day", "event"}, {"count", "unique_contacts"}));
}
// A data member: every event read from the log.
void BM_LogByDataMember(benchmark::State& s) { run_aggregate_bench(s, by({"data.title"})); }

// New contacts per week (the week of each contact's first event): every contact's range.
void BM_ContactsByWeek(benchmark::State& s) {
  auto r = by({"week"});
  r.source = AggregateSource::contacts;
  run_aggregate_bench(s, r);
}

FunnelRequest three_steps(Millis now) {
  FunnelRequest r;
  r.filter.suppressed = SuppressedFilter::exclude;
  r.filter.after = now - 30 * kMillisPerDay;
  r.filter.before = now;
  r.window = 7 * kMillisPerDay;
  r.steps = {FunnelStep{"page_view", {}}, FunnelStep{"form_submit", {}}, FunnelStep{"email_click", {}}};
  return r;
}

void BM_Funnel3Steps30Days(benchmark::State& s) {
  auto& f = bench::served_dataset();
  const FunnelRequest r = three_steps(f.now);
  FunnelResult last;
  run_funnel(f.snapshot().view(), f.tno, r);
  for (auto _ : s) {
    last = run_funnel(f.snapshot().view(), f.tno, r);
    benchmark::DoNotOptimize(last.steps.data());
  }
  s.counters["examined"] = static_cast<double>(last.examined);
  s.counters["converted"] = static_cast<double>(last.steps.back().count);
  s.SetLabel(last.plan);
}

BENCHMARK(BM_ListFirstPage)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CountersByDay)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CountersByEvent)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CountersByDomain)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CountersByDayAndEvent)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ScanByDayAndEvent)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanByDayAndEventBerlin)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanByDayAndEventUniqueContacts)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LogByDataMember)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ContactsByWeek)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Funnel3Steps30Days)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eventsd

BENCHMARK_MAIN();

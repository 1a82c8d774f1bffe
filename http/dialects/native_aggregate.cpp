// POST /v1/aggregate and POST /v1/aggregate/funnel (the native API): breakdowns, metrics and
// funnels over the tenant's events, contacts and companies (projections/aggregate.h, funnel.h).
#include <algorithm>
#include <cstdio>

#include "common/json_writer.h"
#include "http/dialects/aggregate_input.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/view.h"
#include "projections/data_fields.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

void write_cell(JsonWriter& w, const Cell& c) {
  switch (c.kind) {
    case Cell::Kind::null: w.null(); break;
    case Cell::Kind::text:
    case Cell::Kind::time: w.string(c.text); break;
    case Cell::Kind::json:
    case Cell::Kind::number: w.raw(c.text); break;
  }
}

void write_outcome(JsonWriter& w, std::uint64_t examined, std::optional<std::string_view> truncated,
                   const std::string& plan) {
  w.key("examined").number(examined);
  w.key("truncated").boolean(truncated.has_value());
  w.key("truncated_reason");
  if (truncated) w.string(*truncated);
  else w.null();
  w.key("plan").string(plan);
}

asio::awaitable<Reply> aggregate(App& app, Request& req) {
  req.query.only({});
  const AggregateRequest request = parse_aggregate(json_body(req), req);
  std::string body;
  JsonWriter w(body);
  {
    TenantView view(app, req.principal.tenant);
    const AggregateResult result = run_aggregate(view.read(), view.tno(), request);
    std::vector<std::string> dims, metrics;
    for (const auto& g : request.group_by) dims.push_back(field_name(g));
    for (const auto& m : request.metrics) metrics.push_back(metric_name(m));
    w.begin_object().key("status").string("success");
    w.key("source").string(source_name(request.source));
    w.key("time_zone").string(request.zone.name());
    w.key("group_by").begin_array();
    for (const auto& d : dims) w.string(d);
    w.end_array().key("metrics").begin_array();
    for (const auto& m : metrics) w.string(m);
    w.end_array().key("rows").begin_array();
    for (const auto& row : result.rows) {
      w.begin_object();
      for (std::size_t i = 0; i < dims.size(); ++i) write_cell(w.key(dims[i]), row.dims[i]);
      for (std::size_t i = 0; i < metrics.size(); ++i) write_cell(w.key(metrics[i]), row.metrics[i]);
      w.end_object();
    }
    w.end_array();
    w.key("total_rows").number(result.total_rows);
    const bool by_time = std::any_of(request.group_by.begin(), request.group_by.end(),
                                     [](const FieldRef& g) { return is_time_bucket(g.field); });
    if (by_time) w.key("zero_filled").boolean(result.zero_filled);
    write_outcome(w, result.examined, result.truncated, result.plan);
    w.end_object();
  }
  co_return json_response(200, std::move(body));
}

// A duration (never negative) as seconds, exactly: timestamps are milliseconds.
std::string seconds_text(Millis ms) {
  std::string s = std::to_string(ms / 1000);
  if (const Millis frac = ms % 1000) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    s += buf;
    while (s.back() == '0') s.pop_back();
  }
  return s;
}

void write_steps(JsonWriter& w, const FunnelRequest& request, const std::vector<FunnelStepResult>& steps) {
  w.begin_array();
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const auto& s = steps[k];
    w.begin_object().key("event").string(request.steps[k].event).key("count").number(s.count);
    auto ratio = [&](std::uint64_t of) {
      if (of == 0) w.null();
      else w.raw(number_text(static_cast<double>(s.count) / static_cast<double>(of)));
    };
    w.key("conversion_from_previous");
    if (k == 0) w.null();
    else ratio(steps[k - 1].count);
    w.key("conversion_from_first");
    ratio(steps[0].count);
    w.key("median_seconds_from_previous");
    if (s.median_from_previous) w.raw(seconds_text(*s.median_from_previous));
    else w.null();
    w.end_object();
  }
  w.end_array();
}

asio::awaitable<Reply> funnel(App& app, Request& req) {
  req.query.only({});
  const FunnelRequest request = parse_funnel(json_body(req), req);
  FunnelResult result;
  {
    TenantView view(app, req.principal.tenant);
    result = run_funnel(view.read(), view.tno(), request);
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success");
  w.key("window_seconds").number(request.window / 1000);
  w.key("steps");
  write_steps(w, request, result.steps);
  if (request.breakdown) {
    w.key("breakdown").string(field_name(*request.breakdown));
    w.key("breakdown_values").begin_array();
    for (const auto& series : result.breakdown) {
      w.begin_object().key("value");
      write_cell(w, series.value);
      w.key("steps");
      write_steps(w, request, series.steps);
      w.end_object();
    }
    w.end_array();
    w.key("total_breakdown_values").number(result.breakdown_values);
  }
  write_outcome(w, result.examined, result.truncated ? std::optional<std::string_view>("max_examined") : std::nullopt,
                result.plan);
  w.end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_native_aggregate_routes(Router& r) {
  r.add(bhttp::verb::post, "/v1/aggregate", Dialect::native, "events:read", aggregate);
  r.add(bhttp::verb::post, "/v1/aggregate/funnel", Dialect::native, "events:read", funnel);
}

}  // namespace eventsd::http

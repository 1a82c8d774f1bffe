// GET /v1/events/types and GET /v1/events/stats (seed 001), from the aggregate counters.
#include "http/api/filters.h"
#include "common/json_writer.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "projections/stats.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

asio::awaitable<Reply> types(App& app, Request& req) {
  req.query.only({});
  std::vector<std::string> names;
  {
    TenantView view(app, req.principal.tenant);
    if (auto tno = view.tno()) {
      names = event_types(view.read(), *tno);
    }
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("types").begin_array();
  for (const auto& n : names) w.string(n);
  w.end_array().key("total_items").number(static_cast<std::uint64_t>(names.size())).end_object();
  co_return json_response(200, std::move(body));
}

asio::awaitable<Reply> stats(App& app, Request& req) {
  const auto& q = req.query;
  q.only({"event_type", "domain", "date_after", "date_before", "identified_only", "group_by", "range"});
  StatsQuery sq;
  sq.event_type = text_param(q, "event_type", 128);
  sq.domain = text_param(q, "domain", 253);
  EventFilter bounds;
  narrow(bounds, time_param(q, "date_after"), time_param(q, "date_before"));
  if (auto range = q.get("range")) apply_range("range", *range, req, bounds);
  sq.after = bounds.after;
  sq.before = bounds.before;
  sq.identified_only = bool_param(q, "identified_only").value_or(false);
  sq.now = req.now(kMillisPerDay);
  bool want_type = true, want_domain = true, want_day = true;
  if (auto group = q.get("group_by")) {
    want_type = *group == "type";
    want_domain = *group == "domain";
    want_day = *group == "day";
    if (!want_type && !want_domain && !want_day) {
      throw bad_param("group_by", "group_by must be one of type, domain, day");
    }
  }
  Stats s;
  {
    TenantView view(app, req.principal.tenant);
    if (auto tno = view.tno()) {
      s = compute_stats(view.read(), *tno, sq);
    }
  }
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("stats").begin_object();
  w.key("total").number(s.total);
  w.key("suppressed").number(s.suppressed);
  w.key("sessions").number(s.sessions);
  auto group = [&](const char* key, const char* label, const auto& rows) {
    w.key(key).begin_array();
    for (const auto& [name, n] : rows) w.begin_object().key(label).string(name).key("count").number(n).end_object();
    w.end_array();
  };
  if (want_type) group("by_type", "type", s.by_type);
  if (want_domain) group("by_domain", "domain", s.by_domain);
  if (want_day) {
    w.key("by_day").begin_array();
    for (const auto& [day, n] : s.by_day) {
      w.begin_object().key("date").string(format_date(day)).key("count").number(n).end_object();
    }
    w.end_array();
  }
  w.end_object().end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_native_stats_routes(Router& r) {
  r.add(bhttp::verb::get, "/v1/events/types", Dialect::native, "events:read", types);
  r.add(bhttp::verb::get, "/v1/events/stats", Dialect::native, "events:read", stats);
}

}  // namespace eventsd::http

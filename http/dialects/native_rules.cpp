// Rules and suppression (docs/suppression.md): PUT/GET /v1/suppression/rules, PUT/GET
// /v1/scoring/rules (scope admin), GET /v1/suppression/stats.
#include "commands/rules_input.h"
#include "http/api/render.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "http/api/submit.h"
#include "projections/rules.h"
#include "projections/stats.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

// {"status":"success","rules":[...]} with the rules now in force.
Response rules_response(App& app, const std::string& tenant, RuleKind kind) {
  std::string rules = R"({"rules":[]})";
  {
    TenantView view(app, tenant);
    if (auto tno = view.tno()) {
      rules = rules_json(view.read(), *tno, kind);
    }
  }
  // rules is {"rules":[...]}: splice the status in front.
  return json_response(200, R"({"status":"success",)" + rules.substr(1));
}

// PUT: the tenant's rules of one kind replaced by the body's (`parse` reads them), answered with
// the rules now in force.
template <RuleKind kind, auto parse>
asio::awaitable<Reply> put_rules(App& app, Request& req) {
  req.query.only({});
  auto recorded = co_await submit<Recorded>(app, req, parse(json_body(req)));
  co_return with_position(rules_response(app, req.principal.tenant, kind), recorded.position);
}

template <RuleKind kind>
asio::awaitable<Reply> get_rules(App& app, Request& req) {
  req.query.only({});
  co_return rules_response(app, req.principal.tenant, kind);
}

asio::awaitable<Reply> get_suppression_stats(App& app, Request& req) {
  req.query.only({});
  SuppressionStats s;
  {
    TenantView view(app, req.principal.tenant);
    if (auto tno = view.tno()) {
      s = suppression_stats(view.read(), *tno);
    }
  }
  using R = schema::SuppressionReason;
  const R reasons[] = {R::INORGANIC, R::INORGANIC_GROUPED, R::METADATA_FILTER};
  auto counts = [&](JsonWriter& w, const std::array<std::uint64_t, 4>& c) {
    std::uint64_t total = 0;
    for (R r : reasons) total += c[static_cast<std::size_t>(r)];
    w.key("total").number(total);
    for (R r : reasons) w.key(*suppression_name(r)).number(c[static_cast<std::size_t>(r)]);
  };
  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("stats").begin_object();
  counts(w, s.by_reason);
  w.key("by_day").begin_array();
  for (const auto& [day, c] : s.by_day) {
    w.begin_object().key("date").string(format_date(day));
    counts(w, c);
    w.end_object();
  }
  w.end_array().end_object().end_object();
  co_return json_response(200, std::move(body));
}

}  // namespace

void add_native_rule_routes(Router& r) {
  using V = bhttp::verb;
  using K = RuleKind;
  r.add_log_write(V::put, "/v1/suppression/rules", Dialect::native, "admin",
                  put_rules<K::suppression, parse_suppression_rules>);
  r.add(V::get, "/v1/suppression/rules", Dialect::native, "admin", get_rules<K::suppression>);
  r.add(V::get, "/v1/suppression/stats", Dialect::native, "events:read", get_suppression_stats);
  r.add_log_write(V::put, "/v1/scoring/rules", Dialect::native, "admin", put_rules<K::scoring, parse_scoring_rules>);
  r.add(V::get, "/v1/scoring/rules", Dialect::native, "admin", get_rules<K::scoring>);
}

}  // namespace eventsd::http

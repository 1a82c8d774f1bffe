// POST /v1/aggregate and POST /v1/aggregate/funnel through the router: time buckets across the
// daylight-saving changes of Europe/Berlin and America/New_York, every validation error, tenant
// isolation, suppressed events, the counters' answers against a scan's, the work bound.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/api_test.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;

class Aggregates : public test::ApiTest {
 protected:
  json::value aggregate(const std::string& body, const std::string& route = "/v1/aggregate") {
    auto r = client().post(route, body);
    EXPECT_EQ(r.status, 200) << body << " -> " << r.body;
    return r.json();
  }
  json::value rows(const std::string& body) { return aggregate(body).at("rows"); }
  void ingest(const std::string& batch) {
    auto r = client().post("/v1/events", R"({"batch":)" + batch + "}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
};

TEST_F(Aggregates, DaysAndHoursFollowDaylightSavingInTwoZones) {
  // Berlin moves from +01:00 to +02:00 at 2026-03-29T01:00Z (02:00 local does not exist); New
  // York from -04:00 to -05:00 at 2026-11-01T06:00Z (01:00-02:00 local happens twice).
  ingest(R"([
    {"event":"a","timestamp":"2026-03-28T23:30:00Z"},
    {"event":"a","timestamp":"2026-03-29T00:59:59Z"},
    {"event":"a","timestamp":"2026-03-29T01:00:00Z"},
    {"event":"a","timestamp":"2026-03-29T21:59:59Z"},
    {"event":"a","timestamp":"2026-03-29T22:00:00Z"},
    {"event":"a","timestamp":"2026-03-31T22:30:00Z"},
    {"event":"b","timestamp":"2026-11-01T04:00:00Z"},
    {"event":"b","timestamp":"2026-11-01T05:30:00Z"},
    {"event":"b","timestamp":"2026-11-01T06:30:00Z"},
    {"event":"b","timestamp":"2026-11-02T04:59:59Z"},
    {"event":"b","timestamp":"2026-11-02T05:00:00Z"}
  ])");
  // Berlin's 29 March is 23 hours long: 2026-03-28T23:00Z to 2026-03-29T22:00Z.
  EXPECT_EQ(rows(R"({"group_by":["day"],"time_zone":"Europe/Berlin","filters":{"event_type":"a",
                     "date_after":"2026-03-28T23:00:00Z","date_before":"2026-03-31T21:59:59.999Z"}})"),
            json::parse(R"([{"day":"2026-03-29","count":4},{"day":"2026-03-30","count":1},{"day":"2026-03-31","count":0}])"));
  EXPECT_EQ(rows(R"({"group_by":["day"],"filters":{"event_type":"a","date_after":"2026-03-28","date_before":"2026-03-31T23:59:59.999Z"}})"),
            json::parse(R"([{"day":"2026-03-28","count":1},{"day":"2026-03-29","count":4},{"day":"2026-03-30","count":0},{"day":"2026-03-31","count":1}])"));
  // No 02:00 bucket in Berlin that night.
  EXPECT_EQ(rows(R"({"group_by":["hour"],"time_zone":"Europe/Berlin","filters":{"event_type":"a",
                     "date_after":"2026-03-28T23:00:00Z","date_before":"2026-03-29T02:59:59Z"}})"),
            json::parse(R"([{"hour":"2026-03-29T00:00:00+01:00","count":1},{"hour":"2026-03-29T01:00:00+01:00","count":1},
                            {"hour":"2026-03-29T03:00:00+02:00","count":1},{"hour":"2026-03-29T04:00:00+02:00","count":0}])"));
  // New York's 1 November is 25 hours long, and its 01:00 hour comes twice.
  EXPECT_EQ(rows(R"({"group_by":["day"],"time_zone":"America/New_York","filters":{"event_type":"b"}})"),
            json::parse(R"([{"day":"2026-11-01","count":4},{"day":"2026-11-02","count":1}])"));
  EXPECT_EQ(rows(R"({"group_by":["hour"],"time_zone":"America/New_York","filters":{"event_type":"b",
                     "date_after":"2026-11-01T05:00:00Z","date_before":"2026-11-01T06:59:59Z"}})"),
            json::parse(R"([{"hour":"2026-11-01T01:00:00-04:00","count":1},{"hour":"2026-11-01T01:00:00-05:00","count":1}])"));
  // Weeks start on the zone's Mondays, months on its first days.
  EXPECT_EQ(rows(R"({"group_by":["week"],"time_zone":"Europe/Berlin","filters":{"event_type":"a"}})"),
            json::parse(R"([{"week":"2026-03-23","count":4},{"week":"2026-03-30","count":2}])"));
  EXPECT_EQ(rows(R"({"group_by":["week"],"filters":{"event_type":"a"}})"),
            json::parse(R"([{"week":"2026-03-23","count":5},{"week":"2026-03-30","count":1}])"));
  EXPECT_EQ(rows(R"({"group_by":["month"],"time_zone":"Europe/Berlin","filters":{"event_type":"a"}})"),
            json::parse(R"([{"month":"2026-03","count":5},{"month":"2026-04","count":1}])"));
  EXPECT_EQ(rows(R"({"group_by":["month"],"filters":{"event_type":"a"}})"), json::parse(R"([{"month":"2026-03","count":6}])"));
}

TEST_F(Aggregates, MetricsDimensionsOrderAndLimit) {
  ASSERT_EQ(client().put("/v1/contacts/ct_1", R"({"email":"ada@acme.com","company":{"name":"Acme","domain":"acme.com"}})").status, 200);
  ingest(R"([
    {"event":"purchase","contact_id":"ct_1","session_id":"s1","url":"https://shop.com/cart?x=1","timestamp":"2026-05-01T10:00:00Z","data":{"amount":18.99,"plan":"pro"}},
    {"event":"purchase","contact_id":"ct_1","session_id":"s2","url":"https://shop.com/cart","timestamp":"2026-05-01T11:00:00Z","data":{"amount":1.01,"plan":"pro"}},
    {"event":"purchase","contact_id":"ct_2","session_id":"s3","url":"https://shop.com/","timestamp":"2026-05-02T10:00:00Z","data":{"amount":0.1,"plan":"free"}},
    {"event":"purchase","timestamp":"2026-05-02T11:00:00Z","data":{"amount":0.2}},
    {"event":"page_view","contact_id":"ct_2","timestamp":"2026-05-02T12:00:00Z","data":{"amount":"not a number"}}
  ])");
  const std::string every_metric = R"j({"filters":{"event_type":"purchase"},"metrics":["count","unique_contacts","unique_sessions",
      "sum(data.amount)","avg(data.amount)","min(data.amount)","max(data.amount)","p50(data.amount)","p95(data.amount)"]})j";
  // The sum is exact, to the text: 18.99 + 1.01 + 0.1 + 0.2.
  EXPECT_NE(client().post("/v1/aggregate", every_metric).body.find(R"j("sum(data.amount)":20.30,)j"), std::string::npos);
  auto all = aggregate(every_metric);
  ASSERT_EQ(all.at("rows").as_array().size(), 1u);
  const auto& row = all.at("rows").at(0);
  EXPECT_EQ(row.at("count"), 4);
  EXPECT_EQ(row.at("unique_contacts"), 2);
  EXPECT_EQ(row.at("unique_sessions"), 3);
  EXPECT_DOUBLE_EQ(row.at("avg(data.amount)").to_number<double>(), 5.075);
  EXPECT_DOUBLE_EQ(row.at("min(data.amount)").to_number<double>(), 0.1);
  EXPECT_DOUBLE_EQ(row.at("max(data.amount)").to_number<double>(), 18.99);
  EXPECT_DOUBLE_EQ(row.at("p50(data.amount)").to_number<double>(), 0.2);   // 2nd of 4 (nearest rank)
  EXPECT_DOUBLE_EQ(row.at("p95(data.amount)").to_number<double>(), 18.99);  // 4th of 4
  EXPECT_EQ(all.at("truncated"), false);

  EXPECT_EQ(rows(R"({"group_by":["data.plan","path"],"metrics":["count"],"order_by":"data.plan","order_dir":"desc"})"),
            json::parse(R"([{"data.plan":"pro","path":"/cart","count":2},{"data.plan":"free","path":"/","count":1},
                            {"data.plan":null,"path":null,"count":2}])"));
  EXPECT_EQ(rows(R"({"group_by":["company.name","contact.email"],"filters":{"identified_only":true}})"),
            json::parse(R"([{"company.name":null,"contact.email":null,"count":2},{"company.name":"Acme","contact.email":"ada@acme.com","count":2}])"));
  // ct_1 and ct_2 have two events each: the tie goes to the smaller dimension value.
  auto limited = aggregate(R"({"group_by":["contact_id"],"order_by":"count","order_dir":"desc","limit":1})");
  EXPECT_EQ(limited.at("rows"), json::parse(R"([{"contact_id":"ct_1","count":2}])"));
  EXPECT_EQ(limited.at("total_rows"), 3);
  EXPECT_EQ(rows(R"j({"filters":{"conditions":[{"field":"data.amount","op":"gte","value":1.01},
                     {"field":"company.domain","op":"eq","value":"acme.com"}]},"metrics":["sum(data.amount)"]})j"),
            json::parse(R"j([{"sum(data.amount)":20.00}])j"));
  EXPECT_EQ(rows(R"({"filters":{"conditions":[{"field":"data.plan","op":"exists","value":false}]}})"), json::parse(R"([{"count":2}])"));
  EXPECT_EQ(rows(R"({"filters":{"conditions":[{"field":"data.plan","op":"ne","value":"pro"}]}})"), json::parse(R"([{"count":3}])"));
  EXPECT_EQ(rows(R"({"filters":{"conditions":[{"field":"contact.email","op":"contains","value":"ACME"}]}})"), json::parse(R"([{"count":2}])"));

  EXPECT_EQ(rows(R"({"source":"contacts","group_by":["company.name"]})"),
            json::parse(R"([{"company.name":null,"count":1},{"company.name":"Acme","count":1}])"));
  EXPECT_EQ(rows(R"({"source":"contacts","filters":{"event_type":"page_view"}})"), json::parse(R"([{"count":1}])"));
  EXPECT_EQ(rows(R"({"source":"companies","group_by":["company.domain"],"metrics":["count","unique_contacts"]})"),
            json::parse(R"([{"company.domain":"acme.com","count":1,"unique_contacts":1}])"));
}

TEST_F(Aggregates, CountersAnswerWhatTheyHoldAndAgreeWithAScan) {
  ingest(R"([
    {"event":"a","url":"https://x.com/","timestamp":"2026-05-01T10:00:00Z"},
    {"event":"a","url":"https://y.com/","timestamp":"2026-05-01T11:00:00Z"},
    {"event":"b","url":"https://x.com/","timestamp":"2026-05-03T10:00:00Z"}
  ])");
  for (const char* group : {R"(["day"])", R"(["event"])", R"(["domain"])", R"(["day","event","domain"])"}) {
    auto counted = aggregate(std::string(R"({"group_by":)") + group + "}");
    EXPECT_EQ(std::string(counted.at("plan").as_string()).rfind("rm_counts", 0), 0u) << counted;
    EXPECT_EQ(counted.at("examined"), 0);
    // A condition every event meets makes it scan.
    auto scanned = aggregate(std::string(R"({"group_by":)") + group +
                             R"(,"filters":{"conditions":[{"field":"event","op":"exists"}]}})");
    EXPECT_EQ(std::string(scanned.at("plan").as_string()).find("rm_counts"), std::string::npos);
    EXPECT_EQ(scanned.at("examined"), 3);
    EXPECT_EQ(counted.at("rows"), scanned.at("rows")) << group;
  }
  EXPECT_EQ(rows(R"({"group_by":["day"]})"),
            json::parse(R"([{"day":"2026-05-01","count":2},{"day":"2026-05-02","count":0},{"day":"2026-05-03","count":1}])"));
}

TEST_F(Aggregates, TheWorkBoundIsReportedNotHitSilently) {
  std::string batch = "[";
  for (int i = 0; i < 50; ++i) batch += std::string(i ? "," : "") + R"({"event":"e","contact_id":"ct_)" + std::to_string(i % 5) + R"(","data":{"n":)" + std::to_string(i) + "}}";
  ingest(batch + "]");
  auto part = aggregate(R"({"group_by":["data.n"],"max_examined":10})");
  EXPECT_EQ(part.at("truncated"), true);
  EXPECT_EQ(part.at("truncated_reason"), "max_examined");
  EXPECT_EQ(part.at("examined"), 10);
  EXPECT_EQ(part.at("total_rows"), 10);
  auto whole = aggregate(R"({"group_by":["data.n"],"max_examined":50})");
  EXPECT_EQ(whole.at("truncated"), false);
  EXPECT_EQ(whole.at("truncated_reason"), nullptr);
  EXPECT_EQ(whole.at("total_rows"), 50);
  auto funnel = aggregate(R"({"steps":[{"event":"e"},{"event":"e"}],"max_examined":5})", "/v1/aggregate/funnel");
  EXPECT_EQ(funnel.at("truncated"), true);
}

TEST_F(Aggregates, SuppressedEventsCountOnlyWhenAskedFor) {
  ASSERT_EQ(client().put("/v1/suppression/rules", R"({"rules":[{"kind":"metadata","key":"bot","equals":true}]})").status, 200);
  ingest(R"([
    {"event":"visit","contact_id":"ct_1","timestamp":"2026-05-01T10:00:00Z"},
    {"event":"signup","contact_id":"ct_1","timestamp":"2026-05-01T10:05:00Z","data":{"bot":true}},
    {"event":"visit","contact_id":"ct_2","timestamp":"2026-05-01T11:00:00Z","data":{"bot":true}},
    {"event":"signup","contact_id":"ct_3","timestamp":"2026-05-01T12:00:00Z"}
  ])");
  for (bool counters : {true, false}) {
    const std::string scan = counters ? "" : R"(,"conditions":[{"field":"event","op":"exists"}])";
    EXPECT_EQ(rows(R"({"filters":{)" + scan.substr(counters ? 0 : 1) + "}}"), json::parse(R"([{"count":2}])"));
    EXPECT_EQ(rows(R"({"filters":{"suppressed":"include")" + scan + "}}"), json::parse(R"([{"count":4}])"));
    EXPECT_EQ(rows(R"({"filters":{"suppressed":"only")" + scan + "}}"), json::parse(R"([{"count":2}])"));
  }
  EXPECT_EQ(rows(R"({"source":"contacts"})"), json::parse(R"([{"count":2}])"));  // ct_2 has only a suppressed event
  auto funnel = aggregate(R"({"steps":[{"event":"visit"},{"event":"signup"}]})", "/v1/aggregate/funnel");
  EXPECT_EQ(funnel.at("steps").at(0).at("count"), 1);
  EXPECT_EQ(funnel.at("steps").at(1).at("count"), 0);  // ct_1's signup is suppressed
  auto with = aggregate(R"({"steps":[{"event":"visit"},{"event":"signup"}],"filters":{"suppressed":"include"}})", "/v1/aggregate/funnel");
  EXPECT_EQ(with.at("steps").at(0).at("count"), 2);
  EXPECT_EQ(with.at("steps").at(1).at("count"), 1);
}

TEST_F(Aggregates, FunnelStepsConversionsMediansAndBreakdown) {
  ingest(R"([
    {"event":"view","contact_id":"ct_1","utm_source":"google","timestamp":"2026-05-01T10:00:00Z"},
    {"event":"cart","contact_id":"ct_1","timestamp":"2026-05-01T10:01:00Z"},
    {"event":"buy","contact_id":"ct_1","timestamp":"2026-05-01T10:03:00.500Z","data":{"amount":5}},
    {"event":"view","contact_id":"ct_2","utm_source":"news","timestamp":"2026-05-01T10:00:00Z"},
    {"event":"cart","contact_id":"ct_2","timestamp":"2026-05-01T10:10:00Z"},
    {"event":"buy","contact_id":"ct_2","timestamp":"2026-05-03T10:00:00Z"},
    {"event":"view","contact_id":"ct_3","utm_source":"google","timestamp":"2026-05-01T10:00:00Z"},
    {"event":"cart","contact_id":"ct_4","timestamp":"2026-05-01T10:00:00Z"},
    {"event":"view","timestamp":"2026-05-01T10:00:00Z"}
  ])");
  auto f = aggregate(R"({"steps":[{"event":"view"},{"event":"cart"},{"event":"buy"}],"window_seconds":86400,
                          "breakdown":"utm_source"})", "/v1/aggregate/funnel");
  EXPECT_EQ(f.at("window_seconds"), 86400);
  EXPECT_EQ(f.at("steps"), json::parse(R"([
    {"event":"view","count":3,"conversion_from_previous":null,"conversion_from_first":1,"median_seconds_from_previous":null},
    {"event":"cart","count":2,"conversion_from_previous":0.6666666666666666,"conversion_from_first":0.6666666666666666,"median_seconds_from_previous":60},
    {"event":"buy","count":1,"conversion_from_previous":0.5,"conversion_from_first":0.3333333333333333,"median_seconds_from_previous":120.5}])"));
  EXPECT_EQ(f.at("breakdown"), "utm_source");
  EXPECT_EQ(f.at("total_breakdown_values"), 2);
  const auto& google = f.at("breakdown_values").at(0);
  EXPECT_EQ(google.at("value"), "google");
  EXPECT_EQ(google.at("steps").at(0).at("count"), 2);
  EXPECT_EQ(google.at("steps").at(2).at("count"), 1);
  EXPECT_EQ(f.at("breakdown_values").at(1).at("value"), "news");
  // A step's conditions, and the window.
  auto paid = aggregate(R"({"steps":[{"event":"view"},{"event":"buy","conditions":[{"field":"data.amount","op":"gt","value":1}]}],
                             "window_seconds":604800})", "/v1/aggregate/funnel");
  EXPECT_EQ(paid.at("steps").at(1).at("count"), 1);
  auto week = aggregate(R"({"steps":[{"event":"view"},{"event":"buy"}],"window_seconds":604800})", "/v1/aggregate/funnel");
  EXPECT_EQ(week.at("steps").at(1).at("count"), 2);
}

TEST_F(Aggregates, EveryValidationErrorNamesTheField) {
  const std::pair<std::string, std::string> aggregate_cases[] = {
      {R"([])", "body"},
      {R"({"bogus":1})", "bogus"},
      {R"({"source":"leads"})", "source"},
      {R"({"filters":[]})", "filters"},
      {R"({"filters":{"nope":1}})", "filters.nope"},
      {R"({"filters":{"event_type":""}})", "filters.event_type"},
      {R"({"filters":{"date_after":"yesterday"}})", "filters.date_after"},
      {R"({"filters":{"range":"last_year"}})", "filters.range"},
      {R"({"filters":{"identified_only":"yes"}})", "filters.identified_only"},
      {R"({"filters":{"suppressed":"all"}})", "filters.suppressed"},
      {R"({"filters":{"conditions":{}}})", "filters.conditions"},
      {R"({"filters":{"conditions":[{"op":"eq","value":1}]}})", "filters.conditions[0].field"},
      {R"({"filters":{"conditions":[{"field":"color","op":"eq","value":1}]}})", "filters.conditions[0].field"},
      {R"({"filters":{"conditions":[{"field":"day","op":"eq","value":"x"}]}})", "filters.conditions[0].field"},
      {R"({"filters":{"conditions":[{"field":"event","op":"like","value":"x"}]}})", "filters.conditions[0].op"},
      {R"({"filters":{"conditions":[{"field":"event","op":"eq"}]}})", "filters.conditions[0].value"},
      {R"({"filters":{"conditions":[{"field":"event","op":"eq","value":3}]}})", "filters.conditions[0].value"},
      {R"({"filters":{"conditions":[{"field":"event","op":"gt","value":3}]}})", "filters.conditions[0].field"},
      {R"({"filters":{"conditions":[{"field":"data.n","op":"gt","value":"3"}]}})", "filters.conditions[0].value"},
      {R"({"filters":{"conditions":[{"field":"data.n","op":"exists","value":1}]}})", "filters.conditions[0].value"},
      {R"({"filters":{"conditions":[{"field":"data.n","op":"contains","value":""}]}})", "filters.conditions[0].value"},
      {R"({"filters":{"conditions":[{"field":"data.n","op":"eq","value":1,"extra":1}]}})", "filters.conditions[0].extra"},
      {R"({"group_by":"day"})", "group_by"},
      {R"({"group_by":["event","domain","path","url"]})", "group_by"},
      {R"({"group_by":["colour"]})", "group_by[0]"},
      {R"({"group_by":["data."]})", "group_by[0]"},
      {R"({"group_by":["event","event"]})", "group_by[1]"},
      {R"({"group_by":["day","week"]})", "group_by[1]"},
      {R"({"group_by":["event"],"source":"contacts"})", "group_by[0]"},
      {R"({"group_by":["hour"],"filters":{"date_after":"2020-01-01","date_before":"2026-01-01"}})", "group_by[0]"},
      {R"({"time_zone":"Mars/Olympus_Mons"})", "time_zone"},
      {R"({"time_zone":"../../etc/passwd"})", "time_zone"},
      {R"({"time_zone":7})", "time_zone"},
      {R"({"metrics":[]})", "metrics"},
      {R"({"metrics":["median"]})", "metrics[0]"},
      {R"j({"metrics":["sum(amount)"]})j", "metrics[0]"},
      {R"({"metrics":["count","count"]})", "metrics[1]"},
      {R"({"metrics":["unique_sessions"],"source":"contacts"})", "metrics[0]"},
      {R"({"order_by":"domain"})", "order_by"},
      {R"({"order_dir":"asc"})", "order_dir"},
      {R"({"order_by":"count","order_dir":"up"})", "order_dir"},
      {R"({"limit":0})", "limit"},
      {R"({"limit":10001})", "limit"},
      {R"({"limit":"5"})", "limit"},
      {R"({"max_examined":0})", "max_examined"},
      {R"({"max_examined":2000001})", "max_examined"},
  };
  for (const auto& [body, field] : aggregate_cases) {
    auto r = client().post("/v1/aggregate", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(r.json().at("status"), "error") << body;
    EXPECT_EQ(r.json().at("error").at("code"), "invalid_request") << body;
    EXPECT_EQ(r.json().at("error").at("field"), json::value(field)) << body << " -> " << r.body;
  }
  const std::pair<std::string, std::string> funnel_cases[] = {
      {R"({})", "steps"},
      {R"({"steps":[{"event":"a"}]})", "steps"},
      {R"({"steps":[{"event":"a"},{"event":"a"},{"event":"a"},{"event":"a"},{"event":"a"},{"event":"a"},
                    {"event":"a"},{"event":"a"},{"event":"a"},{"event":"a"},{"event":"a"}]})", "steps"},
      {R"({"steps":[{"event":"a"},"b"]})", "steps[1]"},
      {R"({"steps":[{"event":"a"},{}]})", "steps[1].event"},
      {R"({"steps":[{"event":"a"},{"event":""}]})", "steps[1].event"},
      {R"({"steps":[{"event":"a"},{"event":"b","when":1}]})", "steps[1].when"},
      {R"({"steps":[{"event":"a"},{"event":"b","conditions":[{"field":"data.x","op":"gt"}]}]})", "steps[1].conditions[0].value"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"window_seconds":0})", "window_seconds"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"window_seconds":31536001})", "window_seconds"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"breakdown":"day"})", "breakdown"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"breakdown":"colour"})", "breakdown"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"filters":{"range":"forever"}})", "filters.range"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"limit":0})", "limit"},
      {R"({"steps":[{"event":"a"},{"event":"b"}],"group_by":["day"]})", "group_by"},
  };
  for (const auto& [body, field] : funnel_cases) {
    auto r = client().post("/v1/aggregate/funnel", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(r.json().at("error").at("field"), json::value(field)) << body << " -> " << r.body;
  }
  for (const char* route : {"/v1/aggregate", "/v1/aggregate/funnel"}) {
    auto r = client().post(route, "{not json");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json().at("error").at("code"), "invalid_request");
    EXPECT_EQ(client().post(std::string(route) + "?x=1", "{}").json().at("error").at("field"), "x");
    EXPECT_EQ(client(token("acme", "events:write")).post(route, "{}").status, 403);
    EXPECT_EQ(client("").post(route, "{}").status, 401);
  }
}

TEST_F(Aggregates, AnotherTenantSeesNothingOfThis) {
  ingest(R"([{"event":"a","contact_id":"ct_1","timestamp":"2026-05-01T10:00:00Z"},
             {"event":"b","contact_id":"ct_1","timestamp":"2026-05-01T10:01:00Z"}])");
  ASSERT_EQ(client().put("/v1/contacts/ct_1", R"({"company":{"name":"Acme","domain":"acme.com"}})").status, 200);
  auto other = client(token("other"));
  for (const char* body : {R"({})", R"({"group_by":["event"]})", R"({"filters":{"conditions":[{"field":"event","op":"exists"}]}})"}) {
    auto r = other.post("/v1/aggregate", body);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json().at("rows"), body == std::string("{}") || body[2] == 'f' ? json::parse(R"([{"count":0}])") : json::array()) << body;
  }
  EXPECT_EQ(other.post("/v1/aggregate", R"({"source":"contacts"})").json().at("rows"), json::parse(R"([{"count":0}])"));
  EXPECT_EQ(other.post("/v1/aggregate", R"({"source":"companies"})").json().at("rows"), json::parse(R"([{"count":0}])"));
  auto funnel = other.post("/v1/aggregate/funnel", R"({"steps":[{"event":"a"},{"event":"b"}]})").json();
  EXPECT_EQ(funnel.at("steps").at(0).at("count"), 0);
  // The same request from the owner sees its data.
  EXPECT_EQ(rows(R"({"source":"companies"})"), json::parse(R"([{"count":1}])"));
  EXPECT_EQ(aggregate(R"({"steps":[{"event":"a"},{"event":"b"}]})", "/v1/aggregate/funnel").at("steps").at(1).at("count"), 1);
}

}  // namespace
}  // namespace eventsd

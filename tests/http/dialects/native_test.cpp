// The native API (docs/api.md) through the router, in process (tests/support/api_test.h): ingest,
// list, get and delete, paging and filters, tenants, every bad input and parameter, ids, the
// bearer scheme, routes and methods.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>

#include "tests/support/answers.h"
#include "tests/support/api_test.h"
#include "tests/support/bad_inputs.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;
using test::count_events;
using test::expect_native_error;

TEST_F(ApiTest, IngestListGetDelete) {
  auto c = client();
  auto r = c.post("/v1/events", R"({"event":"page_view","url":"https://Example.com/pricing",
      "contact_id":"ct_abc","timestamp":"2026-04-29T11:23:45Z","data":{"title":"Pricing"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = std::string(r.json().at("ids").at(0).as_string());
  EXPECT_EQ(id.rfind("evt_", 0), 0u);

  auto list = c.get("/v1/events").json();
  EXPECT_EQ(list.at("status"), "success");
  ASSERT_EQ(list.at("events").as_array().size(), 1u);
  const auto& e = list.at("events").at(0);
  EXPECT_EQ(e.at("_id"), id.c_str());
  EXPECT_EQ(e.at("event"), "page_view");
  EXPECT_EQ(e.at("timestamp"), "2026-04-29T11:23:45.000Z");
  EXPECT_EQ(e.at("url"), "https://Example.com/pricing");
  EXPECT_EQ(e.at("domain"), "example.com");
  EXPECT_EQ(e.at("data"), json::parse(R"({"title":"Pricing"})"));
  EXPECT_EQ(e.at("internal_contact_id"), "ct_abc");
  EXPECT_TRUE(e.at("suppression_reason").is_null());
  EXPECT_TRUE(e.at("original_contact_id").is_null());
  std::set<std::string> keys;
  for (const auto& kv : e.as_object()) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"_id", "event", "timestamp", "url", "domain", "data",
                                         "internal_contact_id", "contact", "company",
                                         "suppression_reason", "original_contact_id"}));
  auto pagination = list.at("pagination");
  EXPECT_EQ(pagination.at("page"), 1);
  EXPECT_EQ(pagination.at("limit"), 20);
  EXPECT_EQ(pagination.at("total_pages"), 1);
  EXPECT_EQ(pagination.at("total_items"), 1);

  auto one = c.get("/v1/events/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("event").at("_id"), id.c_str());

  auto summary = c.get("/v1/events?fields=summary").json().at("events").at(0);
  std::set<std::string> summary_keys;
  for (const auto& kv : summary.as_object()) summary_keys.insert(std::string(kv.key()));
  EXPECT_EQ(summary_keys, (std::set<std::string>{"id", "event", "timestamp", "url", "contact_id"}));
  EXPECT_EQ(summary.at("contact_id"), "ct_abc");

  auto del = c.del("/v1/events/batch", R"({"event_ids":[")" + id + R"(","evt_missing"]})");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json().at("deleted"), 1);
  EXPECT_EQ(del.json().at("not_found"), json::parse(R"(["evt_missing"])"));
  expect_native_error(c.get("/v1/events/" + id), 404, "event_not_found");
  EXPECT_EQ(count_events(c), 0);
  // The other spelling of the route.
  auto again = c.del("/events/batch", R"({"event_ids":[")" + id + R"("]})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json().at("deleted"), 0);
}

TEST_F(ApiTest, PaginationTotalsAndFilters) {
  auto c = client();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 45; ++i) {
    batch += std::string(i ? "," : "") + R"({"event":")" + (i % 3 ? "view" : "click") +
             R"(","contact_id":"ct_)" + std::to_string(i % 5) + R"(","timestamp":"2026-01-01T00:00:)" +
             (i < 10 ? "0" : "") + std::to_string(i) + R"(Z"})";
  }
  batch += "]}";
  ASSERT_EQ(c.post("/v1/events", batch).status, 201);

  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto r = c.get("/v1/events?limit=20&page=" + std::to_string(page)).json();
    EXPECT_EQ(r.at("pagination").at("total_items"), 45);
    EXPECT_EQ(r.at("pagination").at("total_pages"), 3);
    const auto& events = r.at("events").as_array();
    EXPECT_EQ(events.size(), page < 3 ? 20u : 5u);
    for (const auto& e : events) EXPECT_TRUE(seen.insert(std::string(e.at("_id").as_string())).second);
  }
  EXPECT_EQ(seen.size(), 45u);
  auto beyond = c.get("/v1/events?limit=20&page=4").json();
  EXPECT_TRUE(beyond.at("events").as_array().empty());

  auto first = c.get("/v1/events?limit=1").json().at("events").at(0);
  EXPECT_EQ(first.at("timestamp"), "2026-01-01T00:00:44.000Z");
  auto oldest = c.get("/v1/events?limit=1&sort_dir=asc").json().at("events").at(0);
  EXPECT_EQ(oldest.at("timestamp"), "2026-01-01T00:00:00.000Z");

  EXPECT_EQ(count_events(c, "&event_type=click"), 15);
  EXPECT_EQ(count_events(c, "&contact_id=ct_1"), 9);
  EXPECT_EQ(count_events(c, "&contact_id=ct_1&event_type=view"), 6);
  auto typed = c.get("/v1/events?event_type=click&limit=100").json();
  EXPECT_EQ(typed.at("pagination").at("total_items"), 15);
  for (const auto& e : typed.at("events").as_array()) EXPECT_EQ(e.at("event"), "click");
  EXPECT_EQ(count_events(c, "&event_type=nothing"), 0);
}

TEST_F(ApiTest, TenantsNeverSeeEachOther) {
  auto acme = client();
  auto globex = client(token("globex"));
  auto r = acme.post("/v1/events", R"({"id":"shared-id","event":"secret","contact_id":"ct_1"})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(count_events(globex), 0);
  EXPECT_TRUE(globex.get("/v1/events").json().at("events").as_array().empty());
  EXPECT_EQ(globex.get("/v1/events/shared-id").status, 404);
  EXPECT_EQ(count_events(globex, "&contact_id=ct_1"), 0);
  auto del = globex.del("/v1/events/batch", R"({"event_ids":["shared-id"]})");
  EXPECT_EQ(del.json().at("deleted"), 0);
  EXPECT_EQ(count_events(acme), 1);
  // The same client id in another tenant is a separate event.
  ASSERT_EQ(globex.post("/v1/events", R"({"id":"shared-id","event":"other"})").status, 201);
  EXPECT_EQ(acme.get("/v1/events/shared-id").json().at("event").at("event"), "secret");
  EXPECT_EQ(globex.get("/v1/events/shared-id").json().at("event").at("event"), "other");
}

TEST_F(ApiTest, EveryBadInputIsA400AndStoresNothing) {
  auto c = client();
  for (const auto& bad : test::bad_ingest_bodies()) {
    auto r = c.post("/v1/events", bad.body);
    expect_native_error(r, 400, "invalid_request", bad.field);
  }
  expect_native_error(c.post("/v1/events", R"({"event":)"), 400, "invalid_request");
  expect_native_error(c.post("/v1/events", ""), 400, "invalid_request");
  expect_native_error(c.post("/v1/events", "\xff\xfe"), 400, "invalid_request");
  EXPECT_EQ(count_events(c), 0);
}

TEST_F(ApiTest, EveryBadQueryParameterIsA400NamingIt) {
  auto c = client();
  const std::pair<std::string, std::string> cases[] = {
      {"limit=0", "limit"},          {"limit=101", "limit"},        {"limit=ten", "limit"},
      {"page=0", "page"},            {"page=-1", "page"},           {"sort_by=name", "sort_by"},
      {"sort_dir=up", "sort_dir"},   {"range=last_year", "range"},  {"date_after=soon", "date_after"},
      {"date_before=2026-13-01", "date_before"},                    {"count_only=maybe", "count_only"},
      {"identified_only=yes", "identified_only"},                   {"fields=all", "fields"},
      {"suppressed=some", "suppressed"},                            {"colour=red", "colour"},
      {"limit=5&limit=6", "limit"},  {"cursor=abc", "cursor"},      {"limit=20.5", "limit"},
      {"page=2&cursor=abc", "cursor"},
  };
  for (const auto& [query, field] : cases) {
    SCOPED_TRACE(query);
    expect_native_error(c.get("/v1/events?" + query), 400, "invalid_request", field);
  }
}

TEST_F(ApiTest, OverlongPathIdsAreUnknownIds) {
  auto c = client();
  const std::string long_id(600, 'a');
  expect_native_error(c.get("/v1/events/" + long_id), 404, "event_not_found");
  expect_native_error(c.get("/v1/audit/events/" + long_id), 404, "event_not_found");
  expect_native_error(c.get("/v1/contacts/" + long_id), 404, "not_found");
  auto campaign = c.get("/v1/campaigns/" + long_id + "/events");
  EXPECT_EQ(campaign.status, 404);
  EXPECT_EQ(campaign.json().at("error").at("code"), "campaign_not_found");
  auto lead = c.get("/leads/" + long_id + "/events");
  EXPECT_EQ(lead.status, 400);
  EXPECT_EQ(lead.json().at("error").at("field"), "lead_id");
}

TEST_F(ApiTest, BearerSchemeInAnyCaseAndChallengeOn401) {
  auto c = client();
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER ", "Bearer\t  "}) {
    SCOPED_TRACE(scheme);
    auto anonymous = client("");
    auto r = anonymous.request(boost::beast::http::verb::get, "/v1/events", "", {{"Authorization", scheme + token_}});
    EXPECT_EQ(r.status, 200);
  }
  auto anonymous = client("");
  auto r = anonymous.get("/v1/events");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
  auto glued = anonymous.request(boost::beast::http::verb::get, "/v1/events", "", {{"Authorization", "Bearer" + token_}});
  EXPECT_EQ(glued.status, 401);
}

TEST_F(ApiTest, RoutesAndMethodsAnswerJson) {
  auto c = client();
  auto r = c.get("/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().at("error").at("code"), "not_found");
  auto m = c.request(boost::beast::http::verb::patch, "/v1/events");
  EXPECT_EQ(m.status, 405);
  EXPECT_NE(m.header("Allow").find("GET"), std::string::npos);
  EXPECT_EQ(m.json().at("error").at("code"), "method_not_allowed");
}

}  // namespace
}  // namespace eventsd

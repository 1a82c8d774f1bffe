// The native query API through the router (seed 001; docs/api.md, "List", "Types and stats", "Contacts"): every list parameter, types, stats,
// contacts and enrichment, cursors under concurrent ingest, tenant isolation of every route.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "tests/support/api_test.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;

std::vector<std::string> ids(const json::value& list) {
  std::vector<std::string> out;
  for (const auto& e : list.at("events").as_array()) out.emplace_back(e.at("_id").as_string());
  return out;
}

class Queries : public test::ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    auto c = client();
    ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"a","event":"page_view","contact_id":"ct_1","url":"https://example.com/pricing","timestamp":"2026-04-29T11:00:00Z","data":{"title":"Pricing"}},
      {"id":"b","event":"page_view","url":"https://blog.example.org/post","timestamp":"2026-04-29T10:00:00Z"},
      {"id":"c","event":"form_submit","contact_id":"ct_2","url":"https://example.com/contact","timestamp":"2026-04-28T09:00:00Z"},
      {"id":"d","event":"email_open","contact_id":"ct_1","timestamp":"2026-04-27T08:00:00Z","campaign_id":"cmp_1"},
      {"id":"e","event":"Page View","contact_id":"ct_3","url":"https://EXAMPLE.com/Pricing?x=1","timestamp":"2026-04-26T07:00:00Z"}
    ]})").status, 201);
  }
  std::vector<std::string> list(const std::string& query) {
    auto r = client().get("/v1/events?" + query);
    EXPECT_EQ(r.status, 200) << query << " -> " << r.body;
    return ids(r.json());
  }
};

TEST_F(Queries, EveryFilter) {
  using V = std::vector<std::string>;
  EXPECT_EQ(list(""), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(list("event_type=page_view"), (V{"a", "b"}));
  EXPECT_EQ(list("event_type=Page%20View"), (V{"e"}));  // case-sensitive
  EXPECT_EQ(list("contact_id=ct_1"), (V{"a", "d"}));
  EXPECT_EQ(list("domain=example.com"), (V{"a", "c", "e"}));
  EXPECT_EQ(list("url_contains=/pricing"), (V{"a"}));
  EXPECT_EQ(list("url_contains=Pricing"), (V{"e"}));
  EXPECT_EQ(list("search=PRICING"), (V{"a", "e"}));
  EXPECT_EQ(list("search=blog"), (V{"b"}));
  EXPECT_EQ(list("search=page"), (V{"a", "b", "e"}));
  EXPECT_EQ(list("date_after=2026-04-28T09:00:00Z"), (V{"a", "b", "c"}));
  EXPECT_EQ(list("date_before=2026-04-28T09:00:00Z"), (V{"c", "d", "e"}));
  EXPECT_EQ(list("date_after=2026-04-27&date_before=2026-04-28T23:59:59Z"), (V{"c", "d"}));
  EXPECT_EQ(list("identified_only=true"), (V{"a", "c", "d", "e"}));
  EXPECT_EQ(list("identified_only=false"), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(list("sort_dir=asc"), (V{"e", "d", "c", "b", "a"}));
  EXPECT_EQ(list("sort_by=event&sort_dir=asc"), (V{"e", "d", "c", "b", "a"}));  // "Page View" < "email_open" < ...
  EXPECT_EQ(list("sort_by=createdAt"), (V{"e", "d", "c", "b", "a"}));
  EXPECT_EQ(list("sort_by=createdAt&sort_dir=asc"), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(list("suppressed=include"), (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(list("suppressed=exclude"), (V{"a", "b", "c", "d", "e"}));
  EXPECT_TRUE(list("suppressed=only").empty());
  EXPECT_EQ(list("event_type=page_view&contact_id=ct_1&domain=example.com"), (V{"a"}));
  EXPECT_EQ(list("limit=2&page=2"), (V{"c", "d"}));
  // range is relative to now; these events are in April 2026.
  EXPECT_TRUE(list("range=today").empty());
  EXPECT_TRUE(list("range=last_7d").empty());

  auto count = client().get("/v1/events?count_only=true&domain=example.com").json();
  EXPECT_EQ(count, json::parse(R"({"status":"success","count":3})"));
}

TEST_F(Queries, RangeSelectsRecentEvents) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"id":"now","event":"fresh"})").status, 201);
  EXPECT_EQ(list("range=today"), std::vector<std::string>{"now"});
  EXPECT_EQ(list("range=last_7d"), std::vector<std::string>{"now"});
  EXPECT_EQ(list("range=last_90d"), std::vector<std::string>{"now"});
  EXPECT_TRUE(list("range=yesterday").empty());
}

TEST_F(Queries, EnrichmentWithContactAndCompany) {
  auto c = client();
  auto put = c.put("/v1/contacts/ct_1", R"({"firstname":"Ada","lastname":"Lovelace","email":"ada@example.com",
                                            "company":{"name":"Analytical Engines","domain":"example.com"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  // ct_2 has no company of its own but an email at a company's domain.
  ASSERT_EQ(c.put("/v1/contacts/ct_2", R"({"firstname":"Grace","email":"grace@EXAMPLE.com"})").status, 200);
  ASSERT_EQ(c.put("/v1/contacts/ct_3", R"({"lastname":"Nobody","email":"x@elsewhere.net"})").status, 200);

  auto one = c.get("/v1/events/a").json().at("event");
  EXPECT_EQ(one.at("contact"), json::parse(R"({"_id":"ct_1","firstname":"Ada","lastname":"Lovelace"})"));
  const auto& company = one.at("company").as_object();
  EXPECT_EQ(company.at("name"), "Analytical Engines");
  EXPECT_EQ(company.at("domain"), "example.com");
  EXPECT_EQ(std::string(company.at("_id").as_string()).rfind("co_", 0), 0u);

  auto listed = c.get("/v1/events?sort_by=createdAt&sort_dir=asc").json().at("events").as_array();
  EXPECT_EQ(listed[0].at("company"), one.at("company"));
  EXPECT_TRUE(listed[1].at("contact").is_null());  // anonymous
  EXPECT_EQ(listed[2].at("contact").at("firstname"), "Grace");
  EXPECT_EQ(listed[2].at("company"), one.at("company"));  // by email domain
  EXPECT_EQ(listed[4].at("contact").at("lastname"), "Nobody");
  EXPECT_TRUE(listed[4].at("company").is_null());
  // summary mode is not enriched
  auto summary = c.get("/v1/events?fields=summary&limit=1").json().at("events").at(0).as_object();
  EXPECT_FALSE(summary.contains("contact"));

  // The lead view.
  auto lead = c.get("/v1/contacts/ct_1").json();
  EXPECT_EQ(lead, json::parse(R"({"status":"success","contact":{"id":"ct_1","firstname":"Ada",
      "lastname":"Lovelace","email":"ada@example.com","score":0,"event_count":2,"session_count":2,
      "first_seen":"2026-04-27T08:00:00.000Z","last_seen":"2026-04-29T11:00:00.000Z","merged_from":[]}})"));
  EXPECT_EQ(c.get("/v1/contacts/ct_9").status, 404);
  // A contact with events but no profile is a lead too.
  EXPECT_EQ(c.get("/v1/contacts/ct_2").json().at("contact").at("event_count"), 1);
  // PUT replaces the profile.
  ASSERT_EQ(c.put("/v1/contacts/ct_1", R"({"firstname":"Augusta"})").status, 200);
  auto replaced = c.get("/v1/contacts/ct_1").json().at("contact");
  EXPECT_EQ(replaced.at("firstname"), "Augusta");
  EXPECT_TRUE(replaced.at("lastname").is_null());
}

TEST_F(Queries, ContactBodiesAreValidated) {
  auto c = client();
  const std::pair<std::string, std::string> bad[] = {
      {R"([])", ""},
      {R"({"firstname":5})", "firstname"},
      {R"({"nickname":"x"})", "nickname"},
      {R"({"email":"nope"})", "email"},
      {R"({"company":"Acme"})", "company"},
      {R"({"company":{}})", "company"},
      {R"({"company":{"domain":"not a host"}})", "company.domain"},
      {R"({"company":{"name":"A","size":3}})", "company.size"},
  };
  for (const auto& [body, field] : bad) {
    auto r = c.put("/v1/contacts/ct_x", body);
    EXPECT_EQ(r.status, 400) << body;
    if (!field.empty()) {
      EXPECT_EQ(r.json().at("error").at("field"), field.c_str()) << body;
    }
  }
  EXPECT_EQ(c.get("/v1/contacts/ct_x").status, 404);
}

TEST_F(Queries, TypesAndStats) {
  auto c = client();
  auto types = c.get("/v1/events/types").json();
  EXPECT_EQ(types, json::parse(R"({"status":"success",
      "types":["Page View","email_open","form_submit","page_view"],"total_items":4})"));

  auto stats = c.get("/v1/events/stats").json().at("stats");
  EXPECT_EQ(stats.at("total"), 5);
  EXPECT_EQ(stats.at("suppressed"), 0);
  EXPECT_EQ(stats.at("by_type").at(0), json::parse(R"({"type":"page_view","count":2})"));
  EXPECT_EQ(stats.at("by_type").as_array().size(), 4u);
  EXPECT_EQ(stats.at("by_domain"), json::parse(R"([{"domain":"example.com","count":3},
                                                  {"domain":"blog.example.org","count":1}])"));
  // by_day is the 90 calendar days ending today: these April 2026 events are older than that,
  // so the window is moved to end with them.
  EXPECT_EQ(stats.at("by_day"), json::array());
  auto april = c.get("/v1/events/stats?date_before=2026-04-30").json().at("stats");
  EXPECT_EQ(april.at("by_day"), json::parse(R"([{"date":"2026-04-29","count":2},{"date":"2026-04-28","count":1},
      {"date":"2026-04-27","count":1},{"date":"2026-04-26","count":1}])"));

  auto filtered = c.get("/v1/events/stats?domain=example.com&identified_only=true&date_after=2026-04-28T00:00:00Z").json();
  EXPECT_EQ(filtered.at("stats").at("total"), 2);
  auto by_type = c.get("/v1/events/stats?group_by=type").json().at("stats").as_object();
  EXPECT_TRUE(by_type.contains("by_type"));
  EXPECT_FALSE(by_type.contains("by_domain"));
  EXPECT_FALSE(by_type.contains("by_day"));
  EXPECT_EQ(by_type.at("total"), 5);
  for (const char* bad : {"group_by=week", "date_after=x", "identified_only=2", "top=5", "limit=5"}) {
    EXPECT_EQ(c.get(std::string("/v1/events/stats?") + bad).status, 400) << bad;
  }
  EXPECT_EQ(c.get("/v1/events/types?x=1").status, 400);
}

TEST_F(ApiTest, CursorPagesStayStableWhileIngesting) {
  auto c = client();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 300; ++i) {
    batch += std::string(i ? "," : "") + R"({"id":"old-)" + std::to_string(i) +
             R"(","event":"e","timestamp":"2026-01-01T00:00:)" + (i % 60 < 10 ? "0" : "") +
             std::to_string(i % 60) + R"(Z"})";
  }
  ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    auto w = client(token_);
    for (int i = 0; !stop; ++i) {
      // New events before, among and after the old ones.
      const char* ts[] = {"2025-12-31T23:59:59Z", "2026-01-01T00:00:30Z", "2026-06-01T00:00:00Z"};
      w.post("/v1/events", std::string(R"({"event":"e","timestamp":")") + ts[i % 3] + R"("})");
    }
  });
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto r = c.get("/v1/events?limit=25&date_before=2026-01-01T00:01:00Z&date_after=2026-01-01" +
                   (cursor.empty() ? std::string() : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = r.json();
    for (const auto& id : ids(body)) EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
    const auto& next = body.at("pagination").at("next_cursor");
    if (next.is_null()) break;
    cursor = std::string(next.as_string());
    ASSERT_LT(++pages, 200);
  }
  stop = true;
  writer.join();
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(seen.count("old-" + std::to_string(i))) << "missed old-" << i;
}

TEST_F(ApiTest, EveryRouteIsTenantIsolated) {
  auto acme = client();
  auto other = client(token("other"));
  ASSERT_EQ(acme.post("/v1/events", R"({"id":"x1","event":"secret","contact_id":"ct_1","url":"https://acme.com/"})").status, 201);
  ASSERT_EQ(acme.put("/v1/contacts/ct_1", R"({"firstname":"Ada"})").status, 200);

  EXPECT_TRUE(other.get("/v1/events").json().at("events").as_array().empty());
  EXPECT_EQ(other.get("/v1/events?count_only=true").json().at("count"), 0);
  EXPECT_EQ(other.get("/v1/events/x1").status, 404);
  EXPECT_EQ(other.get("/v1/events/types").json().at("total_items"), 0);
  EXPECT_EQ(other.get("/v1/events/stats").json().at("stats").at("total"), 0);
  EXPECT_EQ(other.get("/v1/contacts/ct_1").status, 404);
  EXPECT_EQ(other.del("/v1/events/batch", R"({"event_ids":["x1"]})").json().at("deleted"), 0);
  // The other tenant's own contact of the same id is its own.
  ASSERT_EQ(other.put("/v1/contacts/ct_1", R"({"firstname":"Bob"})").status, 200);
  EXPECT_EQ(acme.get("/v1/contacts/ct_1").json().at("contact").at("firstname"), "Ada");
  EXPECT_EQ(acme.get("/v1/events/x1").json().at("event").at("contact").at("firstname"), "Ada");
}

}  // namespace
}  // namespace eventsd

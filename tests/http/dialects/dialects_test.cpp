// The other seeds' dialects over HTTP, written from the seed documents: organizational unit
// (seeds 000/002), campaign stream (003), workspace (004); rate limits; and one store under all.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>

#include "tests/support/answers.h"
#include "tests/support/api_test.h"
#include "tests/support/seed_examples.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;
using test::expect_plain_error;

std::set<std::string> keys_of(const json::value& v) {
  std::set<std::string> out;
  for (const auto& kv : v.as_object()) out.emplace(kv.key());
  return out;
}

// ---------------------------------------------------------------- organizational unit

TEST_F(ApiTest, OrgUnitListAndLeadEvents) {
  auto c = client();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 30; ++i) {
    batch += std::string(i ? "," : "") + R"({"event_type":")" + (i % 3 ? "Page View" : "Email Open") +
             R"(","lead_id":"ld_)" + std::to_string(i % 2) + R"(","metadata":{"path":"/p)" +
             std::to_string(i) + R"("},"created_at":"2025-01-15T10:)" + (i < 10 ? "0" : "") +
             std::to_string(i) + R"(:00Z"})";
  }
  auto ingest = c.post("/ingest", batch + "]}");
  ASSERT_EQ(ingest.status, 201) << ingest.body;

  auto page = c.get("/events").json();
  EXPECT_EQ(keys_of(page), (std::set<std::string>{"events", "total", "page", "limit"}));
  EXPECT_EQ(page.at("total"), 30);
  EXPECT_EQ(page.at("page"), 1);
  EXPECT_EQ(page.at("limit"), 25);
  ASSERT_EQ(page.at("events").as_array().size(), 25u);
  const auto& first = page.at("events").at(0);
  EXPECT_EQ(keys_of(first), (std::set<std::string>{"id", "lead_id", "event_type", "metadata",
                                                   "suppression_reason", "original_lead_id", "created_at"}));
  EXPECT_EQ(first.at("created_at"), "2025-01-15T10:29:00Z");  // when it occurred, newest first
  EXPECT_EQ(first.at("metadata"), json::parse(R"({"path":"/p29"})"));
  EXPECT_TRUE(first.at("suppression_reason").is_null());
  EXPECT_TRUE(first.at("original_lead_id").is_null());

  EXPECT_EQ(c.get("/events?page=2").json().at("events").as_array().size(), 5u);
  EXPECT_EQ(c.get("/events?limit=100").json().at("events").as_array().size(), 30u);
  EXPECT_EQ(c.get("/events?event_type=Email%20Open").json().at("total"), 10);
  EXPECT_EQ(c.get("/events?lead_id=ld_1").json().at("total"), 15);
  EXPECT_EQ(c.get("/events?range=last_7d").json().at("total"), 0);
  auto lead = c.get("/leads/ld_0/events?limit=5").json();
  EXPECT_EQ(lead.at("total"), 15);
  for (const auto& e : lead.at("events").as_array()) EXPECT_EQ(e.at("lead_id"), "ld_0");
  EXPECT_EQ(c.get("/leads/ld_0/events?event_type=Email%20Open").json().at("total"), 5);

  for (const char* bad : {"limit=0", "limit=101", "page=0", "range=forever", "lead_id=a&lead_id=b", "colour=1"}) {
    expect_plain_error(c.get(std::string("/events?") + bad), 400, "invalid_request");
  }
  expect_plain_error(client("").get("/events"), 401, "unauthorized");
  expect_plain_error(client(token("acme", "events:write")).get("/events"), 403, "insufficient_permissions");
}

TEST_F(ApiTest, OrgUnitIngestAndDelete) {
  auto c = client();
  // Both spellings of a field at once are ambiguous.
  expect_plain_error(c.post("/ingest", R"({"event":"a","event_type":"b"})"), 400, "invalid_request");
  expect_plain_error(c.post("/ingest", R"({"event_type":"a","unknown":1})"), 400, "invalid_request");
  auto r = c.post("/ingest", R"({"id":"evt-123","event_type":"Page View","lead_id":"ld_456"})");
  ASSERT_EQ(r.status, 201);
  auto del = c.del("/events/batch", R"({"event_ids":["evt-123","evt-124"]})");
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.json().at("deleted"), 1);
  expect_plain_error(c.del("/events/batch", R"({"event_ids":"evt-1"})"), 400, "invalid_request");
  EXPECT_EQ(c.get("/events").json().at("total"), 0);
}

// ---------------------------------------------------------------- campaign stream

class Campaigns : public test::ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    std::string batch = R"({"batch":[)";
    const char* types[] = {"sent", "delivered", "opened", "clicked"};
    for (int i = 0; i < 120; ++i) {
      batch += std::string(i ? "," : "") + R"({"event":")" + types[i % 4] +
               R"(","campaign_id":"cmp_abc123","step_id":"step_1","email":"jane@example.com",
                  "contact_id":")" + (i % 2 ? "c1" : "c2") + R"(","data":{"ip_country":"DE"}})";
    }
    ASSERT_EQ(client().post("/v1/events", batch + "]}").status, 201);
  }
};

TEST_F(Campaigns, StreamShapeDefaultsAndFilters) {
  auto c = client();
  auto r = c.get("/v1/campaigns/cmp_abc123/events").json();
  EXPECT_EQ(keys_of(r), (std::set<std::string>{"data", "meta"}));
  EXPECT_EQ(r.at("meta"), json::parse(R"({"page":1,"per_page":50,"total":120})"));
  const auto& events = r.at("data").at("events").as_array();
  ASSERT_EQ(events.size(), 50u);
  EXPECT_EQ(keys_of(events[0]), (std::set<std::string>{"id", "type", "contact_id", "email", "step_id",
                                                       "timestamp", "metadata"}));
  EXPECT_EQ(events[0].at("email"), "jane@example.com");
  EXPECT_EQ(events[0].at("metadata"), json::parse(R"({"ip_country":"DE"})"));
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events?per_page=100&page=2").json().at("data").at("events").as_array().size(), 20u);
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events?type=opened").json().at("meta").at("total"), 30);
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events?contact_id=c1").json().at("meta").at("total"), 60);
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events?type=clicked&contact_id=c1").json().at("meta").at("total"), 30);
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events?to_date=2020-01-01").json().at("meta").at("total"), 0);
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events?from_date=2020-01-01").json().at("meta").at("total"), 120);
}

TEST_F(Campaigns, EveryErrorOfTheSeed) {
  auto c = client();
  expect_plain_error(c.get("/v1/campaigns/cmp_abc123/events?type=viewed"), 400, "invalid_event_type");
  expect_plain_error(c.get("/v1/campaigns/cmp_abc123/events?per_page=101"), 400, "invalid_request");
  expect_plain_error(c.get("/v1/campaigns/cmp_abc123/events?per_page=0"), 400, "invalid_request");
  expect_plain_error(c.get("/v1/campaigns/cmp_abc123/events?from_date=yesterday"), 400, "invalid_request");
  expect_plain_error(client("").get("/v1/campaigns/cmp_abc123/events"), 401, "invalid_key");
  expect_plain_error(client("wbk_wrong").get("/v1/campaigns/cmp_abc123/events"), 401, "invalid_key");
  expect_plain_error(client(token("acme", "events:read")).get("/v1/campaigns/cmp_abc123/events"), 403,
                     "insufficient_permissions");
  expect_plain_error(c.get("/v1/campaigns/cmp_nope/events"), 404, "campaign_not_found");
  // Another tenant's campaign does not exist for this token.
  expect_plain_error(client(token("other")).get("/v1/campaigns/cmp_abc123/events"), 404, "campaign_not_found");
}

TEST_F(ApiTest, CampaignRetentionNeverServesAndPurgesOldEvents) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"old","event":"opened","campaign_id":"cmp_1","timestamp":"2020-01-01T00:00:00Z"},
      {"id":"new","event":"opened","campaign_id":"cmp_1"}]})").status, 201);
  // Not purged yet (the retention runs at start and hourly), but never served.
  auto r = c.get("/v1/campaigns/cmp_1/events").json();
  EXPECT_EQ(r.at("meta").at("total"), 1);
  EXPECT_EQ(r.at("data").at("events").at(0).at("id"), "new");
  EXPECT_EQ(c.get("/v1/events/old").status, 200);
  // The retention at the next start purges it from the read models.
  restart();
  auto after = client();
  EXPECT_EQ(after.get("/v1/events/old").status, 404);
  EXPECT_EQ(after.get("/v1/events/new").status, 200);
  EXPECT_EQ(after.get("/v1/campaigns/cmp_1/events").json().at("meta").at("total"), 1);
  // The campaign still exists, and a shorter retention hides more.
  auto shorter = node_options();
  shorter.api.campaign_retention_days = 1;
  restart(shorter);
  EXPECT_EQ(client().get("/v1/campaigns/cmp_1/events").status, 200);
}

// ---------------------------------------------------------------- workspace

TEST_F(ApiTest, WorkspaceListAndCreate) {
  auto c = client();
  ASSERT_EQ(c.put("/v1/contacts/ct_1", test::kWorkspaceExampleProfile).status, 200);
  auto created = c.post("/api/workspaces/acme/events", test::workspace_example_event("ct_1"));
  ASSERT_EQ(created.status, 201) << created.body;
  auto event = created.json();
  EXPECT_EQ(keys_of(event), (std::set<std::string>{"id", "type", "metadata", "timestamp", "contact", "created"}));
  EXPECT_EQ(event.at("type"), "purchase");
  EXPECT_EQ(event.at("contact"),
            json::parse(R"({"id":"ct_1","email":"jane@example.com","firstName":"Jane","lastName":"Smith","leadScore":0})"));
  EXPECT_EQ(event.at("metadata").at("currency"), "USD");
  // The other fields landed too.
  auto full = c.get("/v1/events/" + std::string(event.at("id").as_string())).json().at("event");
  EXPECT_EQ(full.at("url"), "https://shop.example.com/checkout");
  EXPECT_EQ(full.at("domain"), "shop.example.com");
  EXPECT_EQ(full.at("utm_campaign"), "summer-sale");
  EXPECT_EQ(full.at("session_id"), "sess_abc");

  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(c.post("/api/workspaces/acme/events", R"({"type":"page_view"})").status, 201);
  }
  auto list = c.get("/api/workspaces/acme/events").json();
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.as_array().size(), 50u);
  EXPECT_TRUE(list.at(0).at("contact").is_null());
  EXPECT_EQ(c.get("/api/workspaces/acme/events?limit=200").json().as_array().size(), 61u);
  EXPECT_EQ(c.get("/api/workspaces/acme/events?contactId=ct_1").json().as_array().size(), 1u);
  EXPECT_EQ(c.get("/api/workspaces/acme/events?type=purchase").json().as_array().size(), 1u);
  for (const char* bad : {"limit=0", "limit=201", "contactId=%01", "page=2"}) {
    expect_plain_error(c.get(std::string("/api/workspaces/acme/events?") + bad), 400, "invalid_request");
  }
  expect_plain_error(c.post("/api/workspaces/acme/events", R"({"event":"x"})"), 400, "invalid_request");
  expect_plain_error(c.post("/api/workspaces/acme/events", R"({"type":"x","metadata":[]})"), 400, "invalid_request");
  expect_plain_error(c.post("/api/workspaces/acme/events", R"({"batch":[{"type":"x"}]})"), 400, "invalid_request");
  // Another tenant's workspace does not exist for this token, whatever it holds.
  expect_plain_error(c.get("/api/workspaces/globex/events"), 404, "not_found");
  expect_plain_error(client(token("globex")).get("/api/workspaces/acme/events"), 404, "not_found");
  expect_plain_error(client(token("globex")).post("/api/workspaces/acme/events", R"({"type":"x"})"), 404, "not_found");
  expect_plain_error(client("").get("/api/workspaces/acme/events"), 401, "unauthorized");
}

// ---------------------------------------------------------------- one store, every dialect

TEST_F(ApiTest, WritesThroughEachDialectAreSeenThroughAllOthers) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"id":"native-1","event":"opened","contact_id":"ld_1","campaign_id":"cmp_x"})").status, 201);
  ASSERT_EQ(c.post("/ingest", R"({"id":"ou-1","event_type":"opened","lead_id":"ld_1","campaign_id":"cmp_x"})").status, 201);
  ASSERT_EQ(c.post("/api/workspaces/acme/events", R"({"id":"ws-1","type":"opened","contactId":"ld_1"})").status, 201);

  auto ids = [](const json::value& events, const char* key) {
    std::set<std::string> out;
    for (const auto& e : events.as_array()) out.emplace(e.at(key).as_string());
    return out;
  };
  const auto native = ids(c.get("/v1/events").json().at("events"), "_id");
  const auto ou = ids(c.get("/leads/ld_1/events").json().at("events"), "id");
  const auto ws = ids(c.get("/api/workspaces/acme/events?contactId=ld_1").json(), "id");
  const auto campaign = ids(c.get("/v1/campaigns/cmp_x/events").json().at("data").at("events"), "id");
  const std::set<std::string> all{"native-1", "ou-1", "ws-1"};
  EXPECT_EQ(native, all);
  EXPECT_EQ(ou, all);
  EXPECT_EQ(ws, all);
  EXPECT_EQ(campaign, (std::set<std::string>{"native-1", "ou-1"}));  // the workspace event has no campaign
  // A delete through the OU route is seen everywhere.
  ASSERT_EQ(c.del("/events/batch", R"({"event_ids":["ws-1"]})").json().at("deleted"), 1);
  EXPECT_EQ(c.get("/api/workspaces/acme/events").json().as_array().size(), 2u);
  EXPECT_EQ(c.get("/v1/events?count_only=true").json().at("count"), 2);
}

// ---------------------------------------------------------------- rate limits

class RateLimited : public test::ApiTest {
  NodeOptions node_options() const override {
    auto options = ApiTest::node_options();
    options.api.rate_limit = 1;
    return options;
  }
};

TEST_F(RateLimited, EachTokenHasItsBucketAndEachDialectItsError) {
  auto c = client();
  // One request per second, bursts of one: while the clock stands still, the second request is
  // refused; a second later the bucket has refilled (the bucket's arithmetic is unit-tested apart).
  EXPECT_EQ(c.get("/v1/events").status, 200);
  test::HttpResponse last = c.get("/v1/events");
  ASSERT_EQ(last.status, 429);
  EXPECT_EQ(last.json().at("status"), "error");
  EXPECT_EQ(last.json().at("error").at("code"), "rate_limited");
  EXPECT_EQ(last.header("Retry-After"), "1");
  auto campaign = c.get("/v1/campaigns/x/events");
  ASSERT_EQ(campaign.status, 429);
  expect_plain_error(campaign, 429, "rate_limited");
  // Another token is not affected; an unauthenticated health check is never limited.
  EXPECT_EQ(client(token("acme")).get("/v1/events").status, 200);
  EXPECT_EQ(client("").get("/healthz").status, 200);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(c.get("/v1/events").status, 200);
}

TEST_F(RateLimited, AClientCannotPassAsAForwardedRequest) {
  // A request forwarded by another cluster node was counted where it arrived; whether one was is
  // told to the router by the node that received it over NATS (cluster/forward.h), never read
  // from a client's headers: a client's own mark is counted like any other request.
  auto c = client();
  const test::Headers mark{{"Eventsd-Forwarded-By", "some-node"}};
  EXPECT_EQ(c.request(boost::beast::http::verb::get, "/v1/events", "", mark).status, 200);
  EXPECT_EQ(c.request(boost::beast::http::verb::get, "/v1/events", "", mark).status, 429);
}

}  // namespace
}  // namespace eventsd

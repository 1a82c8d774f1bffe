// Each seed document's own example, sent as the document writes it with only the host changed:
// its curl (seeds 000, 002, 003) or its documented request (001, 004), against data made of the
// document's example objects. The operator runs eventsd as a seed-003 customer would: the campaign
// dialect mounted at the document's base path, and (for the document's April 2026 examples to be
// served at all) no campaign retention.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/e2e.h"
#include "tests/support/seed_examples.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;

class SeedExamples : public test::E2E {
 protected:
  std::vector<std::string> server_args() const override {
    return {"--mount", "campaign=/functions/v1/api-gateway", "--campaign-retention-days", "0"};
  }
};

// Seed 000: curl -X GET "https://api.leadvibe.com/events?page=1&limit=25&event_type=page_view"
//   -H "Authorization: Bearer <token>"; and DELETE /events/batch.
TEST_F(SeedExamples, Seed000ListsAndDeletesAsTheDocumentShows) {
  auto c = client();
  ASSERT_EQ(c.post("/ingest", test::org_unit_example_batch()).status, 201);
  auto r = c.get("/events?page=1&limit=25&event_type=page_view");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = r.json();
  EXPECT_EQ(v.at("total"), 1);
  EXPECT_EQ(v.at("page"), 1);
  EXPECT_EQ(v.at("limit"), 25);
  const auto& e = v.at("events").at(0);
  EXPECT_EQ(e.at("id"), "evt-123");
  EXPECT_EQ(e.at("lead_id"), "ld_456");
  EXPECT_EQ(e.at("event_type"), "page_view");
  EXPECT_EQ(e.at("metadata"), json::parse(R"({"path":"/pricing","referrer":"https://google.com"})"));
  EXPECT_EQ(e.at("created_at"), "2025-01-15T10:30:00Z");
  // Its related endpoints, in its names.
  EXPECT_EQ(c.get("/leads/ld_789/events").json().at("events").at(0).at("id"), "evt-124");
  EXPECT_EQ(c.get("/events/analytics").json().at("total"), 2);
  EXPECT_EQ(c.get("/events/export").body.substr(0, 3), "id,");

  auto deleted = c.del("/events/batch", R"({"event_ids": ["evt-123", "evt-124", "evt-125"]})");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(c.get("/events").json().at("total"), 0);
}

// Seed 001: GET /v1/events, /v1/events/types, /v1/events/stats, /v1/events/:event_id.
TEST_F(SeedExamples, Seed001ReadsAsTheDocumentShows) {
  auto c = client();
  ASSERT_EQ(c.put("/v1/contacts/ct_abc", R"({"firstname":"Ada","lastname":"Lovelace","company":{"name":"Analytical Engines","domain":"example.com"}})").status, 200);
  ASSERT_EQ(c.post("/v1/events", R"({"id":"evt_abc","event":"page_view","timestamp":"2026-04-29T11:23:45.000Z",
      "url":"https://example.com/pricing","contact_id":"ct_abc","data":{"title":"Pricing — Example","path":"/pricing"}})").status, 201);
  auto list = c.get("/v1/events").json();
  EXPECT_EQ(list.at("status"), "success");
  EXPECT_EQ(list.at("pagination"), json::parse(R"({"page":1,"limit":20,"total_pages":1,"total_items":1,"next_cursor":null})"));
  const auto& e = list.at("events").at(0);
  EXPECT_EQ(e.at("_id"), "evt_abc");
  EXPECT_EQ(e.at("domain"), "example.com");
  EXPECT_EQ(e.at("internal_contact_id"), "ct_abc");
  EXPECT_EQ(e.at("contact").at("firstname"), "Ada");
  EXPECT_EQ(e.at("company").at("name"), "Analytical Engines");
  EXPECT_EQ(c.get("/v1/events/types").json(), json::parse(R"({"status":"success","types":["page_view"],"total_items":1})"));
  auto stats = c.get("/v1/events/stats").json().at("stats");
  EXPECT_EQ(stats.at("total"), 1);
  EXPECT_EQ(stats.at("by_type"), json::parse(R"([{"type":"page_view","count":1}])"));
  EXPECT_EQ(c.get("/v1/events/evt_abc").json().at("event").at("_id"), "evt_abc");
}

// Seed 002: curl -X GET "https://api.kenbun.io/events?page=1&limit=25&event_type=Page%20View"
TEST_F(SeedExamples, Seed002ListsAsTheDocumentShows) {
  auto c = client();
  ASSERT_EQ(c.post("/ingest", test::org_unit_example_batch("Page View", "Email Open")).status, 201);
  auto r = c.get("/events?page=1&limit=25&event_type=Page%20View");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = r.json();
  EXPECT_EQ(v.at("total"), 1);
  const auto& e = v.at("events").at(0);
  EXPECT_EQ(e.at("id"), "evt-123");
  EXPECT_EQ(e.at("event_type"), "Page View");
  EXPECT_TRUE(e.at("suppression_reason").is_null());
  EXPECT_TRUE(e.at("original_lead_id").is_null());
  // Suppressed events contribute to no session (the document's "session creation").
  EXPECT_EQ(c.get("/leads/ld_456/sessions").json().at("total"), 1);
}

// Seed 003: curl "https://data.leadlex.com/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events?type=opened&per_page=100"
//   -H "Authorization: Bearer wbk_your_api_key_here"  — with a customer's real wbk_ key, imported.
TEST_F(SeedExamples, Seed003StreamsAsTheDocumentShows) {
  const std::string key = "wbk_3kP9xQ2vL7mN4rT8sW1yZ6bC";
  auto imported = test::run_command({test::eventctl_binary(), "token", "import", "--data", dir_.path().string(),
                                     "--tenant", "acme", "--scopes", "campaigns:read", "--key", key});
  ASSERT_EQ(imported.status, 0);
  // The document's two example events, sent newest first.
  ASSERT_EQ(client().post("/v1/events", R"({"batch":[
      {"id":"evt_b2c3d4e5","event":"clicked","contact_id":"123e4567-e89b-12d3-a456-426614174000","email":"jane@example.com",
       "step_id":"step_1","campaign_id":"cmp_abc123","timestamp":"2026-04-17T14:23:42Z","data":{"url":"https://leadlex.com/demo"}},
      {"id":"evt_a1b2c3d4","event":"opened","contact_id":"123e4567-e89b-12d3-a456-426614174000","email":"jane@example.com",
       "step_id":"step_1","campaign_id":"cmp_abc123","timestamp":"2026-04-17T14:23:05Z","data":{"user_agent":"Mozilla/5.0 ...","ip_country":"DE"}}]})").status, 201);
  test::HttpClient c(server_->port(), key);
  auto r = c.get("/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events?type=opened&per_page=100");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"data":{"events":[{"id":"evt_a1b2c3d4","type":"opened",
      "contact_id":"123e4567-e89b-12d3-a456-426614174000","email":"jane@example.com","step_id":"step_1",
      "timestamp":"2026-04-17T14:23:05Z","metadata":{"user_agent":"Mozilla/5.0 ...","ip_country":"DE"}}]},
      "meta":{"page":1,"per_page":100,"total":1}})"));
  // The example stream: oldest first.
  auto all = c.get("/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events?per_page=100").json();
  EXPECT_EQ(all.at("data").at("events").at(0).at("id"), "evt_a1b2c3d4");
  EXPECT_EQ(all.at("data").at("events").at(1).at("id"), "evt_b2c3d4e5");
  // The document's errors, at the document's path.
  EXPECT_EQ(c.get("/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events?type=viewed").json().at("error").at("code"),
            "invalid_event_type");
  EXPECT_EQ(test::HttpClient(server_->port(), "wbk_revoked_0000000000000000000")
                .get("/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events").json().at("error").at("code"),
            "invalid_key");
  EXPECT_EQ(c.get("/functions/v1/api-gateway/v1/campaigns/cmp_nope/events").json().at("error").at("code"),
            "campaign_not_found");
}

// Seed 004: GET and POST /api/workspaces/{workspaceId}/events with the document's body.
TEST_F(SeedExamples, Seed004IngestsAndListsAsTheDocumentShows) {
  auto c = client();
  ASSERT_EQ(c.put("/v1/contacts/ct_abc123", test::kWorkspaceExampleProfile).status, 200);
  auto created = c.post("/api/workspaces/acme/events", test::workspace_example_event());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json().at("type"), "purchase");
  auto list = c.get("/api/workspaces/acme/events?contactId=ct_abc123&type=purchase&limit=50");
  ASSERT_EQ(list.status, 200) << list.body;
  const auto body = list.json();
  const auto& e = body.as_array().at(0);
  EXPECT_EQ(e.at("id"), created.json().at("id"));
  // The document's contact, and its lead score (no scoring rules here: 0).
  EXPECT_EQ(e.at("contact"),
            json::parse(R"({"id":"ct_abc123","email":"jane@example.com","firstName":"Jane","lastName":"Smith","leadScore":0})"));
}

}  // namespace
}  // namespace eventsd

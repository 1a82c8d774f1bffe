// Data comes back as it was sent (docs/api.md, "Numbers and JSON" and each dialect's section):
// numbers spelled as sent, each dialect's timestamp format for every event, seed 004's fields and
// the lead score in the workspace dialect, ingest answers that say what was created, and a
// workspace ingest answered from the writer's decision.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/support/api_test.h"
#include "tests/support/seed_examples.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;

// Campaign events of any age stay served (the timestamps below are from 2025).
class AsSent : public test::ApiTest {
  NodeOptions node_options() const override {
    auto options = ApiTest::node_options();
    options.api.campaign_retention_days = 0;
    return options;
  }
};

bool contains(const std::string& body, const std::string& text) { return body.find(text) != std::string::npos; }

TEST_F(AsSent, NumbersComeBackSpelledAsSentInEveryDialect) {
  auto c = client();
  // Seed 004's own example body.
  auto created = c.post("/api/workspaces/acme/events", test::workspace_example_event());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(contains(created.body, R"("amount":99.99,)")) << created.body;

  const std::string data =
      R"({"price":19.9,"one":1.0,"python":18.990000000000002,"big":12345678901234567890123,)"
      R"("above_2_53":9007199254740993,"exp":1E+2,"neg_zero":-0.0,"list":[0.1,2.50]})";
  ASSERT_EQ(c.post("/v1/events", R"({"id":"n1","event":"opened","campaign_id":"cmp_1","contact_id":"ct_1",)"
                                 R"("timestamp":"2025-01-15T10:30:00Z","data":)" + data + "}").status, 201);
  for (const char* route : {"/v1/events/n1", "/v1/events", "/events", "/leads/ct_1/events",
                            "/v1/campaigns/cmp_1/events", "/api/workspaces/acme/events?contactId=ct_1",
                            "/v1/events/export?format=jsonl", "/v1/events/export?format=csv"}) {
    auto r = c.get(route);
    ASSERT_EQ(r.status, 200) << route;
    // CSV doubles the quotes of a field.
    const bool csv = std::string(route).ends_with("csv");
    std::string want = data;
    if (csv) want = std::regex_replace(want, std::regex("\""), "\"\"");
    EXPECT_TRUE(contains(r.body, want)) << route << ": " << r.body.substr(0, 600);
  }

  // Rule values keep their numbers too, and match by value.
  auto rules = c.put("/v1/suppression/rules", R"({"rules":[
      {"kind":"metadata","key":"price","equals":18.990000000000002},
      {"kind":"metadata","key":"qty","equals":5}]})");
  ASSERT_EQ(rules.status, 200) << rules.body;
  EXPECT_TRUE(contains(rules.body, R"("equals":18.990000000000002})")) << rules.body;
  EXPECT_TRUE(contains(c.get("/v1/suppression/rules").body, R"("equals":18.990000000000002})"));
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"exact","event":"buy","data":{"price":18.990000000000002}},
      {"id":"near","event":"buy","data":{"price":18.99}},
      {"id":"five","event":"buy","data":{"qty":5.0}},
      {"id":"six","event":"buy","data":{"qty":6}}]})").status, 201);
  auto reason = [&](const char* id) {
    return json::serialize(c.get(std::string("/v1/events/") + id).json().at("event").at("suppression_reason"));
  };
  EXPECT_EQ(reason("exact"), R"("metadata_filter")");
  EXPECT_EQ(reason("near"), "null");  // 18.99 is another double
  EXPECT_EQ(reason("five"), R"("metadata_filter")");  // 5.0 is the number 5
  EXPECT_EQ(reason("six"), "null");
}

TEST_F(AsSent, EachDialectWritesTimestampsInItsDocumentsFormat) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[
      {"id":"ms","event":"opened","contact_id":"ct_1","campaign_id":"cmp_1","timestamp":"2025-01-15T10:30:00.123Z"},
      {"id":"now","event":"opened","contact_id":"ct_1","campaign_id":"cmp_1"}]})").status, 201);
  const std::regex seconds(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)");
  const std::regex millis(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  auto all_match = [](const json::value& events, const char* key, const std::regex& format) {
    ASSERT_EQ(events.as_array().size(), 2u);
    for (const auto& e : events.as_array()) {
      const std::string t(e.at(key).as_string());
      EXPECT_TRUE(std::regex_match(t, format)) << key << " " << t;
    }
  };
  // Seeds 000/002 and 003: whole seconds, for an event stamped at receive time as well.
  all_match(c.get("/events").json().at("events"), "created_at", seconds);
  all_match(c.get("/leads/ct_1/events").json().at("events"), "created_at", seconds);
  all_match(c.get("/v1/campaigns/cmp_1/events").json().at("data").at("events"), "timestamp", seconds);
  {
    // The dialect's export too: its last column is created_at.
    auto csv = c.get("/events/export");
    ASSERT_EQ(csv.status, 200);
    std::istringstream rows(csv.body);
    std::string row;
    std::getline(rows, row);  // the header
    int n = 0;
    for (; std::getline(rows, row); ++n) {
      if (!row.empty() && row.back() == '\r') row.pop_back();
      EXPECT_TRUE(std::regex_match(row.substr(row.rfind(',') + 1), seconds)) << row;
    }
    EXPECT_EQ(n, 2);
  }
  EXPECT_EQ(c.get("/leads/ct_1/events").json().at("events").at(1).at("created_at"), "2025-01-15T10:30:00Z");
  // Seeds 001 and 004: milliseconds.
  all_match(c.get("/v1/events").json().at("events"), "timestamp", millis);
  all_match(c.get("/api/workspaces/acme/events").json(), "timestamp", millis);
  EXPECT_EQ(c.get("/v1/events/ms").json().at("event").at("timestamp"), "2025-01-15T10:30:00.123Z");
}

TEST_F(AsSent, WorkspaceShowsTheSeedsFieldsInMetadataAndTheLeadScore) {
  auto c = client();
  ASSERT_EQ(c.put("/v1/scoring/rules", R"({"rules":[{"event":"purchase","points":10},{"event":"page_view","points":1}]})").status, 200);
  ASSERT_EQ(c.put("/v1/contacts/ct_1", test::kWorkspaceExampleProfile).status, 200);
  auto created = c.post("/api/workspaces/acme/events", test::workspace_example_event("ct_1"));
  ASSERT_EQ(created.status, 201) << created.body;
  const auto expected_metadata = json::parse(R"({"productId":"prod_1","amount":99.99,"currency":"USD",
      "pageUrl":"https://shop.example.com/checkout","referrer":"https://shop.example.com/cart",
      "sessionId":"sess_abc","utmSource":"email","utmMedium":"campaign","utmCampaign":"summer-sale"})");
  EXPECT_EQ(created.json().at("metadata"), expected_metadata);
  EXPECT_EQ(created.json().at("contact").at("leadScore"), 10);

  // The seed's list example: a page view whose metadata shows pageUrl and referrer. Sent through
  // the native API with url and referrer, it reads the same way; a key the client put in the
  // metadata itself is never overwritten.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"pv","event":"page_view","contact_id":"ct_1",
      "url":"https://example.com/pricing","referrer":"https://google.com"})").status, 201);
  ASSERT_EQ(c.post("/api/workspaces/acme/events", R"({"id":"own","type":"page_view","contactId":"ct_1",
      "metadata":{"pageUrl":"/pricing"},"pageUrl":"https://example.com/pricing"})").status, 201);
  auto list = c.get("/api/workspaces/acme/events").json().as_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.at(0).at("id"), "own");
  EXPECT_EQ(list.at(0).at("metadata"), json::parse(R"({"pageUrl":"/pricing"})"));
  EXPECT_EQ(list.at(1).at("metadata"),
            json::parse(R"({"pageUrl":"https://example.com/pricing","referrer":"https://google.com"})"));
  EXPECT_EQ(list.at(2).at("metadata"), expected_metadata);
  for (const auto& e : list) {
    EXPECT_EQ(e.at("contact"), json::parse(R"({"id":"ct_1","email":"jane@example.com","firstName":"Jane",
        "lastName":"Smith","leadScore":12})"));
  }
  // An event without those fields keeps its metadata as it is.
  ASSERT_EQ(c.post("/api/workspaces/acme/events", R"({"id":"bare","type":"signup","metadata":{"plan":"pro"}})").status, 201);
  EXPECT_EQ(c.get("/api/workspaces/acme/events?type=signup").json().at(0).at("metadata"), json::parse(R"({"plan":"pro"})"));
}

TEST_F(AsSent, IngestAnswersSayWhichEventsWereCreated) {
  auto c = client();
  auto first = c.post("/v1/events", R"({"batch":[{"id":"a","event":"x"},{"id":"a","event":"x"},{"event":"y"}]})");
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(first.json().at("created"), json::parse("[true,false,true]"));
  EXPECT_EQ(first.json().at("ids").at(0), "a");
  auto retry = c.post("/v1/events", R"({"id":"a","event":"x"})");
  EXPECT_EQ(retry.json().at("ids"), json::parse(R"(["a"])"));
  EXPECT_EQ(retry.json().at("created"), json::parse("[false]"));

  auto ou = c.post("/ingest", R"({"batch":[{"id":"a","event_type":"x"},{"id":"b","event_type":"x"}]})");
  ASSERT_EQ(ou.status, 201);
  EXPECT_EQ(ou.json().at("created"), json::parse("[false,true]"));

  auto ws = c.post("/api/workspaces/acme/events", R"({"id":"w","type":"signup","metadata":{"plan":"pro"}})");
  ASSERT_EQ(ws.status, 201);
  EXPECT_EQ(ws.json().at("created"), true);
  // The retry answers the stored event (not its own body), and says so.
  auto ws_retry = c.post("/api/workspaces/acme/events", R"({"id":"w","type":"other","metadata":{"plan":"free"}})");
  ASSERT_EQ(ws_retry.status, 201);
  EXPECT_EQ(ws_retry.json().at("created"), false);
  EXPECT_EQ(ws_retry.json().at("type"), "signup");
  EXPECT_EQ(ws_retry.json().at("metadata"), json::parse(R"({"plan":"pro"})"));
  EXPECT_EQ(ws_retry.json().at("timestamp"), ws.json().at("timestamp"));
}

// Each committed workspace ingest is answered with its event even when a delete of that very event
// is committed right behind it (once, the answer was re-read from a later snapshot and became a 500).
TEST_F(AsSent, WorkspaceIngestIsAnsweredFromTheDecisionWhileDeletesRace) {
  constexpr int kEvents = 300;
  std::atomic<int> posted{-1};
  std::atomic<bool> done{false};
  std::atomic<int> deleted{0};
  std::thread deleter([&] {
    auto c = client();
    while (!done.load()) {
      const int k = posted.load();
      if (k < 0) continue;
      auto r = c.del("/v1/events/batch", R"({"event_ids":["w-)" + std::to_string(k) + R"("]})");
      if (r.status == 200) deleted += static_cast<int>(r.json().at("deleted").as_int64());
    }
  });
  auto c = client();
  for (int i = 0; i < kEvents; ++i) {
    posted.store(i);
    const std::string id = "w-" + std::to_string(i);
    auto r = c.post("/api/workspaces/acme/events", R"({"id":")" + id + R"(","type":"t","contactId":"ct_1"})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json().at("id").as_string(), id);
    EXPECT_EQ(r.json().at("type"), "t");
    EXPECT_EQ(r.json().at("contact").at("id"), "ct_1");
  }
  done.store(true);
  deleter.join();
  EXPECT_GT(deleted.load(), 0);  // the race was run
}

}  // namespace
}  // namespace eventsd

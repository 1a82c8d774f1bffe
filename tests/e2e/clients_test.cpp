// What clients of the seed products send and expect around the core contract (docs/api.md,
// "HTTP" and "Query parameters"): mounts, imported API keys, the campaign stream's order, the
// organizational unit's export, stream and analytics, sessions, the stats window, lenient query
// values, pages past the end, and HTTP as RFC 9110 asks (Date, HEAD, trailing slashes, ETag and
// 304, Cache-Control, 405 before templates).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "common/time.h"
#include "tests/support/e2e.h"
#include "tests/support/sse_client.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using boost::beast::http::verb;
using test::E2E;
using test::eventctl;

std::string iso(Millis t) { return format_iso8601_ms(t); }

// Everything after the header of a raw answer.
std::string body_of(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  return end == std::string::npos ? raw : raw.substr(end + 4);
}

std::string raw_get(std::uint16_t port, const std::string& method, const std::string& target,
                    const std::string& token) {
  return test::raw_exchange(port, method + " " + target + " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                                      token + "\r\nConnection: close\r\n\r\n");
}

// ---------------------------------------------------------------- mounts

class Mounted : public E2E {
 protected:
  std::vector<std::string> server_args() const override {
    return {"--mount", "campaign=/functions/v1/api-gateway", "--mount", "org_unit=/ou/api", "--mount", "native=/n"};
  }
};

TEST_F(Mounted, ADialectIsServedUnderItsPrefixWithItsErrors) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"event":"opened","campaign_id":"cmp_abc123","contact_id":"c1"})").status, 201);
  auto r = c.get("/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events?type=opened&per_page=100");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("meta").at("total"), 1);
  // Still served where it always was.
  EXPECT_EQ(c.get("/v1/campaigns/cmp_abc123/events").status, 200);
  // Errors under the mount speak the mounted dialect, before and after routing.
  auto unauthorized = test::HttpClient(server_->port()).get("/functions/v1/api-gateway/v1/campaigns/cmp_abc123/events");
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.json().at("error").at("code"), "invalid_key");
  auto missing = c.get("/functions/v1/api-gateway/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_FALSE(missing.json().as_object().contains("status")) << missing.body;
  // Errors the server answers before routing (framing, limits) too: a body over the limit, under
  // the native dialect's prefix, has the native shape.
  auto large = c.post("/n/v1/events", std::string(2 << 20, 'x'));
  EXPECT_EQ(large.status, 413);
  EXPECT_EQ(large.json().at("status"), "error") << large.body;
  // Only the mounted dialect's routes are under the prefix.
  EXPECT_EQ(c.get("/functions/v1/api-gateway/v1/events").status, 404);
  // The organizational-unit dialect under its own prefix.
  auto ou = c.get("/ou/api/events?page=1&limit=25");
  ASSERT_EQ(ou.status, 200) << ou.body;
  EXPECT_EQ(ou.json().at("total"), 1);
}

TEST(Mounts, AreValidatedAtStartAndDocumentedInHelp) {
  test::TempDir dir;
  for (const char* bad : {"campaign", "nope=/x", "campaign=x", "campaign=/", "campaign=/a/", "campaign=/a//b",
                          "campaign=/a/../b", "campaign=/a b"}) {
    auto r = test::run_command({test::eventsd_binary(), "--data", dir.path().string(), "--listen",
                                "127.0.0.1:0", "--mount", bad});
    EXPECT_EQ(r.status, 2) << bad;
  }
  auto twice = test::run_command({test::eventsd_binary(), "--data", dir.path().string(), "--mount", "campaign=/a",
                                  "--mount", "native=/a"});
  EXPECT_EQ(twice.status, 2);
  auto help = test::run_command({test::eventsd_binary(), "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--mount DIALECT=/PREFIX"), std::string::npos);
}

// ---------------------------------------------------------------- imported keys

TEST_F(E2E, AnExistingApiKeyIsImportedHashedAndWorks) {
  const std::string data = dir_.path().string();
  const std::string key = "wbk_live_9f3KqZ2mXw8LrT5vB1nY7cHd";
  auto imported = eventctl({"token", "import", "--data", data, "--tenant", "acme", "--scopes",
                            "campaigns:read,events:write", "--key", key});
  ASSERT_EQ(imported.status, 0);
  EXPECT_EQ(imported.out.rfind("tok_", 0), 0u) << imported.out;  // its id, not the key
  auto c = client(key);
  EXPECT_EQ(c.post("/v1/events", R"({"event":"sent","campaign_id":"cmp_1"})").status, 201);
  EXPECT_EQ(c.get("/v1/campaigns/cmp_1/events").status, 200);
  EXPECT_EQ(c.get("/v1/events").status, 403);  // only the scopes it was given
  // Stored hashed: the key's bytes are nowhere in the data directory.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(key), std::string::npos) << entry.path();
  }
  // The same key twice, a weak key, a placeholder: refused, saying why.
  EXPECT_EQ(eventctl({"token", "import", "--data", data, "--tenant", "acme", "--scopes", "events:read", "--key", key}).status, 2);
  for (const char* weak : {"wbk_your_api_key_here", "wbk_aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "short",
                           "wbk_has spaces in it 1234567890", "wbk_9f3KqZ2mXw8LrT5vB1nY7cHd=x"}) {
    auto r = eventctl({"token", "import", "--data", data, "--tenant", "acme", "--scopes", "events:read", "--key", weak});
    EXPECT_EQ(r.status, 2) << weak;
    EXPECT_EQ(client(weak).get("/v1/events").status, 401) << weak;
  }
}

// ---------------------------------------------------------------- campaign order

TEST_F(E2E, CampaignStreamIsChronologicalAndPagesInThatOrder) {
  auto c = client();
  // Sent out of order, as a client retrying would (yesterday: within the campaign retention).
  const Millis base = day_start(now_millis()) - kMillisPerDay + (14 * 60 + 23) * 60'000LL;
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 7; ++i) {
    const int second = (i * 5) % 7;  // 0,5,3,1,6,4,2
    batch += std::string(i ? "," : "") + R"({"id":"e)" + std::to_string(second) +
             R"(","event":"opened","campaign_id":"cmp_abc123","timestamp":")" + iso(base + second * 1000) + R"("})";
  }
  ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);
  std::vector<std::string> ids;
  for (int page = 1; page <= 3; ++page) {
    auto r = c.get("/v1/campaigns/cmp_abc123/events?per_page=3&page=" + std::to_string(page)).json();
    EXPECT_EQ(r.at("meta").at("total"), 7);
    for (const auto& e : r.at("data").at("events").as_array()) ids.emplace_back(e.at("id").as_string());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}));
}

// ---------------------------------------------------------------- organizational unit's related endpoints

TEST_F(E2E, OrgUnitExportStreamAndAnalyticsSpeakItsNames) {
  auto c = client();
  ASSERT_EQ(c.post("/ingest", R"({"batch":[
      {"id":"evt-123","event_type":"page_view","lead_id":"ld_456","metadata":{"path":"/pricing","referrer":"https://google.com"},"created_at":"2025-01-15T10:30:00Z"},
      {"id":"evt-124","event_type":"email_open","lead_id":"ld_789","metadata":{"campaign":"Q1, \"Nurture\""},"created_at":"2025-01-15T10:25:00Z"}]})").status, 201);

  auto csv = c.get("/events/export");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body,
            "id,lead_id,event_type,metadata,suppression_reason,original_lead_id,created_at\r\n"
            "evt-123,ld_456,page_view,\"{\"\"path\"\":\"\"/pricing\"\",\"\"referrer\"\":\"\"https://google.com\"\"}\",,,"
            "2025-01-15T10:30:00Z\r\n"
            "evt-124,ld_789,email_open,\"{\"\"campaign\"\":\"\"Q1, \\\"\"Nurture\\\"\"\"\"}\",,,2025-01-15T10:25:00Z\r\n");
  EXPECT_EQ(c.get("/events/export?lead_id=ld_789&event_type=email_open").body.find("evt-123"), std::string::npos);
  EXPECT_EQ(c.get("/events/export?format=xml").status, 400);

  auto analytics = c.get("/events/analytics").json();
  EXPECT_EQ(analytics.at("total"), 2);
  EXPECT_EQ(analytics.at("by_type"), json::parse(R"([{"event_type":"email_open","count":1},{"event_type":"page_view","count":1}])"));
  EXPECT_EQ(analytics.at("by_day"), json::array());  // 2025 is outside the 90 days ending today
  EXPECT_EQ(analytics.at("sessions"), 2);
  EXPECT_EQ(c.get("/events/analytics?event_type=page_view").json().at("total"), 1);
  EXPECT_EQ(c.get("/events/analytics?range=today").json().at("total"), 0);
  EXPECT_EQ(c.get("/events/analytics?range=always").status, 400);

  test::SseClient stream(server_->port(), token_, "/events/stream?event_type=form_submit");
  ASSERT_EQ(stream.status(), 200);
  ASSERT_EQ(c.post("/ingest", R"({"batch":[{"event_type":"page_view"},{"id":"f1","event_type":"form_submit","lead_id":"ld_1"}]})").status, 201);
  auto messages = stream.wait_for(1, std::chrono::seconds(10));
  ASSERT_EQ(messages.size(), 1u);
  auto data = json::parse(messages[0].data);
  ASSERT_EQ(data.at("events").as_array().size(), 1u);
  const auto& e = data.at("events").at(0);
  EXPECT_EQ(e.at("id"), "f1");
  EXPECT_EQ(e.at("lead_id"), "ld_1");
  EXPECT_EQ(e.at("event_type"), "form_submit");
  EXPECT_TRUE(e.as_object().contains("metadata"));
}

// ---------------------------------------------------------------- sessions

TEST_F(E2E, SessionsSplitAfterThirtyMinutesAndIgnoreSuppressedEvents) {
  auto c = client();
  // Everything from "bot" agents is suppressed: it must not bridge two sessions.
  ASSERT_EQ(c.put("/v1/suppression/rules", R"({"rules":[{"kind":"metadata","key":"ua","contains":"bot"}]})").status, 200);
  const Millis t0 = day_start(now_millis()) - kMillisPerDay + 9 * 3'600'000;  // yesterday 09:00
  auto at = [&](int minutes) { return iso(t0 + minutes * 60'000LL); };
  std::string batch = R"({"batch":[)";
  batch += R"({"event":"view","contact_id":"ld_1","timestamp":")" + at(0) + R"("},)";
  batch += R"({"event":"view","contact_id":"ld_1","timestamp":")" + at(25) + R"("},)";
  batch += R"({"event":"view","contact_id":"ld_1","timestamp":")" + at(50) + R"(","data":{"ua":"a bot"}},)";
  batch += R"({"event":"view","contact_id":"ld_1","timestamp":")" + at(70) + R"("},)";  // 45 min after 25
  batch += R"({"event":"view","contact_id":"ld_1","timestamp":")" + at(100) + R"("},)";
  batch += R"({"event":"view","session_id":"anon_1","timestamp":")" + at(0) + R"("},)";
  batch += R"({"event":"view","timestamp":")" + at(0) + R"("}]})";  // no contact, no session id: no session
  ASSERT_EQ(c.post("/v1/events", batch).status, 201);

  auto sessions = c.get("/v1/contacts/ld_1/sessions").json();
  EXPECT_EQ(sessions.at("pagination").at("total_items"), 2);
  EXPECT_EQ(sessions.at("sessions"), json::parse(
      R"([{"started_at":")" + at(70) + R"(","ended_at":")" + at(100) + R"(","duration_seconds":1800,"event_count":2},
          {"started_at":")" + at(0) + R"(","ended_at":")" + at(25) + R"(","duration_seconds":1500,"event_count":2}])"));
  EXPECT_EQ(c.get("/v1/contacts/ld_1").json().at("contact").at("session_count"), 2);
  auto ou = c.get("/leads/ld_1/sessions?limit=1&page=2").json();
  EXPECT_EQ(ou.at("total"), 2);
  ASSERT_EQ(ou.at("sessions").as_array().size(), 1u);
  EXPECT_EQ(ou.at("sessions").at(0).at("lead_id"), "ld_1");
  EXPECT_EQ(ou.at("sessions").at(0).at("event_count"), 2);

  // The stats count sessions: two of ld_1, one anonymous.
  EXPECT_EQ(c.get("/v1/events/stats").json().at("stats").at("sessions"), 3);
  EXPECT_EQ(c.get("/v1/events/stats?identified_only=true").json().at("stats").at("sessions"), 2);
  EXPECT_EQ(c.get("/v1/events/stats?date_after=" + test::url_encode(at(60))).json().at("stats").at("sessions"), 1);

  // A merge joins the timelines: ld_2's event at minute 45 bridges ld_1's two sessions
  // (25 -> 45 -> 70).
  ASSERT_EQ(c.post("/v1/events", R"({"event":"view","contact_id":"ld_2","timestamp":")" + at(45) + R"("})").status, 201);
  ASSERT_EQ(c.post("/v1/contacts/merge", R"({"from":"ld_2","into":"ld_1"})").status, 200);
  EXPECT_EQ(c.get("/v1/contacts/ld_1").json().at("contact").at("session_count"), 1);
  EXPECT_EQ(c.get("/v1/contacts/ld_2/sessions").json().at("contact_id"), "ld_1");
  EXPECT_EQ(c.get("/v1/contacts/nobody/sessions").json().at("pagination").at("total_items"), 0);
}

// ---------------------------------------------------------------- stats window

TEST_F(E2E, StatsByDayIsTheNinetyCalendarDaysEndingToday) {
  auto c = client();
  const Millis now = now_millis();
  std::string batch = R"({"batch":[)";
  for (int days : {0, 1, 89, 90, 100, 200}) {
    batch += std::string(days ? "," : "") + R"({"event":"view","timestamp":")" + iso(now - days * kMillisPerDay) + R"("})";
  }
  ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);
  auto stats = c.get("/v1/events/stats").json().at("stats");
  EXPECT_EQ(stats.at("total"), 6);  // the window caps by_day only
  std::vector<std::string> days;
  for (const auto& d : stats.at("by_day").as_array()) days.emplace_back(d.at("date").as_string());
  EXPECT_EQ(days, (std::vector<std::string>{format_date(day_start(now)), format_date(day_start(now - kMillisPerDay)),
                                            format_date(day_start(now - 89 * kMillisPerDay))}));
  // Ending earlier with date_before: the 90 days before it.
  auto earlier = c.get("/v1/events/stats?event_type=view&date_before=" + format_date(day_start(now - 95 * kMillisPerDay)))
                     .json().at("stats");
  ASSERT_EQ(earlier.at("by_day").as_array().size(), 1u);
  EXPECT_EQ(earlier.at("by_day").at(0).at("date").as_string(), format_date(day_start(now - 100 * kMillisPerDay)));
}

// ---------------------------------------------------------------- what clients send

TEST_F(E2E, CommonClientSpellingsMeanWhatTheySay) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[{"event":"a","contact_id":"c1"},{"event":"b"}]})").status, 201);
  const auto plain = c.get("/v1/events?identified_only=true&limit=20").json();
  EXPECT_EQ(plain.at("pagination").at("total_items"), 1);
  for (const char* q : {"identified_only=True&limit=20", "identified_only=TRUE&limit=20.0",
                        "identified_only=true&limit=20.00&_=1732712345678", "identified_only=1&event_type=&search=&limit=20"}) {
    auto r = c.get(std::string("/v1/events?") + q);
    ASSERT_EQ(r.status, 200) << q << " " << r.body;
    EXPECT_EQ(r.json().at("events"), plain.at("events")) << q;
  }
  EXPECT_EQ(c.get("/v1/events?count_only=False").json().as_object().contains("events"), true);
  EXPECT_EQ(c.get("/events?_=1&limit=25.0&lead_id=").json().at("total"), 2);
  EXPECT_EQ(c.get("/v1/events/stats?_=1&event_type=").json().at("stats").at("total"), 2);
  // Still refused: misspelled names, fractions, words.
  for (const char* q : {"identifed_only=true", "limit=20.5", "limit=2e1", "identified_only=yes", "limit=.0", "limit=20."}) {
    auto r = c.get(std::string("/v1/events?") + q);
    EXPECT_EQ(r.status, 400) << q;
  }
}

// ---------------------------------------------------------------- paging past the end

TEST_F(E2E, APagePastTheEndIsEmptyWithItsTotalsOnEveryDialect) {
  auto c = client();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 30; ++i) {
    batch += std::string(i ? "," : "") + R"({"event":"opened","contact_id":"c1","campaign_id":"cmp_1"})";
  }
  ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);
  for (const char* page : {"4", "500001", "2147483647"}) {
    SCOPED_TRACE(page);
    auto native = c.get(std::string("/v1/events?limit=10&page=") + page);
    ASSERT_EQ(native.status, 200) << native.body;
    EXPECT_EQ(native.json().at("events"), json::array());
    EXPECT_EQ(native.json().at("pagination").at("total_items"), 30);
    EXPECT_EQ(native.json().at("pagination").at("total_pages"), 3);
    // Filters the counters cannot answer count by scanning; the page is still empty.
    auto scanned = c.get(std::string("/v1/events?limit=10&search=open&page=") + page).json();
    EXPECT_EQ(scanned.at("events"), json::array());
    EXPECT_EQ(scanned.at("pagination").at("total_items"), 30);
    auto ou = c.get(std::string("/events?limit=10&page=") + page).json();
    EXPECT_EQ(ou.at("events"), json::array());
    EXPECT_EQ(ou.at("total"), 30);
    auto lead = c.get(std::string("/leads/c1/events?limit=10&page=") + page).json();
    EXPECT_EQ(lead.at("total"), 30);
    auto campaign = c.get(std::string("/v1/campaigns/cmp_1/events?per_page=10&page=") + page).json();
    EXPECT_EQ(campaign.at("data").at("events"), json::array());
    EXPECT_EQ(campaign.at("meta").at("total"), 30);
  }
  // The last page, from whichever end: the same events as walking there.
  auto all = c.get("/v1/events?limit=100").json().at("events").as_array();
  auto last = c.get("/v1/events?limit=7&page=5").json().at("events").as_array();
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0], all[28]);
  EXPECT_EQ(last[1], all[29]);
  EXPECT_EQ(c.get("/v1/events?page=2147483648").status, 400);
}

// ---------------------------------------------------------------- HTTP

TEST_F(E2E, EveryAnswerHasADateAndProtectedOnesACacheControl) {
  auto c = client();
  for (const char* target : {"/healthz", "/v1/events", "/nowhere", "/v1/events?limit=0"}) {
    auto r = c.get(target);
    EXPECT_FALSE(r.header("Date").empty()) << target;
    EXPECT_TRUE(r.header("Date").ends_with(" GMT")) << r.header("Date");
  }
  EXPECT_EQ(c.get("/v1/events").header("Cache-Control"), "private, no-cache");
  EXPECT_EQ(c.get("/v1/events?limit=0").header("Cache-Control"), "no-store");
  EXPECT_EQ(test::HttpClient(server_->port()).get("/v1/events").header("Cache-Control"), "no-store");
  EXPECT_EQ(c.post("/v1/events", R"({"event":"x"})").header("Cache-Control"), "no-store");
  EXPECT_FALSE(test::HttpClient(server_->port()).get("/healthz").header("Date").empty());
}

TEST_F(E2E, HeadIsServedByEveryGetRouteWithItsHeadersAndNoBody) {
  ASSERT_EQ(client().post("/v1/events", R"({"id":"e1","event":"opened","campaign_id":"cmp_1","contact_id":"c1"})").status, 201);
  const std::string op = operator_token();  // /healthz's positions are an operator's
  for (const char* target : {"/healthz", "/v1/events", "/v1/events/e1", "/events?limit=5", "/v1/events/stats",
                             "/v1/campaigns/cmp_1/events", "/api/workspaces/acme/events", "/v1/contacts/c1",
                             "/v1/contacts/c1/sessions", "/openapi.yaml"}) {
    SCOPED_TRACE(target);
    const std::string& token = std::string_view(target) == "/healthz" ? op : token_;
    auto get = client(token).get(target);
    ASSERT_EQ(get.status, 200);
    const std::string head = raw_get(server_->port(), "HEAD", target, token);
    EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
    EXPECT_EQ(body_of(head), "");
    EXPECT_NE(head.find("Content-Length: " + std::to_string(get.body.size()) + "\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("Content-Type: " + get.header("Content-Type")), std::string::npos) << head;
  }
  // A streamed answer: its headers, no body.
  const std::string head = raw_get(server_->port(), "HEAD", "/v1/events/export?format=csv", token_);
  EXPECT_NE(head.find("Content-Type: text/csv"), std::string::npos) << head;
  EXPECT_EQ(body_of(head), "");
  EXPECT_NE(raw_get(server_->port(), "HEAD", "/v1/events/batch", token_).find("Allow: DELETE"), std::string::npos);
}

TEST_F(E2E, ATrailingSlashNamesTheSameRoute) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events/", R"({"id":"e1","event":"a","contact_id":"ld_1"})").status, 201);
  EXPECT_EQ(c.get("/v1/events/").json().at("events"), c.get("/v1/events").json().at("events"));
  EXPECT_EQ(c.get("/events/?limit=5").json().at("total"), 1);
  EXPECT_EQ(c.get("/leads/ld_1/events/").json().at("total"), 1);
  EXPECT_EQ(c.get("/v1/events/e1/").json().at("event").at("_id"), "e1");
  EXPECT_EQ(c.get("/api/workspaces/acme/events/").json().as_array().size(), 1u);
}

TEST_F(E2E, ETagsValidateUntilTheDataChanges) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"event":"a"})").status, 201);
  auto first = c.get("/v1/events?limit=5");
  const std::string tag = first.header("ETag");
  ASSERT_FALSE(tag.empty());
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(c.get("/v1/events?limit=5").header("ETag"), tag);  // stable while nothing changes
  auto conditional = [&](const std::string& target, const std::string& inm) {
    return c.request(verb::get, target, "", {{"If-None-Match", inm}});
  };
  auto not_modified = conditional("/v1/events?limit=5", tag);
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_EQ(not_modified.body, "");
  EXPECT_EQ(not_modified.header("ETag"), tag);
  EXPECT_FALSE(not_modified.header("Date").empty());
  EXPECT_EQ(conditional("/v1/events?limit=5", "\"x\", W/" + tag).status, 304);
  EXPECT_EQ(conditional("/v1/events?limit=5", "*").status, 304);
  EXPECT_EQ(conditional("/v1/events/nothing", "*").status, 404);  // "*": only if it exists
  // Another target, another tenant: another tag.
  EXPECT_EQ(conditional("/v1/events?limit=6", tag).status, 200);
  EXPECT_EQ(client(token("other")).request(verb::get, "/v1/events?limit=5", "", {{"If-None-Match", tag}}).status, 200);
  // A write changes the answer, and so the tag.
  ASSERT_EQ(c.post("/v1/events", R"({"event":"b"})").status, 201);
  auto changed = conditional("/v1/events?limit=5", tag);
  EXPECT_EQ(changed.status, 200);
  EXPECT_EQ(changed.json().at("events").as_array().size(), 2u);
  EXPECT_NE(changed.header("ETag"), tag);
  // Answers that move with the clock: by the day for "today", none for a sliding window.
  const std::string today = c.get("/events?range=today").header("ETag");
  ASSERT_FALSE(today.empty());
  EXPECT_EQ(conditional("/events?range=today", today).status, 304);
  EXPECT_EQ(c.get("/events?range=last_7d").header("ETag"), "");
  // Streams and writes carry none.
  EXPECT_EQ(c.get("/v1/events/export").header("ETag"), "");
  EXPECT_EQ(c.post("/v1/events", R"({"event":"c"})").header("ETag"), "");
}

TEST_F(E2E, FixedSegmentsWinOverTemplatesWhateverTheMethod) {
  auto c = client();
  auto merge = c.put("/v1/contacts/merge", R"({"firstname":"M"})");
  EXPECT_EQ(merge.status, 405);
  EXPECT_EQ(merge.header("Allow"), "POST");
  EXPECT_EQ(merge.json().at("status"), "error");
  EXPECT_EQ(c.get("/v1/contacts/merge").status, 405);
  EXPECT_EQ(c.get("/v1/contacts/merge/sessions").status, 200);  // deeper, the template is the only match
  auto batch = c.get("/v1/events/batch");
  EXPECT_EQ(batch.status, 405);
  EXPECT_EQ(batch.header("Allow"), "DELETE");
  auto ou_batch = c.get("/events/batch");
  EXPECT_EQ(ou_batch.status, 405);
  EXPECT_FALSE(ou_batch.json().as_object().contains("status"));
  auto events = c.del("/v1/events", "{}");
  EXPECT_EQ(events.status, 405);
  EXPECT_EQ(events.header("Allow"), "POST, GET, HEAD");
}

}  // namespace
}  // namespace eventsd

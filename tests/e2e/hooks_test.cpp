// Provider webhooks end to end (docs/integrations.md): a real eventsd, a SendGrid source, and a
// signed batch of 1,000 events sent once, again (the provider's retry), and out of order (the
// same events in two halves, last half first): the native list, the workspace dialect (in its own
// names) and the event stream show each event exactly once.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <vector>

#include "common/time.h"
#include "tests/support/answers.h"
#include "tests/support/e2e.h"
#include "tests/support/p256_signer.h"
#include "tests/support/provider_samples.h"
#include "tests/support/sse_client.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using bhttp = boost::beast::http::verb;

class Hooks : public test::E2E {
 protected:
  test::HttpResponse post_signed(const std::string& body) {
    const std::string t = std::to_string(now_millis() / 1000);
    auto c = client("");
    return c.request(bhttp::post, "/hooks/sendgrid-main", body,
                     {{"X-Twilio-Email-Event-Webhook-Signature", signer_.sign(t, body)},
                      {"X-Twilio-Email-Event-Webhook-Timestamp", t}});
  }
  test::P256Signer signer_;
};

TEST_F(Hooks, ASignedSendgridBatchIsIngestedOnceWhateverTheRetriesAndTheirOrder) {
  auto put = client().put("/v1/sources/sendgrid-main",
                          R"({"kind":"sendgrid","verification_key":")" + signer_.public_key_b64() + "\"}");
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(put.json().at("source").at("hook_path"), "/hooks/sendgrid-main");
  test::SseClient stream(server_->port(), token_, "/v1/events/stream");
  ASSERT_EQ(stream.status(), 200);

  const std::string batch = test::sendgrid_batch(1000);
  auto first = post_signed(batch);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json().at("created"), 1000);
  auto again = post_signed(batch);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("created"), 0);
  EXPECT_EQ(again.json().at("duplicates"), 1000);
  // Out of order: the second half first, then the first half, each signed on its own.
  auto second_half = post_signed(test::sendgrid_batch(500, 500));
  auto first_half = post_signed(test::sendgrid_batch(500, 0));
  ASSERT_EQ(second_half.status, 200) << second_half.body;
  ASSERT_EQ(first_half.status, 200) << first_half.body;
  EXPECT_EQ(second_half.json().at("created"), 0);
  EXPECT_EQ(first_half.json().at("created"), 0);

  // The stream saw each event once; one more event afterwards shows that nothing else was queued.
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"event":"marker","id":"marker-1"})").status, 201);
  // Each message is a commit's events ({"position", "events": [...]}): read until the marker's.
  std::vector<std::string> streamed;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (std::size_t seen = 0; std::chrono::steady_clock::now() < deadline;) {
    const auto messages = stream.wait_for(seen + 1, std::chrono::seconds(5));
    for (; seen < messages.size(); ++seen) {
      const json::value message = json::parse(messages[seen].data);
      for (const auto& e : message.at("events").as_array()) streamed.emplace_back(e.at("_id").as_string());
    }
    if (!streamed.empty() && streamed.back() == "marker-1") break;
  }
  ASSERT_EQ(streamed.size(), 1001u);  // each event once: none repeated by the retries
  EXPECT_EQ(std::set<std::string>(streamed.begin(), streamed.end()).size(), 1001u);
  EXPECT_EQ(streamed.back(), "marker-1");
  EXPECT_EQ(streamed.front(), "sendgrid:evt-0");
  EXPECT_EQ(streamed[999], "sendgrid:evt-999");

  // The list, page by page: 1,000 distinct provider events.
  EXPECT_EQ(test::count_events(c, "&event_type=email_open"), 333);
  EXPECT_EQ(test::count_events(c, "&event_type=email_click"), 333);
  EXPECT_EQ(test::count_events(c, "&event_type=email_delivered"), 334);
  std::set<std::string> listed;
  std::string cursor;
  for (int page = 0; page < 20; ++page) {
    auto r = c.get("/v1/events?limit=100" + (cursor.empty() ? std::string() : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    auto v = r.json();
    for (const auto& e : v.at("events").as_array()) listed.insert(std::string(e.at("_id").as_string()));
    if (v.at("pagination").at("next_cursor").is_null()) break;
    cursor = std::string(v.at("pagination").at("next_cursor").as_string());
  }
  EXPECT_EQ(listed.size(), 1001u);
  // The workspace dialect (at most 200 to a list, newest first) names them as seed 004 does.
  for (const auto& [type, total] : {std::pair{"message.open", 333u}, std::pair{"message.click", 333u}}) {
    auto r = c.get("/api/workspaces/acme/events?limit=200&type=" + std::string(type));
    ASSERT_EQ(r.status, 200) << r.body;
    std::set<std::string> ids;
    const json::value events = r.json();
    for (const auto& e : events.as_array()) {
      EXPECT_EQ(e.at("type"), type);
      ids.insert(std::string(e.at("id").as_string()));
    }
    EXPECT_EQ(ids.size(), std::min(total, 200u)) << type;
  }
  EXPECT_TRUE(c.get("/api/workspaces/acme/events?type=email_open").json().as_array().empty());
  auto source = c.get("/v1/sources/sendgrid-main").json().at("source");
  EXPECT_EQ(source.at("deliveries"), 4);
  EXPECT_EQ(source.at("events_created"), 1000);
  EXPECT_EQ(source.at("events_duplicate"), 2000);
}

TEST_F(Hooks, AnUnknownSourceAndABadSignatureLookTheSame) {
  ASSERT_EQ(client().put("/v1/sources/sg", R"({"kind":"sendgrid","verification_key":")" + signer_.public_key_b64() + "\"}")
                .status,
            201);
  test::P256Signer stranger;
  const std::string t = std::to_string(now_millis() / 1000);
  const test::Headers headers{{"X-Twilio-Email-Event-Webhook-Signature", stranger.sign(t, "[]")},
                              {"X-Twilio-Email-Event-Webhook-Timestamp", t}};
  auto c = client("");
  auto bad = c.request(bhttp::post, "/hooks/sg", "[]", headers);
  auto unknown = c.request(bhttp::post, "/hooks/no-such-source", "[]", headers);
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(bad.body, unknown.body);
  EXPECT_EQ(bad.header("Content-Type"), unknown.header("Content-Type"));
}

}  // namespace
}  // namespace eventsd

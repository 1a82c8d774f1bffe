// E-mail providers' webhooks (docs/integrations.md): each provider's payload read into native
// events from its documented samples, each provider's signature scheme, and deliveries through
// the router in process (tests/support/api_test.h) — sources, signatures good and bad, stale
// timestamps, replays, retries that never duplicate, unknown kinds, contacts by e-mail and by
// the sender's contact_id, the per-source limit, and sources kept across a restart.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>

#include "common/encoding.h"
#include "common/hash.h"
#include "http/api/hook_activity.h"
#include "http/dialects/hook_signatures.h"
#include "http/dialects/provider_events.h"
#include "tests/support/answers.h"
#include "tests/support/api_test.h"
#include "tests/support/manual_clock.h"
#include "tests/support/p256_signer.h"
#include "tests/support/provider_samples.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using bhttp = boost::beast::http::verb;
using test::ApiTest;
using test::count_events;
using test::expect_native_error;
using test::P256Signer;

std::vector<std::string> names(const http::ProviderEvents& p) {
  std::vector<std::string> out;
  for (const auto& e : p.events) out.push_back(e.event);
  return out;
}

TEST(ProviderEvents, SendgridSampleBecomesNativeEvents) {
  auto parsed = http::parse_sendgrid(test::kSendgridSample);
  ASSERT_TRUE(std::holds_alternative<http::ProviderEvents>(parsed));
  const auto& p = std::get<http::ProviderEvents>(parsed);
  EXPECT_EQ(names(p), (std::vector<std::string>{"email_delivered", "email_open", "email_click", "email_bounce",
                                                "email_spam_report", "email_unsubscribe", "email_unsubscribe"}));
  EXPECT_EQ(p.skipped, 4u);  // processed, deferred, dropped, group_resubscribe
  const EventInput& click = p.events[2];
  EXPECT_EQ(click.url, "http://www.sendgrid.com/");
  EXPECT_EQ(click.contact_id, "example@test.com");
  EXPECT_EQ(click.email, "example@test.com");
  EXPECT_EQ(click.timestamp, 1513299569000);
  // "kCAi1KttyQdEKHhdC-nuEA==" holds '=': stored as its hash, the same on every retry.
  ASSERT_TRUE(click.id);
  EXPECT_EQ(click.id->rfind("sendgrid-sha256:", 0), 0u);
  EXPECT_EQ(json::parse(p.events[3].data).at("bounce_type"), "bounce");
  EXPECT_EQ(json::parse(p.events[3].data).at("reason"), "500 unknown recipient");
  EXPECT_EQ(json::parse(click.data).at("provider"), "sendgrid");
}

TEST(ProviderEvents, SendgridCustomArgsNameTheContactAndPlainIdsAreKept) {
  auto parsed = http::parse_sendgrid(
      R"([{"email":"Bob@Example.com","timestamp":1513299569,"event":"open","sg_event_id":"abc-1","contact_id":"ct_bob"},
          {"email":"Bob@Example.com","timestamp":1513299569,"event":"open","sg_event_id":"abc-2"}])");
  const auto& p = std::get<http::ProviderEvents>(parsed);
  ASSERT_EQ(p.events.size(), 2u);
  EXPECT_EQ(p.events[0].contact_id, "ct_bob");
  EXPECT_EQ(p.events[0].id, "sendgrid:abc-1");
  EXPECT_EQ(p.events[1].contact_id, "bob@example.com");  // by e-mail, lower-cased
  EXPECT_EQ(p.events[1].email, "Bob@Example.com");
  EXPECT_EQ(p.by_recipient, (std::vector<bool>{false, true}));  // the route looks the second one up
}

TEST(ProviderEvents, SendgridBadShapesAndBadEvents) {
  EXPECT_TRUE(std::holds_alternative<FieldError>(http::parse_sendgrid("{}")));
  EXPECT_TRUE(std::holds_alternative<FieldError>(http::parse_sendgrid("[")));
  // An event the native rules refuse (an e-mail that is no address, no id) is skipped, not fatal.
  auto parsed = http::parse_sendgrid(
      R"([{"email":"nobody","event":"open","sg_event_id":"a"},{"event":"open"},7,{"email":"a@b.c","event":"open","sg_event_id":"b"}])");
  const auto& p = std::get<http::ProviderEvents>(parsed);
  EXPECT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.skipped, 3u);
}

TEST(ProviderEvents, MailgunSample) {
  auto parsed = http::parse_mailgun(test::kMailgunSample);
  ASSERT_TRUE(std::holds_alternative<http::MailgunDelivery>(parsed));
  const auto& d = std::get<http::MailgunDelivery>(parsed);
  EXPECT_EQ(d.signature.timestamp, "1529006854");
  EXPECT_EQ(d.signature.token, "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0");
  ASSERT_EQ(d.events.events.size(), 1u);
  const EventInput& e = d.events.events[0];
  EXPECT_EQ(e.event, "email_open");
  EXPECT_EQ(e.id, "mailgun:DACSsAdVSeGpLid7TN03WA");
  EXPECT_EQ(e.contact_id, "ct_alice");  // user-variables
  EXPECT_EQ(e.email, "alice@example.com");
  EXPECT_EQ(e.timestamp, 1529006854330);
  EXPECT_EQ(json::parse(e.data).at("message_id"), "20130503182626.18666.16540@example.com");
  EXPECT_TRUE(std::holds_alternative<FieldError>(http::parse_mailgun(R"({"event-data":{}})")));
  // A temporary failure is skipped; a permanent one is a bounce.
  auto temp = http::parse_mailgun(
      R"({"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{"event":"failed","severity":"temporary","id":"x","recipient":"a@b.c"}})");
  EXPECT_EQ(std::get<http::MailgunDelivery>(temp).events.skipped, 1u);
  auto perm = http::parse_mailgun(
      R"({"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{"event":"failed","severity":"permanent","id":"x","recipient":"a@b.c"}})");
  EXPECT_EQ(names(std::get<http::MailgunDelivery>(perm).events), std::vector<std::string>{"email_bounce"});
}

TEST(ProviderEvents, PostmarkSamples) {
  auto one = [](const char* body) {
    auto parsed = http::parse_postmark(body);
    EXPECT_TRUE(std::holds_alternative<http::ProviderEvents>(parsed));
    const auto& p = std::get<http::ProviderEvents>(parsed);
    EXPECT_EQ(p.events.size(), 1u);
    return p.events.at(0);
  };
  const EventInput open = one(test::kPostmarkOpen), click = one(test::kPostmarkClick),
                   delivery = one(test::kPostmarkDelivery), bounce = one(test::kPostmarkBounce);
  EXPECT_EQ(open.event, "email_open");
  EXPECT_EQ(click.event, "email_click");
  EXPECT_EQ(click.url, "https://example.com");
  EXPECT_EQ(click.contact_id, "ct_john");  // Metadata
  EXPECT_EQ(open.contact_id, "john@example.com");
  EXPECT_EQ(delivery.event, "email_delivered");
  EXPECT_EQ(delivery.id, "postmark:delivery:00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(bounce.event, "email_bounce");
  EXPECT_EQ(bounce.email, "john@example.com");
  EXPECT_EQ(json::parse(bounce.data).at("bounce_type"), "HardBounce");
  EXPECT_EQ(open.timestamp, 1572971634907);
  // Opens of one message at two times are two events; the same open sent again is one.
  std::string later = test::kPostmarkOpen;
  later.replace(later.find("16:33:54"), 8, "17:00:00");
  EXPECT_NE(one(later.c_str()).id, open.id);
  EXPECT_EQ(one(test::kPostmarkOpen).id, open.id);
  EXPECT_EQ(std::get<http::ProviderEvents>(http::parse_postmark(R"({"RecordType":"Inbound","MessageID":"m"})")).skipped, 1u);
  EXPECT_TRUE(std::holds_alternative<FieldError>(http::parse_postmark("[]")));
}

TEST(HookSignatures, Sendgrid) {
  P256Signer signer, other;
  const std::string body = test::kSendgridSample;
  const std::string sig = signer.sign("1796083200", body);
  EXPECT_TRUE(http::is_sendgrid_key(signer.public_key_b64()));
  EXPECT_FALSE(http::is_sendgrid_key("MFkw"));
  EXPECT_TRUE(http::verify_sendgrid(signer.public_key_b64(), sig, "1796083200", body));
  EXPECT_FALSE(http::verify_sendgrid(signer.public_key_b64(), sig, "1796083201", body));
  EXPECT_FALSE(http::verify_sendgrid(signer.public_key_b64(), sig, "1796083200", body + " "));
  EXPECT_FALSE(http::verify_sendgrid(other.public_key_b64(), sig, "1796083200", body));
  EXPECT_FALSE(http::verify_sendgrid(signer.public_key_b64(), "not base64!", "1796083200", body));
  EXPECT_FALSE(http::verify_sendgrid("", sig, "1796083200", body));
}

TEST(HookSignatures, MailgunAndBasicAuth) {
  const std::string key = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
  const std::string sig = http::sign_mailgun(key, "1529006854", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0");
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(http::verify_mailgun(key, "1529006854", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0", sig));
  EXPECT_FALSE(http::verify_mailgun(key, "1529006855", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0", sig));
  EXPECT_FALSE(http::verify_mailgun(key + "x", "1529006854", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0", sig));
  EXPECT_FALSE(http::verify_mailgun(key, "1529006854", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0", sig.substr(1)));

  const std::string hash = to_hex(sha256("correct horse battery"));
  const std::string good = "Basic " + P256Signer::base64("postmark:correct horse battery");
  EXPECT_TRUE(http::verify_basic_auth(good, "postmark", hash));
  EXPECT_TRUE(http::verify_basic_auth("basic " + good.substr(6), "postmark", hash));
  EXPECT_FALSE(http::verify_basic_auth("Basic " + P256Signer::base64("postmark:wrong"), "postmark", hash));
  EXPECT_FALSE(http::verify_basic_auth("Basic " + P256Signer::base64("other:correct horse battery"), "postmark", hash));
  EXPECT_FALSE(http::verify_basic_auth("Bearer x", "postmark", hash));
  EXPECT_FALSE(http::verify_basic_auth("Basic !!!!", "postmark", hash));
  // The same credentials spelt with non-zero padding bits ("...Q==" as "...U=="): refused, so
  // that a credential has one spelling (the fuzz finding regression-noncanonical-base64).
  const std::string staple = to_hex(sha256("correct horse battery staple"));
  std::string odd = "Basic " + P256Signer::base64("postmark:correct horse battery staple");
  EXPECT_TRUE(http::verify_basic_auth(odd, "postmark", staple));
  ASSERT_EQ(odd.substr(odd.size() - 3), "Q==");
  odd[odd.size() - 3] = 'U';
  EXPECT_FALSE(http::verify_basic_auth(odd, "postmark", staple));

  EXPECT_EQ(http::timestamp_within("1000", 1'000'000, 300'000), true);
  EXPECT_EQ(http::timestamp_within("1300.5", 1'000'000, 300'000), false);
  EXPECT_EQ(http::timestamp_within("700", 1'000'000, 300'000), true);
  EXPECT_EQ(http::timestamp_within("1e3", 1'000'000, 300'000), std::nullopt);
  EXPECT_EQ(http::timestamp_within("-1", 1'000'000, 300'000), std::nullopt);
}

// A Mailgun token carries one delivery: claimed atomically, given back when the delivery was not
// accepted, and forgotten only once no timestamp inside the window can come with it.
TEST(HookActivity, AMailgunTokenIsClaimedOnceUntilReleasedOrPastTheWindow) {
  test::ManualClock clock;
  http::HookActivity hooks(clock, {.window = 60'000});
  EXPECT_TRUE(hooks.claim("mg", "t1"));
  EXPECT_FALSE(hooks.claim("mg", "t1"));  // the same delivery in flight, or a replay
  EXPECT_TRUE(hooks.claim("other", "t1"));  // another source's token
  hooks.release("mg", "t1");
  EXPECT_TRUE(hooks.claim("mg", "t1"));  // the provider's retry of a delivery that failed
  clock.advance(std::chrono::seconds(119));
  EXPECT_FALSE(hooks.claim("mg", "t1"));
  clock.advance(std::chrono::seconds(2));  // past twice the window: no valid timestamp can come with it
  EXPECT_TRUE(hooks.claim("mg", "t1"));
}

// Activity is a tenant's own: an id deleted by one tenant and taken by another starts afresh.
TEST(HookActivity, ActivityIsKeptByTenantAndId) {
  test::ManualClock clock;
  http::HookActivity hooks(clock);
  hooks.accepted("a", "src", 5, 3, 0, 0);
  hooks.refused("a", "src", http::HookRefusal::invalid_signature);
  EXPECT_EQ(hooks.activity("a", "src")->events_created, 3u);
  EXPECT_FALSE(hooks.activity("b", "src"));
  hooks.forget("a", "src");
  EXPECT_FALSE(hooks.activity("a", "src"));
}

class HooksTest : public ApiTest {
 protected:
  std::string now_seconds() const { return std::to_string(clock_.now_millis() / 1000); }

  void add_sendgrid(const std::string& id = "sg") {
    auto r = client().put("/v1/sources/" + id, R"({"kind":"sendgrid","verification_key":")" + signer_.public_key_b64() + "\"}");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  test::HttpResponse post_sendgrid(const std::string& id, const std::string& body, const std::string& ts = {},
                                   const P256Signer* signer = nullptr) {
    const std::string t = ts.empty() ? now_seconds() : ts;
    auto c = client("");
    return c.request(bhttp::post, "/hooks/" + id, body,
                     {{"X-Twilio-Email-Event-Webhook-Signature", (signer ? *signer : signer_).sign(t, body)},
                      {"X-Twilio-Email-Event-Webhook-Timestamp", t}});
  }
  std::string mailgun_body(const std::string& token, const std::string& key, const std::string& ts = {}) const {
    const std::string t = ts.empty() ? now_seconds() : ts;
    auto v = json::parse(test::kMailgunSample).as_object();
    v["signature"] = {{"timestamp", t}, {"token", token}, {"signature", http::sign_mailgun(key, t, token)}};
    return json::serialize(v);
  }
  json::value source(const std::string& id) {
    auto r = client().get("/v1/sources/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json().at("source");
  }

  P256Signer signer_;
  const std::string mailgun_key_ = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
};

TEST_F(HooksTest, SendgridDeliveryIsIngestedOnceWhateverTheRetries) {
  add_sendgrid();
  auto r = post_sendgrid("sg", test::kSendgridSample);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("created"), 7);
  EXPECT_EQ(r.json().at("skipped"), 4);
  auto c = client();
  EXPECT_EQ(count_events(c), 7);
  EXPECT_EQ(count_events(c, "&event_type=email_click"), 1);
  EXPECT_EQ(count_events(c, "&contact_id=example@test.com"), 7);
  // The provider retries (a lost answer): nothing new.
  r = post_sendgrid("sg", test::kSendgridSample);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("created"), 0);
  EXPECT_EQ(r.json().at("duplicates"), 7);
  EXPECT_EQ(count_events(c), 7);
  auto s = source("sg");
  EXPECT_EQ(s.at("deliveries"), 2);
  EXPECT_EQ(s.at("events_created"), 7);
  EXPECT_EQ(s.at("events_duplicate"), 7);
  EXPECT_EQ(s.at("events_skipped"), 8);
  EXPECT_EQ(s.at("last_delivery_at"), "2026-12-01T00:00:00.000Z");
  EXPECT_EQ(s.at("verification_key"), signer_.public_key_b64().c_str());
}

TEST_F(HooksTest, ARecipientIsTheContactWhoseProfileHasTheAddress) {
  add_sendgrid();
  auto c = client();
  ASSERT_EQ(c.put("/v1/contacts/ct_bob", R"({"email":"Bob@Example.com","firstname":"Bob"})").status, 200);
  ASSERT_EQ(c.put("/v1/contacts/ct_old", R"({"email":"old@example.com"})").status, 200);
  ASSERT_EQ(c.put("/v1/contacts/ct_old", R"({"email":"new@example.com"})").status, 200);  // no longer old@
  auto open = [&](const std::string& id, const std::string& email, const std::string& extra = "") {
    const std::string body = R"([{"email":")" + email + R"(","timestamp":)" + now_seconds() +
                             R"(,"event":"open","sg_event_id":")" + id + '"' + extra + "}]";
    auto r = post_sendgrid("sg", body);
    EXPECT_EQ(r.status, 200) << r.body;
  };
  open("e1", "BOB@example.com");                              // any case of the profile's address
  open("e2", "new@example.com");                              // the address the profile gives now
  open("e3", "old@example.com");                              // given up: the address stands alone
  open("e4", "nobody@example.com");                           // no profile has it
  open("e5", "bob@example.com", R"(,"contact_id":"ct_other")");  // the sender's own id wins
  // Each contact holds exactly the one event its address (or the sender's id) named.
  for (const std::string contact : {"ct_bob", "ct_old", "old@example.com", "nobody@example.com", "ct_other"}) {
    EXPECT_EQ(count_events(c, "&contact_id=" + contact), 1) << contact;
  }
  EXPECT_EQ(count_events(c, "&contact_id=bob@example.com"), 0);
  EXPECT_EQ(count_events(c), 5);
}

TEST_F(HooksTest, SendgridRefusals) {
  add_sendgrid();
  P256Signer stranger;
  const std::string body = test::sendgrid_batch(3);
  auto bad = post_sendgrid("sg", body, {}, &stranger);
  expect_native_error(bad, 401, "invalid_signature");
  // Signed for another body.
  auto c = client("");
  const std::string t = now_seconds();
  expect_native_error(c.request(bhttp::post, "/hooks/sg", body + " ",
                                {{"X-Twilio-Email-Event-Webhook-Signature", signer_.sign(t, body)},
                                 {"X-Twilio-Email-Event-Webhook-Timestamp", t}}),
                      401, "invalid_signature");
  expect_native_error(c.request(bhttp::post, "/hooks/sg", body), 401, "invalid_signature");  // no headers
  // Six minutes old, or six minutes ahead: refused, whoever signed it.
  const std::string old = std::to_string(clock_.now_millis() / 1000 - 360);
  const std::string ahead = std::to_string(clock_.now_millis() / 1000 + 360);
  expect_native_error(post_sendgrid("sg", body, old), 401, "stale_timestamp");
  expect_native_error(post_sendgrid("sg", body, ahead), 401, "stale_timestamp");
  EXPECT_EQ(post_sendgrid("sg", body, std::to_string(clock_.now_millis() / 1000 - 290)).status, 200);
  // An unknown source answers as a bad signature does, byte for byte.
  auto unknown = post_sendgrid("nope", body, {}, &stranger);
  EXPECT_EQ(unknown.status, bad.status);
  EXPECT_EQ(unknown.body, bad.body);
  expect_native_error(post_sendgrid("sg", "{}"), 400, "invalid_request", "body");
  // Nor does a source of another kind than the request looks like: a Mailgun-shaped delivery with
  // a stale timestamp gets from this SendGrid source what it gets from an unknown id.
  const std::string mailgun_shaped = R"({"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{}})";
  auto to_known = c.request(bhttp::post, "/hooks/sg", mailgun_shaped);
  auto to_unknown = c.request(bhttp::post, "/hooks/nope", mailgun_shaped);
  EXPECT_EQ(to_known.status, to_unknown.status);
  EXPECT_EQ(to_known.body, to_unknown.body);
  // An id no source could have is refused before anything else, as a bad signature.
  auto long_id = c.request(bhttp::post, "/hooks/" + std::string(4000, 'x'), body);
  EXPECT_EQ(long_id.status, bad.status);
  EXPECT_EQ(long_id.body, bad.body);
  auto s = source("sg");
  EXPECT_EQ(s.at("refused").at("invalid_signature"), 3);
  EXPECT_EQ(s.at("refused").at("stale_timestamp"), 3);  // and the Mailgun-shaped one
  EXPECT_EQ(s.at("refused").at("invalid_payload"), 1);
  auto me = client();
  EXPECT_EQ(count_events(me), 3);
}

TEST_F(HooksTest, AFloodOfBadSignaturesIsLimitedPerSource) {
  add_sendgrid();
  add_sendgrid("other");
  P256Signer stranger;
  int limited = 0;
  test::HttpResponse last;
  for (int i = 0; i < 150; ++i) {
    last = post_sendgrid("sg", "[]", {}, &stranger);
    if (last.status == 429) ++limited;
  }
  EXPECT_EQ(limited, 50);  // a burst of 100, then nothing until the bucket refills
  expect_native_error(last, 429, "rate_limited");
  EXPECT_EQ(last.header("Retry-After"), "1");
  EXPECT_EQ(post_sendgrid("other", "[]").status, 200);  // another source is not limited
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(post_sendgrid("sg", "[]").status, 200);
  EXPECT_EQ(source("sg").at("refused").at("rate_limited"), 50);
}

TEST_F(HooksTest, MailgunSignatureWindowAndReplays) {
  auto r = client().put("/v1/sources/mg", R"({"kind":"mailgun","signing_key":")" + mailgun_key_ + "\"}");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(r.json().at("source").as_object().contains("signing_key"));
  auto c = client("");
  const std::string body = mailgun_body("token-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", mailgun_key_);
  auto ok = c.post("/hooks/mg", body);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().at("created"), 1);
  expect_native_error(c.post("/hooks/mg", body), 401, "replayed");
  // A new token with the same event (Mailgun's retry): accepted, and a duplicate.
  auto retry = c.post("/hooks/mg", mailgun_body("token-2-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", mailgun_key_));
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json().at("duplicates"), 1);
  expect_native_error(c.post("/hooks/mg", mailgun_body("token-3", "key-wrong-wrong-wrong-wrong")), 401, "invalid_signature");
  expect_native_error(c.post("/hooks/mg", mailgun_body("token-4", mailgun_key_, std::to_string(clock_.now_millis() / 1000 - 400))),
                      401, "stale_timestamp");
  expect_native_error(c.post("/hooks/mg", "not json"), 401, "invalid_signature");
  auto me = client();
  EXPECT_EQ(count_events(me, "&contact_id=ct_alice"), 1);  // user-variables' contact_id
}

TEST_F(HooksTest, PostmarkBasicAuth) {
  auto r = client().put("/v1/sources/pm",
                        R"({"kind":"postmark","username":"postmark","password":"correct horse battery staple"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json().at("source").at("username"), "postmark");
  EXPECT_FALSE(r.json().at("source").as_object().contains("password"));
  auto c = client("");
  const test::Headers good{{"Authorization", "Basic " + P256Signer::base64("postmark:correct horse battery staple")}};
  for (const char* body : {test::kPostmarkOpen, test::kPostmarkClick, test::kPostmarkDelivery, test::kPostmarkBounce}) {
    auto d = c.request(bhttp::post, "/hooks/pm", body, good);
    ASSERT_EQ(d.status, 200) << d.body;
    EXPECT_EQ(d.json().at("created"), 1) << body;
    EXPECT_EQ(c.request(bhttp::post, "/hooks/pm", body, good).json().at("duplicates"), 1);
  }
  expect_native_error(c.request(bhttp::post, "/hooks/pm", test::kPostmarkOpen,
                                {{"Authorization", "Basic " + P256Signer::base64("postmark:guess")}}),
                      401, "invalid_signature");
  expect_native_error(c.post("/hooks/pm", test::kPostmarkOpen), 401, "invalid_signature");
  auto me = client();
  EXPECT_EQ(count_events(me), 4);
  EXPECT_EQ(count_events(me, "&contact_id=ct_john"), 1);
}

TEST_F(HooksTest, SourcesAreATenantsOwnAndSurviveARestart) {
  add_sendgrid();
  auto c = client();
  EXPECT_EQ(c.put("/v1/sources/sg", R"({"kind":"mailgun","signing_key":"0123456789abcdef0123"})").status, 200);
  auto list = c.get("/v1/sources").json().at("sources").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list.at(0).at("kind"), "mailgun");
  EXPECT_EQ(list.at(0).at("hook_path"), "/hooks/sg");
  std::set<std::string> keys;
  for (const auto& kv : list.at(0).as_object()) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"id", "kind", "hook_path", "created_at", "updated_at", "last_delivery_at",
                                         "deliveries", "events_created", "events_duplicate", "events_skipped",
                                         "refused"}));
  auto other = client(token("globex"));
  expect_native_error(other.put("/v1/sources/sg", R"({"kind":"mailgun","signing_key":"0123456789abcdef0123"})"), 409,
                      "source_id_taken");
  expect_native_error(other.get("/v1/sources/sg"), 404, "not_found");
  expect_native_error(other.request(bhttp::delete_, "/v1/sources/sg"), 404, "not_found");
  EXPECT_EQ(other.get("/v1/sources").json().at("sources").as_array().size(), 0u);
  expect_native_error(c.put("/v1/sources/x", R"({"kind":"smtp"})"), 400, "invalid_request", "kind");
  expect_native_error(c.put("/v1/sources/x", R"({"kind":"sendgrid","verification_key":"MFkw"})"), 400, "invalid_request",
                      "verification_key");
  expect_native_error(c.put("/v1/sources/x", R"({"kind":"sendgrid","signing_key":"0123456789abcdef0123"})"), 400,
                      "invalid_request", "signing_key");
  expect_native_error(c.put("/v1/sources/x", R"({"kind":"postmark","username":"a","password":"short"})"), 400,
                      "invalid_request", "password");
  expect_native_error(c.put("/v1/sources/bad%20id", R"({"kind":"mailgun","signing_key":"0123456789abcdef0123"})"), 400,
                      "invalid_request", "source_id");
  expect_native_error(client(token("acme", "events:write")).get("/v1/sources"), 403, "insufficient_permissions");
  restart();
  EXPECT_EQ(client().get("/v1/sources/sg").json().at("source").at("kind"), "mailgun");
  EXPECT_EQ(client().request(bhttp::delete_, "/v1/sources/sg").status, 200);
  expect_native_error(client().get("/v1/sources/sg"), 404, "not_found");
}

}  // namespace
}  // namespace eventsd

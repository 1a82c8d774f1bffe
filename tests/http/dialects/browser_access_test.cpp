// What browsers may do, through the router, in process (tests/support/api_test.h): CORS (preflight, allowed and
// refused origins), publishable keys (ingest only, from their origins, browser fields only,
// rate limits), console users and sessions (login, logout, expiry, revocation, CSRF, tenant
// switching), the token routes and the served assets.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <thread>

#include "accounts/tokens.h"
#include "common/time.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "tests/support/api_test.h"
#include "tests/support/eventually.h"
#include "tests/support/gate.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::ApiTest;
using test::HttpResponse;
using bhttp = boost::beast::http::verb;
using test::Headers;

constexpr const char* kSite = "https://shop.example";
// The console's origin: the Host the test clients send (127.0.0.1), over https (the TLS proxy's).
constexpr const char* kConsole = "https://127.0.0.1";
constexpr const char* kPassword = "correct horse battery staple";

// An error of any dialect: its status and code.
void expect_error(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), code.c_str()) << r.body;
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class BrowserAccess : public test::ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    key_ = create_key("acme", {kSite, "http://localhost:3000"});
  }
  // A publishable key, as eventctl token create --publishable makes it.
  std::string create_key(const std::string& tenant, std::vector<std::string> origins, double rate = 0,
                         double address_rate = 0) {
    return node_->tokens().create_publishable(tenant, PublishableSpec{std::move(origins), rate, address_rate});
  }
  HttpResponse key_post(const std::string& target, const std::string& body, Headers headers = {{"Origin", kSite}}) {
    auto c = client("");
    const char sep = target.find('?') == std::string::npos ? '?' : '&';
    return c.request(bhttp::post, target + sep + "key=" + key_, body, headers);
  }
  std::string key_;
};

// ---------------------------------------------------------------- CORS

TEST_F(BrowserAccess, PreflightAnsweredForAKeysOriginOnTheIngestRoutes) {
  auto c = client("");
  for (const char* path : {"/v1/events", "/v1/identify"}) {
    auto r = c.request(bhttp::options, path, "",
                       {{"Origin", kSite}, {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "content-type, authorization"}});
    EXPECT_EQ(r.status, 204) << path << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kSite);
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "POST");
    EXPECT_NE(r.header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
    EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "") << "never credentials for a key's origin";
    EXPECT_EQ(r.header("Vary"), "Origin");
  }
  // The default port is the same origin written without it.
  auto r = c.request(bhttp::options, "/v1/events", "",
                     {{"Origin", "HTTPS://Shop.Example:443"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), kSite);
}

TEST_F(BrowserAccess, PreflightRefusedForOtherOriginsMethodsHeadersAndReadRoutes) {
  auto c = client("");
  struct Case {
    const char* path;
    const char* origin;
    const char* method;
    const char* headers;
  } cases[] = {
      {"/v1/events", "https://evil.example", "POST", ""},
      {"/v1/events", "http://shop.example", "POST", ""},  // another scheme is another origin
      {"/v1/events", kSite, "GET", ""},                   // reads are not for keys
      {"/v1/events", kSite, "DELETE", ""},
      {"/v1/events/batch", kSite, "DELETE", ""},
      {"/v1/events", kSite, "POST", "x-custom"},
      {"/v1/events", "null", "POST", ""},
      {"/v1/contacts/ct_1", kSite, "GET", ""},
  };
  for (const auto& k : cases) {
    Headers h{{"Origin", k.origin}, {"Access-Control-Request-Method", k.method}};
    if (*k.headers) h.emplace_back("Access-Control-Request-Headers", k.headers);
    auto r = c.request(bhttp::options, k.path, "", h);
    SCOPED_TRACE(std::string(k.path) + " " + k.origin + " " + k.method);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json().at("error").at("code"), "cors_refused");
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
  }
}

TEST_F(BrowserAccess, PlainOptionsListsTheMethods) {
  auto c = client("");
  auto r = c.request(bhttp::options, "/v1/events", "");
  EXPECT_EQ(r.status, 204);
  const std::string allow = r.header("Allow");
  for (const char* m : {"OPTIONS", "POST", "GET"}) EXPECT_NE(allow.find(m), std::string::npos) << allow;
  EXPECT_EQ(allow.find("PUT"), std::string::npos) << allow;
  EXPECT_EQ(c.request(bhttp::options, "/nowhere", "").status, 404);
}

TEST_F(BrowserAccess, AllowOriginEchoedOnlyForAllowedOrigins) {
  auto ok = key_post("/v1/events", R"({"event":"page_view","url":"https://shop.example/a"})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(ok.header("Access-Control-Allow-Origin"), kSite);
  EXPECT_EQ(ok.header("Access-Control-Allow-Credentials"), "");

  auto evil = key_post("/v1/events", R"({"event":"page_view"})", {{"Origin", "https://evil.example"}});
  expect_error(evil, 403, "origin_not_allowed");
  EXPECT_EQ(evil.header("Access-Control-Allow-Origin"), "");

  // A secret token used from a page: the answer is not shared with other origins.
  auto c = client();
  auto read = c.request(bhttp::get, "/v1/events", "", {{"Origin", kSite}});
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.header("Access-Control-Allow-Origin"), "");
  // The console's own origin (https and the Host the request was sent to) gets credentials.
  auto own = c.request(bhttp::get, "/v1/events", "", {{"Origin", kConsole}});
  EXPECT_EQ(own.header("Access-Control-Allow-Origin"), kConsole);
  EXPECT_EQ(own.header("Access-Control-Allow-Credentials"), "true");
  // The org-unit routes take the console's session, so the console's origin gets credentials
  // there too; the campaign dialect is for servers: no CORS at all.
  auto org = c.request(bhttp::get, "/events", "", {{"Origin", kConsole}});
  EXPECT_EQ(org.header("Access-Control-Allow-Origin"), kConsole);
  EXPECT_EQ(c.request(bhttp::get, "/events", "", {{"Origin", kSite}}).header("Access-Control-Allow-Origin"), "");
  auto campaign = c.request(bhttp::get, "/v1/campaigns/cmp_1/events", "", {{"Origin", kConsole}});
  EXPECT_EQ(campaign.header("Access-Control-Allow-Origin"), "");
}

// ---------------------------------------------------------------- publishable keys

TEST_F(BrowserAccess, KeyIngestsIntoItsTenantWithBatchesAndIdempotentIds) {
  auto r = key_post("/v1/events", R"({"batch":[{"id":"web_1","event":"page_view","url":"https://shop.example/p?q=1",
      "referrer":"https://search.example/","session_id":"ses_1","utm_source":"news","data":{"path":"/p"}},
      {"id":"web_2","event":"first_visit","contact_id":"ct_9"}]})");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::serialize(r.json().at("ids")), R"(["browser~web_1","browser~web_2"])");
  // The same batch again (a retry) records nothing new.
  auto retry = key_post("/v1/events",
                        R"({"batch":[{"id":"web_1","event":"page_view"},{"id":"web_2","event":"first_visit"}]})");
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(json::serialize(retry.json().at("created")), "[false,false]");
  auto c = client();
  EXPECT_EQ(c.get("/v1/events?count_only=true").json().at("count"), 2);
  auto e = c.get("/v1/events/browser~web_1").json().at("event");
  EXPECT_EQ(e.at("url"), "https://shop.example/p?q=1");
  EXPECT_EQ(e.at("domain"), "shop.example");
  EXPECT_EQ(e.at("utm_source"), "news");
  // As a bearer header too (a page using fetch with its own headers).
  auto bearer = client(key_);
  EXPECT_EQ(bearer.request(bhttp::post, "/v1/events", R"({"event":"x"})", {{"Origin", kSite}}).status, 201);
  // Another tenant sees none of it.
  auto other = client(token("beta"));
  EXPECT_EQ(other.get("/v1/events?count_only=true").json().at("count"), 0);
}

// A visitor who sends the id of an order the backend will send later claims nothing: the page's id
// is the event "browser~order-1001", the backend's is "order-1001", and each answers as itself.
TEST_F(BrowserAccess, KeyIdsCannotClaimOrShadowServerIds) {
  auto visitor = key_post("/v1/events", R"({"id":"order-1001","event":"page_view"})");
  ASSERT_EQ(visitor.status, 201) << visitor.body;
  EXPECT_EQ(json::serialize(visitor.json().at("ids")), R"(["browser~order-1001"])");
  auto c = client();
  auto backend = c.post("/v1/events", R"({"id":"order-1001","event":"order_paid","data":{"total":99.99}})");
  ASSERT_EQ(backend.status, 201) << backend.body;
  EXPECT_EQ(json::serialize(backend.json().at("ids")), R"(["order-1001"])");
  EXPECT_EQ(json::serialize(backend.json().at("created")), "[true]");
  EXPECT_EQ(c.get("/v1/events/order-1001").json().at("event").at("event"), "order_paid");
  EXPECT_EQ(c.get("/v1/events/browser~order-1001").json().at("event").at("event"), "page_view");
  // A secret token cannot send an id in the browser's namespace either.
  expect_error(c.post("/v1/events", R"({"id":"browser~x","event":"a"})"), 400, "invalid_request");
  // A key's id is at most 120 characters (128 with its prefix).
  auto too_long = key_post("/v1/events", R"({"id":")" + std::string(121, 'w') + R"(","event":"a"})");
  expect_error(too_long, 400, "invalid_request");
  EXPECT_EQ(too_long.json().at("error").at("field"), "id");
}

TEST_F(BrowserAccess, KeyRefusedOnEveryOtherRoute) {
  auto bearer = client(key_);
  const auto router = http::make_router();
  std::size_t checked = 0;
  for (const auto& route : router.routes()) {
    if (route.scope.empty() || route.name == "POST /v1/events" || route.name == "POST /v1/identify") continue;
    std::string target = route.pattern;
    for (auto open = target.find('{'); open != std::string::npos; open = target.find('{')) {
      target.replace(open, target.find('}', open) - open + 1, route.dialect == http::Dialect::workspace ? "acme" : "x");
    }
    SCOPED_TRACE(route.name);
    auto r = bearer.request(route.method, target, "{}", {{"Origin", kSite}});
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json().at("error").at("code"), "insufficient_permissions");
    // As ?key=, it is not even looked at outside the ingest routes.
    auto anonymous = client("");
    auto q = anonymous.request(route.method, target + "?key=" + key_, "{}", {{"Origin", kSite}});
    EXPECT_TRUE(q.status == 401 || q.status == 400) << q.status << q.body;
    ++checked;
  }
  EXPECT_GE(checked, 20u);
}

TEST_F(BrowserAccess, KeyOnlyFromItsOrigins) {
  expect_error(key_post("/v1/events", R"({"event":"x"})", {}), 403, "origin_not_allowed");
  expect_error(key_post("/v1/events", R"({"event":"x"})", {{"Origin", "https://shop.example.evil.example"}}), 403,
               "origin_not_allowed");
  expect_error(key_post("/v1/identify", R"({"contact_id":"c","traits":{}})", {{"Origin", "http://localhost:3001"}}),
               403, "origin_not_allowed");
  EXPECT_EQ(key_post("/v1/events", R"({"event":"x"})", {{"Origin", "http://localhost:3000"}}).status, 201);
  // A revoked key stops at once (eventctl token revoke on a running server: tests/e2e).
  ASSERT_TRUE(node_->tokens().revoke(TokenStore::id_of(key_)));
  expect_error(key_post("/v1/events", R"({"event":"x"})"), 401, "unauthorized");
}

TEST_F(BrowserAccess, KeySetsOnlyBrowserFields) {
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"event":"x","campaign_id":"cmp_1"})", "campaign_id"},
      {R"({"event":"x","step_id":"s"})", "step_id"},
      {R"({"event":"x","email":"a@b.c"})", "email"},
      {R"({"event":"x","created_at":"2026-01-01T00:00:00Z"})", "created_at"},
      {R"({"batch":[{"event":"x"},{"event":"y","email":"a@b.c"}]})", "batch[1].email"},
      {R"({"event":"x","timestamp":"2001-01-01T00:00:00Z"})", "timestamp"},
      {R"({"event":"x","timestamp":"2999-01-01T00:00:00Z"})", "timestamp"},
      {R"({"event":"x","url":"https://evil.example/page"})", "url"},
  };
  for (const auto& k : cases) {
    auto r = key_post("/v1/events", k.body);
    SCOPED_TRACE(k.body);
    expect_error(r, 400, "invalid_request");
    EXPECT_EQ(r.json().at("error").at("field"), k.field);
  }
  EXPECT_EQ(client().get("/v1/events?count_only=true").json().at("count"), 0) << "all or nothing";
  // The same bodies from a secret token are fine where the API allows them.
  EXPECT_EQ(client().post("/v1/events", R"({"event":"x","campaign_id":"cmp_1","email":"a@b.c"})").status, 201);
}

TEST_F(BrowserAccess, KeyRateLimitedPerKeyAndPerClientAddress) {
  const std::string slow = create_key("acme", {kSite}, 0.1);
  auto c = client("");
  auto post = [&](const std::string& key, Headers h = {}) {
    h.emplace_back("Origin", kSite);
    return c.request(bhttp::post, "/v1/events?key=" + key, R"({"event":"x"})", h);
  };
  EXPECT_EQ(post(slow).status, 201);
  c.set_peer("198.51.100.7");
  auto limited = post(slow);
  expect_error(limited, 429, "rate_limited");
  EXPECT_EQ(limited.header("Retry-After"), "10") << "the slowest rate a key may have refills in 10 s";
  EXPECT_EQ(limited.header("Access-Control-Allow-Origin"), kSite) << "a page can read why";

  const std::string per_address = create_key("acme", {kSite}, 0, 0.1);
  c.set_peer("203.0.113.1");
  EXPECT_EQ(post(per_address).status, 201);
  expect_error(post(per_address), 429, "rate_limited");
  // With no trusted proxy, X-Forwarded-For is not read: a client cannot choose its address.
  expect_error(post(per_address, {{"X-Forwarded-For", "203.0.113.2"}}), 429, "rate_limited");
  c.set_peer("203.0.113.2");
  EXPECT_EQ(post(per_address).status, 201);
}

// eventsd --trusted-proxies 10.0.0.0/8: X-Forwarded-For names the client when a proxy of those
// sent the request, and only then.
class BehindAProxy : public BrowserAccess {
 protected:
  NodeOptions node_options() const override {
    NodeOptions options = BrowserAccess::node_options();
    options.api.trusted_proxies.add("10.0.0.0/8");
    return options;
  }
};

TEST_F(BehindAProxy, TheForwardedAddressCountsFromATrustedProxyOnly) {
  const std::string per_address = create_key("acme", {kSite}, 0, 0.1);
  auto post = [&](test::ServiceClient& c, const char* forwarded) {
    return c.request(bhttp::post, "/v1/events?key=" + per_address, R"({"event":"x"})",
                     {{"Origin", kSite}, {"X-Forwarded-For", forwarded}});
  };
  auto proxy = client("");
  proxy.set_peer("10.0.0.2");
  EXPECT_EQ(post(proxy, "203.0.113.1").status, 201);
  expect_error(post(proxy, "203.0.113.1"), 429, "rate_limited");
  // The proxy's entry (the last) is the client; what the client wrote before it is not.
  expect_error(post(proxy, "192.0.2.99, 203.0.113.1"), 429, "rate_limited");
  EXPECT_EQ(post(proxy, "203.0.113.2").status, 201) << "another client behind the proxy";
  // A client that reaches eventsd directly is its own address, whatever it forwards.
  auto direct = client("");
  direct.set_peer("198.51.100.9");
  EXPECT_EQ(post(direct, "192.0.2.1").status, 201);
  expect_error(post(direct, "192.0.2.2"), 429, "rate_limited");
  expect_error(post(direct, "192.0.2.3"), 429, "rate_limited");
}

// Small limiter tables (eventsd --limiter-tenant-buckets 50 --limiter-key-buckets 20): a tenant
// whose key is flooded from ever new addresses pushes out only its own buckets.
class SmallLimiterTables : public BehindAProxy {
 protected:
  NodeOptions node_options() const override {
    NodeOptions options = BehindAProxy::node_options();
    options.auth.limits = {.per_owner = 50, .per_group = 20};
    return options;
  }
};

TEST_F(SmallLimiterTables, OneTenantsFloodOfAddressesNeverLimitsAnother) {
  const std::string flood = create_key("acme", {kSite}, 10'000);
  const std::string other = create_key("beta", {kSite}, 0, 0.1);
  auto proxy = client("");
  proxy.set_peer("10.0.0.2");
  auto post = [&](const std::string& key, const std::string& address, const std::string& body) {
    return proxy.request(bhttp::post, "/v1/events?key=" + key, body, {{"Origin", kSite}, {"X-Forwarded-For", address}});
  };
  EXPECT_EQ(post(other, "192.0.2.1", R"({"event":"x"})").status, 201);
  expect_error(post(other, "192.0.2.1", R"({"event":"x"})"), 429, "rate_limited");
  // The flood: 1,000 addresses through acme's key (bodies the handler refuses, after the limits,
  // so that nothing is written): none is refused for want of room.
  for (int i = 0; i < 1'000; ++i) {
    const std::string address = "198.51." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    ASSERT_EQ(post(flood, address, "{}").status, 400) << i;
  }
  EXPECT_EQ(node_->app().auth->key_limiter.size("acme"), 20u) << "the key's share: its own bucket and its 19 latest addresses";
  // beta's state survived, and its new addresses pass.
  expect_error(post(other, "192.0.2.1", R"({"event":"x"})"), 429, "rate_limited");
  for (int i = 2; i < 40; ++i) EXPECT_EQ(post(other, "192.0.2." + std::to_string(i), R"({"event":"x"})").status, 201) << i;
}

TEST_F(BrowserAccess, SecretTokensAreNotAcceptedInTheQuery) {
  auto c = client("");
  auto r = c.request(bhttp::post, "/v1/events?key=" + token_, R"({"event":"x"})", {{"Origin", kSite}});
  expect_error(r, 401, "unauthorized");
}

TEST_F(BrowserAccess, IdentifyMergesTraitsAndAnswersNoData) {
  auto r = key_post("/v1/identify", R"({"contact_id":"ct_7","traits":{"firstname":"Ada","company":{"name":"Engines"}}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"status":"success"})");
  EXPECT_EQ(key_post("/v1/identify", R"({"contact_id":"ct_7","traits":{"email":"ada@engines.example"}})").status, 200);
  auto c = client();
  auto contact = c.get("/v1/contacts/ct_7").json().at("contact");
  EXPECT_EQ(contact.at("firstname"), "Ada");
  EXPECT_EQ(contact.at("email"), "ada@engines.example");
  // null clears one trait.
  EXPECT_EQ(c.post("/v1/identify", R"({"contact_id":"ct_7","traits":{"firstname":null}})").status, 200);
  EXPECT_TRUE(c.get("/v1/contacts/ct_7").json().at("contact").at("firstname").is_null());
  EXPECT_EQ(c.get("/v1/contacts/ct_7").json().at("contact").at("email"), "ada@engines.example");
  auto bad = key_post("/v1/identify", R"({"contact_id":"ct_7","traits":{"nickname":"x"}})");
  expect_error(bad, 400, "invalid_request");
  EXPECT_EQ(bad.json().at("error").at("field"), "traits.nickname");
  expect_error(key_post("/v1/identify", R"({"traits":{}})"), 400, "invalid_request");
}

// ---------------------------------------------------------------- users and sessions

class Sessions : public test::ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    node_->users().create_user("Ada@Example.com", kPassword, {"acme", "beta"}, "admin");
    node_->users().create_user("bob@example.com", kPassword, {"acme"}, "member");
  }
  struct Login {
    HttpResponse response;
    std::string cookie;  // "eventsd_session=..."
    std::string csrf;
  };
  Login login(const std::string& email, const std::string& password = kPassword, const std::string& extra = "",
              const std::string& peer = "127.0.0.1") {
    auto c = client("");
    c.set_peer(peer);
    Login l;
    l.response = c.request(bhttp::post, "/api/auth/login",
                           R"({"email":")" + email + R"(","password":")" + password + "\"" + extra + "}",
                           {{"Origin", kConsole}});
    const std::string set = l.response.header("Set-Cookie");
    l.cookie = set.substr(0, set.find(';'));
    if (l.response.status == 200) l.csrf = std::string(l.response.json().at("csrf_token").as_string());
    return l;
  }
  // A request as the console makes it: the cookie, the console's Origin and the CSRF token.
  HttpResponse as(const Login& l, bhttp method, const std::string& target, const std::string& body = "",
                  Headers extra = {}) {
    auto c = client("");
    Headers h{{"Cookie", "theme=dark; " + l.cookie}};
    if (method != bhttp::get) {
      h.emplace_back("Origin", kConsole);
      h.emplace_back("X-CSRF-Token", l.csrf);
    }
    for (auto& e : extra) h.push_back(e);
    return c.request(method, target, body, h);
  }
};

TEST_F(Sessions, LoginSetsAHardenedCookieAndTheSessionReads) {
  EXPECT_EQ(login("ada@example.com", "wrong password").response.status, 401);
  EXPECT_EQ(login("nobody@example.com").response.status, 401);
  auto l = login("ADA@example.com");
  ASSERT_EQ(l.response.status, 200) << l.response.body;
  const std::string set = l.response.header("Set-Cookie");
  for (const char* attr : {"; Path=/", "; HttpOnly", "; Secure", "; SameSite=Lax", "; Max-Age=43200"}) {
    EXPECT_NE(set.find(attr), std::string::npos) << set;
  }
  auto body = l.response.json();
  EXPECT_EQ(body.at("user").at("email"), "ada@example.com");
  EXPECT_EQ(body.at("tenant"), "acme");
  EXPECT_EQ(json::serialize(body.at("user").at("tenants")), R"(["acme","beta"])");

  EXPECT_EQ(client().post("/v1/events", R"({"event":"seen"})").status, 201);
  auto list = as(l, bhttp::get, "/v1/events");
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json().at("events").as_array().size(), 1u);
  EXPECT_EQ(as(l, bhttp::get, "/api/workspaces/acme/events").status, 200);  // seed 004: session required
  EXPECT_EQ(as(l, bhttp::get, "/api/auth/session").json().at("tenant"), "acme");
  // Writes with the cookie, CSRF token and Origin; the log records the user as the actor.
  auto w = as(l, bhttp::post, "/v1/events", R"({"event":"from_console","id":"c1"})");
  EXPECT_EQ(w.status, 201) << w.body;
  auto audit = client().get("/v1/audit/events/c1").json();
  EXPECT_EQ(std::string(audit.at("history").at(0).at("actor").as_string()).rfind("usr_", 0), 0u);
  // The org-unit dialect takes the session (seeds 000/002's active organizational unit); the
  // campaign dialect is for servers, with tokens only.
  EXPECT_EQ(as(l, bhttp::get, "/events").status, 200);
  expect_error(as(l, bhttp::get, "/v1/campaigns/cmp_1/events"), 401, "invalid_key");
  // A malformed login.
  auto c = client("");
  expect_error(c.post("/api/auth/login", R"({"email":"a@b.c"})"), 400, "invalid_request");
  expect_error(c.post("/api/auth/login", "nope"), 400, "invalid_request");
  expect_error(c.request(bhttp::post, "/api/auth/login", R"({"email":"ada@example.com","password":"x"})",
                         {{"Origin", "https://evil.example"}}),
               403, "csrf_failed");
}

TEST_F(Sessions, StateChangesNeedTheOriginAndTheCsrfToken) {
  auto l = login("ada@example.com");
  auto c = client("");
  const std::string body = R"({"event":"forged"})";
  // No token.
  expect_error(c.request(bhttp::post, "/v1/events", body, {{"Cookie", l.cookie}, {"Origin", kConsole}}),
               403, "csrf_failed");
  // A wrong token.
  expect_error(c.request(bhttp::post, "/v1/events", body,
                         {{"Cookie", l.cookie}, {"Origin", kConsole}, {"X-CSRF-Token", l.csrf + "0"}}),
               403, "csrf_failed");
  // The right token from another site (it cannot read it, but check the Origin all the same).
  expect_error(c.request(bhttp::post, "/v1/events", body,
                         {{"Cookie", l.cookie}, {"Origin", "https://evil.example"}, {"X-CSRF-Token", l.csrf}}),
               403, "csrf_failed");
  // No Origin and no Referer.
  expect_error(c.request(bhttp::put, "/v1/scoring/rules", R"({"rules":[]})", {{"Cookie", l.cookie}, {"X-CSRF-Token", l.csrf}}),
               403, "csrf_failed");
  expect_error(c.request(bhttp::delete_, "/v1/events/batch", R"({"event_ids":["a"]})",
                         {{"Cookie", l.cookie}, {"Referer", "https://evil.example/x"}, {"X-CSRF-Token", l.csrf}}),
               403, "csrf_failed");
  expect_error(c.request(bhttp::post, "/api/auth/tenant", R"({"tenant":"beta"})", {{"Cookie", l.cookie}}), 403,
               "csrf_failed");
  EXPECT_EQ(client().get("/v1/events?count_only=true").json().at("count"), 0);
  // A Referer of the console's origin stands in for a missing Origin.
  EXPECT_EQ(c.request(bhttp::post, "/v1/events", body,
                      {{"Cookie", l.cookie}, {"Referer", std::string(kConsole) + "/console"}, {"X-CSRF-Token", l.csrf}})
                .status,
            201);
  // A bearer token needs neither (browsers never add it on their own).
  EXPECT_EQ(client().post("/v1/events", body).status, 201);
}

TEST_F(Sessions, LogoutEndsTheSession) {
  auto l = login("ada@example.com");
  EXPECT_EQ(as(l, bhttp::get, "/v1/events").status, 200);
  auto out = as(l, bhttp::post, "/api/auth/logout", "{}");
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  expect_error(as(l, bhttp::get, "/v1/events"), 401, "unauthorized");
  expect_error(as(l, bhttp::get, "/api/auth/session"), 401, "unauthorized");
  // Another session of the same user is untouched.
  auto other = login("ada@example.com");
  EXPECT_EQ(as(other, bhttp::get, "/v1/events").status, 200);
}

TEST_F(Sessions, RevokedByTheOperator) {
  auto l = login("ada@example.com");
  auto bob = login("bob@example.com");
  EXPECT_EQ(as(l, bhttp::get, "/v1/events").status, 200);
  // What eventctl user revoke-sessions does (on a running server: tests/e2e).
  EXPECT_EQ(node_->users().revoke_sessions("ada@example.com"), 1u);
  expect_error(as(l, bhttp::get, "/v1/events"), 401, "unauthorized");
  EXPECT_EQ(as(bob, bhttp::get, "/v1/events").status, 200);
  ASSERT_TRUE(node_->users().delete_user("bob@example.com"));
  expect_error(as(bob, bhttp::get, "/v1/events"), 401, "unauthorized");
  EXPECT_EQ(login("bob@example.com").response.status, 401);
}

class ShortSessions : public Sessions {
 protected:
  NodeOptions node_options() const override {
    auto options = Sessions::node_options();
    options.auth.session_lifetime = 1000;  // --session-ttl-s 1
    return options;
  }
};

TEST_F(ShortSessions, SessionsExpire) {
  auto l = login("ada@example.com");
  ASSERT_EQ(l.response.status, 200);
  EXPECT_NE(l.response.header("Set-Cookie").find("Max-Age=1;"), std::string::npos);
  const auto expires = parse_iso8601(l.response.json().at("expires_at").as_string());
  ASSERT_TRUE(expires);
  EXPECT_EQ(*expires, clock_.now_millis() + 1000);
  // Alive until its end, ended from then on.
  clock_.advance(std::chrono::milliseconds(999));
  EXPECT_EQ(as(l, bhttp::get, "/v1/events").status, 200);
  clock_.advance(std::chrono::milliseconds(1));
  expect_error(as(l, bhttp::get, "/v1/events"), 401, "unauthorized");
  expect_error(as(l, bhttp::get, "/api/auth/session"), 401, "unauthorized");
}

// The console's origin is https://<Host>: behind the TLS proxy eventsd is meant to sit behind, a
// page on http://<Host> is whoever answers plain http on the way, and is not trusted with the
// session (no login, no change, no credentials in CORS answers).
TEST_F(Sessions, TheConsoleOverPlainHttpIsNotTrusted) {
  auto c = client("");
  const std::string http_console = "http://127.0.0.1";
  expect_error(c.request(bhttp::post, "/api/auth/login",
                         R"({"email":"ada@example.com","password":")" + std::string(kPassword) + "\"}",
                         {{"Origin", http_console}}),
               403, "csrf_failed");
  auto l = login("ada@example.com");  // from https
  ASSERT_EQ(l.response.status, 200);
  expect_error(c.request(bhttp::post, "/v1/events", R"({"event":"x"})",
                         {{"Cookie", l.cookie}, {"Origin", http_console}, {"X-CSRF-Token", l.csrf}}),
               403, "csrf_failed");
  auto read = as(l, bhttp::get, "/v1/events", "", {{"Origin", http_console}});
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.header("Access-Control-Allow-Origin"), "");
  EXPECT_EQ(read.header("Access-Control-Allow-Credentials"), "");
  auto preflight = c.request(bhttp::options, "/v1/events", "",
                             {{"Origin", http_console}, {"Access-Control-Request-Method", "POST"}});
  expect_error(preflight, 403, "cors_refused");
  EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "");
}

// eventsd --console-http-loopback: a developer's console on http://127.0.0.1:PORT.
class HttpLoopbackConsole : public Sessions {
 protected:
  NodeOptions node_options() const override {
    auto options = Sessions::node_options();
    options.auth.console_http_loopback = true;
    return options;
  }
};

TEST_F(HttpLoopbackConsole, PlainHttpIsTrustedOnlyOnALoopbackHost) {
  auto c = client("");
  const std::string body = R"({"email":"ada@example.com","password":")" + std::string(kPassword) + "\"}";
  for (const auto& [host, origin] : std::vector<std::pair<std::string, std::string>>{
           {"127.0.0.1:8080", "http://127.0.0.1:8080"}, {"127.1.2.3", "http://127.1.2.3"},
           {"[::1]:8080", "http://[::1]:8080"}, {"LocalHost:8080", "http://localhost:8080"}}) {
    auto r = c.request(bhttp::post, "/api/auth/login", body, {{"Host", host}, {"Origin", origin}});
    EXPECT_EQ(r.status, 200) << host << ": " << r.body;
    auto cors = c.request(bhttp::get, "/v1/events", "", {{"Host", host}, {"Origin", origin}});
    EXPECT_EQ(cors.header("Access-Control-Allow-Origin"), origin) << host;
    EXPECT_EQ(cors.header("Access-Control-Allow-Credentials"), "true") << host;
  }
  // Any other host over http is refused even so (a name that resolves to loopback is not one:
  // the browser's Host would be that name).
  for (const auto& [host, origin] : std::vector<std::pair<std::string, std::string>>{
           {"events.example", "http://events.example"}, {"10.0.0.1:8080", "http://10.0.0.1:8080"},
           {"localhost.events.example", "http://localhost.events.example"}}) {
    expect_error(c.request(bhttp::post, "/api/auth/login", body, {{"Host", host}, {"Origin", origin}}), 403,
                 "csrf_failed");
    EXPECT_EQ(c.request(bhttp::get, "/v1/events", "", {{"Host", host}, {"Origin", origin}})
                  .header("Access-Control-Allow-Origin"),
              "")
        << host;
  }
  // https is the console's own origin with or without the flag.
  const test::Headers https{{"Host", "events.example"}, {"Origin", "https://events.example"}};
  EXPECT_EQ(c.request(bhttp::post, "/api/auth/login", body, https).status, 200);
}

// An open stream asks again, on the server's clock, whether its session holds: moving the clock
// past the session's end ends the stream, its last event saying why.
TEST_F(ShortSessions, AnOpenStreamEndsWhenItsSessionExpires) {
  auto l = login("ada@example.com");
  ASSERT_EQ(l.response.status, 200);
  HttpResponse streamed;
  std::thread reader([&] { streamed = as(l, bhttp::get, "/v1/events/stream"); });  // read to its end
  const bool opened =
      test::eventually([&] { return node_->app().stream_slots.open() == 1; }, std::chrono::seconds(10));
  clock_.advance(std::chrono::milliseconds(1000));
  reader.join();
  ASSERT_TRUE(opened);
  EXPECT_EQ(streamed.status, 200);
  const std::string last = R"(event: revoked)" "\n" R"(data: {"status":"error","error":{"code":"session_expired")";
  EXPECT_NE(streamed.body.find("\n\n" + last), std::string::npos) << streamed.body;
  EXPECT_EQ(node_->app().stream_slots.open(), 0u);
}

// Seeds 000/002: "Events are OU-scoped and only return data for the active Organizational Unit".
// With a session, the active unit is the session's active tenant: a user of several switches with
// POST /api/auth/tenant, and writes need the Origin and the CSRF token as on the other routes.
TEST_F(Sessions, OrgUnitRoutesServeTheSessionsActiveOrganizationalUnit) {
  ASSERT_EQ(client(token("beta")).post("/ingest", R"({"id":"b1","event_type":"page_view","lead_id":"ld_b"})").status, 201);
  ASSERT_EQ(client().post("/ingest", R"({"id":"a1","event_type":"page_view","lead_id":"ld_a"})").status, 201);
  auto l = login("ada@example.com");
  auto ids = [&](const std::string& target) {
    std::vector<std::string> out;
    auto r = as(l, bhttp::get, target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    const auto body = r.json();
    for (const auto& e : body.at("events").as_array()) out.emplace_back(e.at("id").as_string());
    return out;
  };
  EXPECT_EQ(ids("/events"), std::vector<std::string>{"a1"});
  auto written = as(l, bhttp::post, "/ingest", R"({"id":"a2","event_type":"form_submit","lead_id":"ld_a"})");
  EXPECT_EQ(written.status, 201) << written.body;
  EXPECT_EQ(ids("/leads/ld_a/events"), (std::vector<std::string>{"a2", "a1"}));
  EXPECT_EQ(as(l, bhttp::get, "/events/analytics").json().at("total"), 2);

  // The CSRF rules of every cookie-authenticated change.
  auto c = client("");
  expect_error(c.request(bhttp::post, "/ingest", R"({"event_type":"forged"})", {{"Cookie", l.cookie}, {"Origin", kConsole}}),
               403, "csrf_failed");
  expect_error(c.request(bhttp::delete_, "/events/batch", R"({"event_ids":["a1"]})",
                         {{"Cookie", l.cookie}, {"Origin", "https://evil.example"}, {"X-CSRF-Token", l.csrf}}),
               403, "csrf_failed");
  EXPECT_EQ(ids("/events").size(), 2u);

  // Switching the active unit.
  ASSERT_EQ(as(l, bhttp::post, "/api/auth/tenant", R"({"tenant":"beta"})").status, 200);
  EXPECT_EQ(ids("/events"), std::vector<std::string>{"b1"});
  auto deleted = as(l, bhttp::delete_, "/events/batch", R"({"event_ids":["b1","a1"]})");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.json().at("deleted"), 1) << "a1 is another unit's";
  EXPECT_TRUE(ids("/events").empty());
  // A member's role has no admin scope, but the OU routes need none; a token still works alongside.
  auto bob = login("bob@example.com");
  EXPECT_EQ(as(bob, bhttp::get, "/events").json().at("events").as_array().size(), 2u);
  EXPECT_EQ(client().get("/events").json().at("events").as_array().size(), 2u);
}

TEST_F(Sessions, TenantSwitching) {
  auto beta = client(token("beta"));
  EXPECT_EQ(beta.post("/v1/events", R"({"event":"in_beta"})").status, 201);
  EXPECT_EQ(client().post("/v1/events", R"({"batch":[{"event":"in_acme"},{"event":"in_acme"}]})").status, 201);
  auto l = login("ada@example.com");
  EXPECT_EQ(as(l, bhttp::get, "/v1/events?count_only=true").json().at("count"), 2);
  // Seed 004's routes name the workspace: any of the user's tenants, whatever is active.
  auto ws = as(l, bhttp::get, "/api/workspaces/beta/events");
  EXPECT_EQ(ws.status, 200) << ws.body;
  EXPECT_EQ(ws.json().as_array().size(), 1u);
  expect_error(as(l, bhttp::get, "/api/workspaces/gamma/events"), 404, "not_found");

  auto sw = as(l, bhttp::post, "/api/auth/tenant", R"({"tenant":"beta"})");
  EXPECT_EQ(sw.status, 200) << sw.body;
  EXPECT_EQ(sw.json().at("tenant"), "beta");
  EXPECT_EQ(as(l, bhttp::get, "/v1/events?count_only=true").json().at("count"), 1);
  EXPECT_EQ(as(l, bhttp::get, "/api/auth/session").json().at("tenant"), "beta");
  expect_error(as(l, bhttp::post, "/api/auth/tenant", R"({"tenant":"gamma"})"), 403, "insufficient_permissions");
  expect_error(as(l, bhttp::post, "/api/auth/tenant", R"({"tenant":7})"), 400, "invalid_request");
  // Logging in straight into a tenant.
  auto direct = login("ada@example.com", kPassword, R"(,"tenant":"beta")");
  EXPECT_EQ(direct.response.json().at("tenant"), "beta");
  EXPECT_EQ(login("bob@example.com", kPassword, R"(,"tenant":"beta")").response.status, 403);
}

TEST_F(Sessions, MembersReadAndWriteButAreNotAdmins) {
  auto bob = login("bob@example.com");
  EXPECT_EQ(as(bob, bhttp::post, "/v1/events", R"({"event":"x"})").status, 201);
  EXPECT_EQ(as(bob, bhttp::get, "/v1/events").status, 200);
  expect_error(as(bob, bhttp::put, "/v1/scoring/rules", R"({"rules":[]})"), 403, "insufficient_permissions");
  expect_error(as(bob, bhttp::get, "/v1/tokens"), 403, "insufficient_permissions");
  auto ada = login("ada@example.com");
  EXPECT_EQ(as(ada, bhttp::put, "/v1/scoring/rules", R"({"rules":[{"event":"x","points":3}]})").status, 200);
}

// A console admin administers a tenant: what spans every tenant needs an operator's token.
TEST_F(Sessions, AConsoleAdminIsNoOperator) {
  auto ada = login("ada@example.com");
  for (auto method : {bhttp::get, bhttp::post}) {
    auto r = as(ada, method, "/v1/admin/rebuild");
    expect_error(r, 403, "insufficient_permissions");
    EXPECT_NE(r.body.find("operator"), std::string::npos) << r.body;
  }
}

TEST_F(Sessions, PasswordGuessingIsSlowedPerAddressAndEmail) {
  // A stranger guessing bob's password: ten attempts in a burst (eventsd's default), then one
  // every five seconds; the eleventh at once is refused before any password is checked.
  const std::string stranger = "203.0.113.9";
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(login("bob@example.com", "guess " + std::to_string(i), "", stranger).response.status, 401);
  }
  auto limited = login("BOB@example.com", kPassword, "", stranger);
  expect_error(limited.response, 429, "rate_limited");
  EXPECT_EQ(limited.response.header("Retry-After"), "5");
  // bob, from his own address, is not locked out; another e-mail from the stranger's is not slowed.
  EXPECT_EQ(login("bob@example.com", kPassword, "", "198.51.100.20").response.status, 200);
  EXPECT_EQ(login("ada@example.com", kPassword, "", stranger).response.status, 200);
  // Five seconds later, one more attempt.
  clock_.advance(std::chrono::seconds(5));
  EXPECT_EQ(login("bob@example.com", kPassword, "", stranger).response.status, 200);
  expect_error(login("bob@example.com", kPassword, "", stranger).response, 429, "rate_limited");
}

TEST_F(Sessions, OneAddressCannotGuessAcrossManyEmails) {
  // Twenty logins from one address in a burst, whatever the e-mails, then one every two seconds.
  const std::string guesser = "203.0.113.10";
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(login("user" + std::to_string(i) + "@example.com", "guess", "", guesser).response.status, 401) << i;
  }
  auto limited = login("ada@example.com", kPassword, "", guesser);
  expect_error(limited.response, 429, "rate_limited");
  EXPECT_EQ(limited.response.header("Retry-After"), "2");
  EXPECT_EQ(login("ada@example.com", kPassword, "", "198.51.100.21").response.status, 200) << "other addresses are not";
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(login("ada@example.com", kPassword, "", guesser).response.status, 200);
}

// Password checks run on the login workers (eventsd --login-threads 1 --login-queue 1 here), each
// check held at a gate: with one running and one waiting, a third login is answered 503 at once.
class FullLoginQueue : public Sessions {
 protected:
  NodeOptions node_options() const override {
    NodeOptions options = Sessions::node_options();
    options.auth.login_threads = 1;
    options.auth.login_queue = 1;
    options.auth.check_password = [gate = gate_](std::string_view hash, std::string_view password) {
      gate->wait();
      return verify_password(hash, password);
    };
    return options;
  }
  std::shared_ptr<test::Gate> gate_ = std::make_shared<test::Gate>();
};

TEST_F(FullLoginQueue, AnswersUnavailableWithRetryAfter) {
  std::optional<Login> running, queued;
  std::thread first([&] { running = login("ada@example.com"); });
  ASSERT_TRUE(test::eventually([&] { return gate_->waiting() == 1; }));
  std::thread second([&] { queued = login("bob@example.com", kPassword, "", "198.51.100.30"); });
  ASSERT_TRUE(test::eventually([&] { return node_->app().auth->password_checks.pending() == 2; }));
  auto busy = login("ada@example.com", kPassword, "", "198.51.100.31");
  expect_error(busy.response, 503, "unavailable");
  EXPECT_EQ(busy.response.header("Retry-After"), "1");
  gate_->open();
  first.join();
  second.join();
  EXPECT_EQ(running->response.status, 200) << "the held logins are answered once checked";
  EXPECT_EQ(queued->response.status, 200);
  EXPECT_EQ(login("ada@example.com").response.status, 200) << "and the queue has room again";
}

TEST_F(Sessions, PasswordsAndSessionSecretsAreNeverStoredInClear) {
  auto l = login("ada@example.com");
  ASSERT_EQ(l.response.status, 200);
  const std::string secret = l.cookie.substr(l.cookie.find('=') + 1);
  std::string data;  // every file of the data directory
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (f.is_regular_file()) data += file_text(f.path());
  }
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.find(kPassword), std::string::npos);
  EXPECT_EQ(data.find(secret), std::string::npos);
  EXPECT_NE(data.find("$argon2id$"), std::string::npos) << "the password is stored as an Argon2id hash";
  // Passwords are checked as given: case and spaces matter, short ones are refused.
  EXPECT_EQ(login("ada@example.com", "Correct horse battery staple").response.status, 401);
  EXPECT_THROW(node_->users().create_user("c@example.com", "short", {"acme"}, "member"), std::invalid_argument);
}

// ---------------------------------------------------------------- tokens, assets

TEST_F(BrowserAccess, TokenRoutesManageTheTenantsTokens) {
  auto c = client();
  auto created = c.post("/v1/tokens", R"({"scopes":["events:read"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret(created.json().at("secret").as_string());
  const std::string id(created.json().at("token").at("id").as_string());
  auto reader = client(secret);
  EXPECT_EQ(reader.get("/v1/events").status, 200);
  expect_error(reader.post("/v1/events", R"({"event":"x"})"), 403, "insufficient_permissions");

  auto key = c.post("/v1/tokens", R"({"publishable":true,"origins":["https://Web.Example"]})");
  ASSERT_EQ(key.status, 201) << key.body;
  EXPECT_EQ(json::serialize(key.json().at("token").at("origins")), R"(["https://web.example"])");
  expect_error(c.post("/v1/tokens", R"({"publishable":true,"origins":["ftp://x"]})"), 400, "invalid_request");
  expect_error(c.post("/v1/tokens", R"({"scopes":["root"]})"), 400, "invalid_request");
  expect_error(c.post("/v1/tokens", R"({"publishable":true,"origins":[],"scopes":["admin"]})"), 400, "invalid_request");

  auto list = c.get("/v1/tokens").json().at("tokens").as_array();
  EXPECT_EQ(list.size(), 4u);  // the fixture's token and key, and the two made here
  for (const auto& t : list) EXPECT_FALSE(t.as_object().contains("secret"));
  auto beta = client(token("beta"));
  EXPECT_EQ(beta.get("/v1/tokens").json().at("tokens").as_array().size(), 1u);
  expect_error(beta.del("/v1/tokens/" + id, ""), 404, "not_found");
  EXPECT_EQ(c.del("/v1/tokens/" + id, "").status, 200);
  expect_error(reader.get("/v1/events"), 401, "unauthorized");
  expect_error(c.del("/v1/tokens/" + id, ""), 404, "not_found");
}

// A tenant admin's key cannot take more than its bounds (docs/api.md "Tokens over the API"):
// each parameter out of them is a 400 naming it, and nothing is created.
TEST_F(BrowserAccess, TokenParametersOutOfBoundsAreRefused) {
  auto c = client();
  const std::string origins = std::string(R"("origins":[")") + kSite + R"("])";
  auto refused = [&](const std::string& body, const std::string& field) {
    auto r = c.post("/v1/tokens", body);
    expect_error(r, 400, "invalid_request");
    EXPECT_EQ(r.json().at("error").at("field"), field.c_str()) << body;
  };
  refused(R"({"publishable":true,)" + origins + R"(,"rate":1000000,"address_rate":1e-9})", "rate");
  refused(R"({"publishable":true,)" + origins + R"(,"address_rate":1e-9})", "address_rate");
  refused(R"({"publishable":true,)" + origins + R"(,"address_rate":0.05})", "address_rate");
  refused(R"({"publishable":true,)" + origins + R"(,"rate":10000.5})", "rate");
  refused(R"({"publishable":true,)" + origins + R"(,"rate":-1})", "rate");
  refused(R"({"publishable":true,)" + origins + R"(,"rate":"fast"})", "rate");
  std::string many = R"({"publishable":true,"origins":[)";
  for (int i = 0; i <= 100; ++i) many += std::string(i ? "," : "") + "\"https://s" + std::to_string(i) + ".example\"";
  refused(many + "]}", "origins");
  refused(R"({"publishable":true,"origins":["https://)" + std::string(250, 'a') + R"(.example"]})", "origins");
  refused(R"({"publishable":true,"origins":[]})", "origins");
  refused(R"({"scopes":["admin","admin","admin","admin","admin"]})", "scopes");
  refused(R"({"scopes":["events:read"],"rate":5})", "rate");
  const auto before = c.get("/v1/tokens").json().at("tokens").as_array().size();
  // At the bounds: accepted; a scope given twice counts once.
  EXPECT_EQ(c.post("/v1/tokens", R"({"publishable":true,)" + origins + R"(,"rate":10000,"address_rate":0.1})").status, 201);
  auto twice = c.post("/v1/tokens", R"({"scopes":["events:read","events:read"]})");
  ASSERT_EQ(twice.status, 201) << twice.body;
  EXPECT_EQ(json::serialize(twice.json().at("token").at("scopes")), R"(["events:read"])");
  EXPECT_EQ(c.get("/v1/tokens").json().at("tokens").as_array().size(), before + 2);
}

TEST_F(BrowserAccess, TrackerAndConsoleAreServed) {
  auto c = client("");
  auto js = c.get("/sdk/eventsd.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("eventsd"), std::string::npos);
  auto page = c.get("/console");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page.header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(page.body.find("<script src=\"/console/app.js\">"), std::string::npos);
  EXPECT_EQ(c.get("/console/app.js").status, 200);
  EXPECT_EQ(c.get("/console/app.css").header("Content-Type"), "text/css; charset=utf-8");
  expect_error(c.get("/console/nope.js"), 404, "not_found");
  // No page of the console loads anything from another host (the SVG namespace and an input's
  // placeholder are the only absolute URLs in them).
  for (const char* asset : {"/console", "/console/app.js", "/console/app.css"}) {
    std::string body = c.get(asset).body;
    for (const std::string allowed : {"http://www.w3.org/2000/svg", "https://www.example.com"}) {
      for (auto at = body.find(allowed); at != std::string::npos; at = body.find(allowed)) body.erase(at, allowed.size());
    }
    EXPECT_EQ(body.find("http://"), std::string::npos) << asset;
    EXPECT_EQ(body.find("https://"), std::string::npos) << asset;
    EXPECT_EQ(body.find("//"), body.find("// ")) << asset << ": no protocol-relative URLs";
  }
}

}  // namespace
}  // namespace eventsd

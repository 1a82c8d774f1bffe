// Seed 004's web app on an origin of its own (docs/api.md, "CORS" and "Sessions"; eventsd
// --console-origins): over real HTTP, the named origin logs in, reads and writes the workspace
// routes with the session cookie and the CSRF token, with credentialed CORS answers (the exact
// origin echoed, credentials allowed, Vary: Origin) and a preflight for the methods and headers it
// uses; every other origin, and the named one on other routes, gets no credentialed CORS and no
// cookie-authenticated change.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "tests/support/answers.h"
#include "tests/support/e2e.h"

namespace eventsd {
namespace {

using test::E2E;
using test::HttpClient;
using verb = boost::beast::http::verb;

constexpr const char* kApp = "https://app.example.com";
constexpr const char* kPassword = "correct horse battery staple";

class WebApp : public E2E {
 protected:
  std::vector<std::string> server_args() const override {
    return {"--console-origins", std::string(kApp) + ",http://localhost:5173"};
  }
  void SetUp() override {
    E2E::SetUp();
    auto made = test::run_command({"/bin/sh", "-c", "printf '%s\\n' '" + std::string(kPassword) + "' | " +
                                                        test::eventctl_binary() + " user create --data " +
                                                        dir_.path().string() + " --email ada@example.com --tenants acme,beta"});
    ASSERT_EQ(made.status, 0) << made.out;
  }
  struct Session {
    test::HttpResponse login;
    std::string cookie, csrf;
  };
  Session login(const std::string& origin) {
    Session s;
    s.login = HttpClient(server_->port()).request(
        verb::post, "/api/auth/login", R"({"email":"ada@example.com","password":")" + std::string(kPassword) + "\"}",
        {{"Origin", origin}});
    const std::string set = s.login.header("Set-Cookie");
    s.cookie = set.substr(0, set.find(';'));
    if (s.login.status == 200) s.csrf = std::string(s.login.json().at("csrf_token").as_string());
    return s;
  }
  test::HttpResponse as(const Session& s, verb method, const std::string& target, const std::string& origin,
                        const std::string& body = "") {
    return HttpClient(server_->port()).request(method, target, body,
                                               {{"Cookie", s.cookie}, {"Origin", origin}, {"X-CSRF-Token", s.csrf}});
  }
  test::HttpResponse preflight(const std::string& target, const std::string& origin, const std::string& method,
                               const std::string& headers) {
    return HttpClient(server_->port()).request(verb::options, target, "",
                                               {{"Origin", origin}, {"Access-Control-Request-Method", method},
                                                {"Access-Control-Request-Headers", headers}});
  }
};

void expect_credentialed_cors(const test::HttpResponse& r, const std::string& origin) {
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), origin) << r.status << " " << r.body;
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(r.header("Vary").find("Origin"), std::string::npos) << r.header("Vary");
}

void expect_no_cors(const test::HttpResponse& r) {
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "") << r.status << " " << r.body;
  EXPECT_EQ(r.header("Access-Control-Allow-Credentials"), "");
}

TEST_F(WebApp, TheNamedOriginUsesItsSessionOnTheWorkspaceRoutes) {
  auto s = login(kApp);
  ASSERT_EQ(s.login.status, 200) << s.login.body;
  expect_credentialed_cors(s.login, kApp);
  // A cross-site app's requests carry only a SameSite=None cookie.
  const std::string set = s.login.header("Set-Cookie");
  EXPECT_NE(set.find("; Secure; SameSite=None"), std::string::npos) << set;

  auto pre = preflight("/api/workspaces/acme/events", kApp, "POST", "content-type, x-csrf-token");
  EXPECT_EQ(pre.status, 204) << pre.body;
  expect_credentialed_cors(pre, kApp);
  EXPECT_EQ(pre.header("Access-Control-Allow-Methods"), "POST");
  EXPECT_NE(pre.header("Access-Control-Allow-Headers").find("X-CSRF-Token"), std::string::npos);
  EXPECT_EQ(preflight("/api/auth/session", kApp, "GET", "").status, 204);

  auto posted = as(s, verb::post, "/api/workspaces/acme/events", kApp, R"({"id":"w1","type":"message.open"})");
  EXPECT_EQ(posted.status, 201) << posted.body;
  expect_credentialed_cors(posted, kApp);
  auto listed = as(s, verb::get, "/api/workspaces/acme/events", kApp);
  ASSERT_EQ(listed.status, 200) << listed.body;
  expect_credentialed_cors(listed, kApp);
  EXPECT_EQ(listed.json().at(0).at("type"), "message.open");
  auto session = as(s, verb::get, "/api/auth/session", kApp);
  expect_credentialed_cors(session, kApp);
  EXPECT_EQ(session.json().at("csrf_token"), s.csrf.c_str());
  // An error is readable too (a page can see why).
  auto missing = as(s, verb::get, "/api/workspaces/gamma/events", kApp);
  EXPECT_EQ(missing.status, 404);
  expect_credentialed_cors(missing, kApp);
  // The second named origin, http on a loopback host.
  expect_credentialed_cors(as(s, verb::get, "/api/workspaces/acme/events", "http://localhost:5173"),
                           "http://localhost:5173");
}

TEST_F(WebApp, OtherOriginsAndOtherRoutesGetNoCredentialedCors) {
  auto s = login(kApp);
  ASSERT_EQ(s.login.status, 200);
  for (const char* other : {"https://evil.example", "http://app.example.com", "https://app.example.com:8443"}) {
    EXPECT_EQ(login(other).login.status, 403) << other;
    auto pre = preflight("/api/workspaces/acme/events", other, "POST", "content-type, x-csrf-token");
    EXPECT_EQ(pre.status, 403) << other;
    expect_no_cors(pre);
    auto read = as(s, verb::get, "/api/workspaces/acme/events", other);
    EXPECT_EQ(read.status, 200) << "the answer is withheld by the browser, not by the server";
    expect_no_cors(read);
    auto write = as(s, verb::post, "/api/workspaces/acme/events", other, R"({"type":"forged"})");
    EXPECT_EQ(write.status, 403) << other;
    EXPECT_EQ(write.json().at("error").at("code"), "csrf_failed");
    expect_no_cors(write);
  }
  // The web app's origin is trusted on the workspace routes only: the native and organizational-
  // unit routes answer it as any other origin.
  for (const char* target : {"/v1/events", "/ingest"}) {
    auto pre = preflight(target, kApp, "POST", "content-type, x-csrf-token");
    EXPECT_EQ(pre.status, 403) << target;
    expect_no_cors(pre);
    auto write = as(s, verb::post, target, kApp, R"({"event":"forged"})");
    EXPECT_EQ(write.status, 403) << target << ": " << write.body;
    expect_no_cors(write);
  }
  expect_no_cors(as(s, verb::get, "/v1/events", kApp));
  auto c = client();
  EXPECT_EQ(test::count_events(c), 0);
}

TEST(WebAppFlag, RefusesOriginsAnAttackerOnTheWayCouldServe) {
  for (const char* bad : {"http://app.example.com", "https://app.example.com/path", "app.example.com", "ftp://x.example"}) {
    auto r = test::run_command({test::eventsd_binary(), "--data", "/nonexistent", "--console-origins", bad});
    EXPECT_EQ(r.status, 2) << bad << ": " << r.out;
  }
}

}  // namespace
}  // namespace eventsd

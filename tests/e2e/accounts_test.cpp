// eventctl's account commands against a running eventsd (docs/operations.md, "Tokens" and
// "Console users"): what an operator does in another process takes effect at once — a revoked
// publishable key stops, users made with a password read from stdin log in, revoked sessions and
// deleted users end — and a bad password is refused by the tool. What the server does with keys,
// users and sessions: tests/http/dialects/browser_access_test.cpp.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/e2e.h"

namespace eventsd {
namespace {

using test::E2E;
using test::HttpClient;

constexpr const char* kSite = "https://shop.example";
constexpr const char* kPassword = "correct horse battery staple";

test::RunResult eventctl_with_stdin(const std::string& input, const std::string& args) {
  return test::run_command({"/bin/sh", "-c", "printf '%s\\n' '" + input + "' | " + test::eventctl_binary() + " " + args});
}

int login(std::uint16_t port, const std::string& email, std::string* cookie = nullptr) {
  HttpClient c(port);
  auto r = c.request(boost::beast::http::verb::post, "/api/auth/login",
                     R"({"email":")" + email + R"(","password":")" + kPassword + "\"}", {{"Origin", "http://127.0.0.1"}});
  if (cookie) *cookie = r.header("Set-Cookie").substr(0, r.header("Set-Cookie").find(';'));
  return r.status;
}

TEST_F(E2E, ARevokedPublishableKeyStopsAtOnce) {
  const std::string data = dir_.path().string();
  auto created = test::run_command({test::eventctl_binary(), "token", "create", "--data", data, "--tenant", "acme",
                                    "--publishable", "--origins", kSite});
  ASSERT_EQ(created.status, 0) << created.out;
  const std::string key = created.out.substr(0, created.out.find('\n'));
  HttpClient c(server_->port());
  auto post = [&] { return c.request(boost::beast::http::verb::post, "/v1/events?key=" + key, R"({"event":"x"})",
                                     {{"Origin", kSite}}); };
  EXPECT_EQ(post().status, 201);
  auto list = test::run_command({test::eventctl_binary(), "token", "list", "--data", data});
  const auto line = list.out.find("publishable");
  ASSERT_NE(line, std::string::npos) << list.out;
  const std::string id = list.out.substr(list.out.rfind("tok_", line), 16);
  ASSERT_EQ(test::run_command({test::eventctl_binary(), "token", "revoke", "--data", data, id}).status, 0);
  EXPECT_EQ(post().status, 401);
}

// The console over plain http on this machine, as a developer runs it (tools/run.sh).
class ConsoleOnLoopback : public E2E {
 protected:
  std::vector<std::string> server_args() const override { return {"--console-http-loopback"}; }
};

TEST_F(ConsoleOnLoopback, ConsoleUsersMadeRevokedAndDeletedByEventctl) {
  const std::string data = dir_.path().string();
  ASSERT_EQ(eventctl_with_stdin(kPassword, "user create --data " + data + " --email Ada@Example.com --tenants acme,beta --role admin").status, 0);
  ASSERT_EQ(eventctl_with_stdin(kPassword, "user create --data " + data + " --email bob@example.com --tenants acme").status, 0);
  // Passwords are checked by the tool too: a short one is refused.
  EXPECT_EQ(eventctl_with_stdin("short", "user create --data " + data + " --email c@example.com --tenants acme").status, 2);
  std::string ada, bob;
  ASSERT_EQ(login(server_->port(), "ada@example.com", &ada), 200);
  ASSERT_EQ(login(server_->port(), "bob@example.com", &bob), 200);
  auto as = [&](const std::string& cookie) { return HttpClient(server_->port()).request(boost::beast::http::verb::get, "/v1/events", "", {{"Cookie", cookie}}).status; };
  EXPECT_EQ(as(ada), 200);
  auto r = test::run_command({test::eventctl_binary(), "user", "revoke-sessions", "--data", data, "--email", "ada@example.com"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(as(ada), 401);
  EXPECT_EQ(as(bob), 200);
  ASSERT_EQ(test::run_command({test::eventctl_binary(), "user", "delete", "--data", data, "--email", "bob@example.com"}).status, 0);
  EXPECT_EQ(as(bob), 401);
  EXPECT_EQ(login(server_->port(), "bob@example.com"), 401);
  EXPECT_EQ(login(server_->port(), "c@example.com"), 401);
}

}  // namespace
}  // namespace eventsd

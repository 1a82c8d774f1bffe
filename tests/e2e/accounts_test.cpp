// eventctl's account commands against a running eventsd (docs/operations.md, "Tokens" and
// "Console users"): what an operator does in another process takes effect at once — a revoked
// publishable key stops, users made with a password read from stdin log in, revoked sessions and
// deleted users end — and a bad password is refused by the tool. Open event streams end with the
// credential that opened them (docs/api.md, "Streams and revoked credentials"): a token revoked, a
// session logged out, a user taken off the tenant. What the server does with keys, users and
// sessions: tests/http/dialects/browser_access_test.cpp.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>

#include "accounts/tokens.h"
#include "tests/support/e2e.h"
#include "tests/support/eventually.h"
#include "tests/support/sse_client.h"

namespace eventsd {
namespace {

using test::E2E;
using test::HttpClient;

constexpr const char* kSite = "https://shop.example";
constexpr const char* kPassword = "correct horse battery staple";

test::RunResult eventctl_with_stdin(const std::string& input, const std::string& args) {
  return test::run_command({"/bin/sh", "-c", "printf '%s\\n' '" + input + "' | " + test::eventctl_binary() + " " + args});
}

int login(std::uint16_t port, const std::string& email, std::string* cookie = nullptr, std::string* csrf = nullptr) {
  HttpClient c(port);
  auto r = c.request(boost::beast::http::verb::post, "/api/auth/login",
                     R"({"email":")" + email + R"(","password":")" + kPassword + "\"}", {{"Origin", "http://127.0.0.1"}});
  if (cookie) *cookie = r.header("Set-Cookie").substr(0, r.header("Set-Cookie").find(';'));
  if (csrf && r.status == 200) *csrf = std::string(r.json().at("csrf_token").as_string());
  return r.status;
}

// The messages of a stream until the server ends it (a few seconds at most: a credential is asked
// again every second), or what came before the bound.
std::vector<test::SseMessage> until_ended(test::SseClient& stream) {
  std::vector<test::SseMessage> messages;
  test::eventually([&] {
    messages = stream.wait_for(SIZE_MAX, std::chrono::milliseconds(50));
    return stream.ended();
  }, std::chrono::seconds(5));
  return messages;
}

// The stream ended with `event: revoked`, its data the dialect's error body naming `reason`.
void expect_revoked(test::SseClient& stream, const std::string& reason, bool native = true) {
  const auto messages = until_ended(stream);
  ASSERT_TRUE(stream.ended()) << "the stream outlived its credential";
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back().event, "revoked");
  const auto data = boost::json::parse(messages.back().data);
  EXPECT_EQ(data.at("error").at("code"), reason.c_str()) << messages.back().data;
  EXPECT_EQ(data.as_object().contains("status"), native) << messages.back().data;
}

void ingest(std::uint16_t port, const std::string& token, const std::string& name) {
  ASSERT_EQ(HttpClient(port, token).post("/v1/events", R"({"event":")" + name + "\"}").status, 201);
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

TEST_F(E2E, StreamsOfARevokedTokenEndWithTheReason) {
  const std::string reader = token("acme", "events:read");
  test::SseClient native(server_->port(), reader, "/v1/events/stream");
  test::SseClient org_unit(server_->port(), reader, "/events/stream");
  test::SseClient other(server_->port(), token_, "/v1/events/stream");  // another token's: stays open
  ASSERT_EQ(native.status(), 200);
  ASSERT_EQ(org_unit.status(), 200);
  ingest(server_->port(), token_, "before");
  ASSERT_EQ(native.wait_for(1, std::chrono::seconds(5)).size(), 1u);

  EXPECT_EQ(client().del("/v1/tokens/" + TokenStore::id_of(reader), "").status, 200);
  EXPECT_EQ(client(reader).get("/v1/events").status, 401);
  expect_revoked(native, "token_revoked");
  expect_revoked(org_unit, "token_revoked", false);
  ingest(server_->port(), token_, "after");
  const auto rest = other.wait_for(2, std::chrono::seconds(5));
  EXPECT_FALSE(other.ended());
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_NE(rest[1].data.find("\"after\""), std::string::npos);
}

// The console over plain http on this machine, as a developer runs it (tools/run.sh).
class ConsoleOnLoopback : public E2E {
 protected:
  std::vector<std::string> server_args() const override { return {"--console-http-loopback"}; }
};

TEST_F(ConsoleOnLoopback, StreamsOfAnEndedSessionOrARemovedMemberEnd) {
  const std::string data = dir_.path().string();
  ASSERT_EQ(eventctl_with_stdin(kPassword, "user create --data " + data + " --email ada@example.com --tenants acme,beta")
                .status,
            0);
  std::string cookie, csrf, second;
  ASSERT_EQ(login(server_->port(), "ada@example.com", &cookie, &csrf), 200);
  ASSERT_EQ(login(server_->port(), "ada@example.com", &second), 200);
  test::SseClient logged_out(server_->port(), "/v1/events/stream", {{"Cookie", cookie}});
  test::SseClient removed(server_->port(), "/v1/events/stream", {{"Cookie", second}});
  ASSERT_EQ(logged_out.status(), 200);
  ASSERT_EQ(removed.status(), 200);

  // Logged out (in another tab): that session's stream ends, the other session's does not.
  auto out = HttpClient(server_->port()).request(boost::beast::http::verb::post, "/api/auth/logout", "{}",
      {{"Cookie", cookie}, {"Origin", "http://127.0.0.1"}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(out.status, 200) << out.body;
  expect_revoked(logged_out, "session_ended");
  ingest(server_->port(), token_, "still_read");
  ASSERT_EQ(removed.wait_for(1, std::chrono::seconds(5)).size(), 1u);
  EXPECT_FALSE(removed.ended());

  // The operator takes the user off the stream's tenant: the session lives on, the stream ends.
  auto r = test::run_command({test::eventctl_binary(), "user", "tenants", "--data", data, "--email", "ada@example.com",
                              "--tenants", "beta"});
  ASSERT_EQ(r.status, 0) << r.out;
  expect_revoked(removed, "access_removed");
}

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

// The native API over real HTTP against a real eventsd: what only a server and a process show —
// sockets, framing and limits, concurrent clients, crashes, a full disk, SIGTERM, eventctl beside
// it. Routing, validation and rendering: tests/http/dialects/native_test.cpp.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "tests/support/answers.h"
#include "tests/support/e2e.h"
#include "tests/support/eventually.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::E2E;
using test::HttpClient;
using test::count_events;
using test::expect_native_error;

TEST_F(E2E, AuthenticationAndScopes) {
  HttpClient anonymous(server_->port());
  expect_native_error(anonymous.get("/v1/events"), 401, "unauthorized");
  expect_native_error(client("eds_not_a_token").get("/v1/events"), 401, "unauthorized");
  auto malformed = anonymous.request(boost::beast::http::verb::get, "/v1/events", "",
                                     {{"Authorization", "Basic abc"}});
  expect_native_error(malformed, 401, "unauthorized");

  // Tokens created while the server runs work at once.
  auto reader = client(token("acme", "events:read"));
  auto writer = client(token("acme", "events:write"));
  expect_native_error(reader.post("/v1/events", R"({"event":"a"})"), 403, "insufficient_permissions");
  expect_native_error(reader.del("/v1/events/batch", R"({"event_ids":["x"]})"), 403, "insufficient_permissions");
  expect_native_error(writer.get("/v1/events"), 403, "insufficient_permissions");
  EXPECT_EQ(writer.post("/v1/events", R"({"event":"a"})").status, 201);
  EXPECT_EQ(reader.get("/v1/events").status, 200);

  // Revoked while the server runs: refused at once.
  auto list = test::run_command({test::eventctl_binary(), "token", "list", "--data", dir_.path().string()});
  ASSERT_EQ(list.status, 0);
  EXPECT_NE(list.out.find("acme"), std::string::npos);
  const std::string reader_token = token("acme", "events:read");
  auto revocable = client(reader_token);
  ASSERT_EQ(revocable.get("/v1/events").status, 200);
  std::string id;
  {
    std::istringstream lines(test::run_command({test::eventctl_binary(), "token", "list", "--data",
                                                dir_.path().string()}).out);
    for (std::string line; std::getline(lines, line);) id = line.substr(0, line.find('\t'));
  }
  ASSERT_EQ(test::run_command({test::eventctl_binary(), "token", "revoke", "--data",
                               dir_.path().string(), id}).status, 0);
  expect_native_error(revocable.get("/v1/events"), 401, "unauthorized");
  // Health needs no token.
  EXPECT_EQ(anonymous.get("/healthz").status, 200);
}

TEST_F(E2E, OversizedBodyIs413AndStoresNothing) {
  auto c = client();
  std::string huge = R"({"event":"a","data":{"k":")" + std::string(1024 * 1024, 'x') + R"("}})";
  auto r = c.post("/v1/events", huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().at("error").at("code"), "payload_too_large");
  EXPECT_EQ(count_events(c), 0);
}

TEST_F(E2E, OversizedHeaderIs431) {
  auto c = client();
  auto r = c.request(boost::beast::http::verb::get, "/v1/events", "",
                     {{"X-Padding", std::string(9000, 'h')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.json().at("error").at("code"), "header_too_large");
}

TEST_F(E2E, GarbageOnTheSocketClosesOnlyThatConnection) {
  auto c = client();
  ASSERT_EQ(c.get("/v1/events").status, 200);  // a keep-alive connection, open meanwhile
  const std::string answer = test::raw_exchange(server_->port(), "\x16\x03\x01 garbage\r\n\r\n\x00\x01 more");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("application/json"), std::string::npos);
  EXPECT_EQ(c.get("/v1/events").status, 200);
  EXPECT_EQ(HttpClient(server_->port(), token_).get("/v1/events").status, 200);
}

TEST_F(E2E, ExpectContinueGetsTheGoAheadBeforeTheBody) {
  // The client sends the header alone and waits for "100 Continue" before its body, as curl does
  // for larger bodies; a server that never answers it leaves the client waiting.
  const std::string body = R"({"event":"a"})";
  const std::string head = "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
                           "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  const std::string answer = test::raw_exchange_after(server_->port(), head, "HTTP/1.1 100 Continue\r\n\r\n", body);
  EXPECT_EQ(answer.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201", 0), 0u) << answer;
  auto c = client();
  EXPECT_EQ(count_events(c), 1);
  // A body over the limit is refused from its Content-Length, before it is sent.
  const std::string big = "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token_ +
                          "\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n";
  const std::string refused = test::raw_exchange(server_->port(), big);
  EXPECT_EQ(refused.rfind("HTTP/1.1 413", 0), 0u) << refused;
  EXPECT_NE(refused.find(R"("status":"error")"), std::string::npos) << refused;
}

TEST_F(E2E, Http10ClientsGetABodyEndedByClose) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[{"event":"a"},{"event":"b"}]})").status, 201);
  const std::string answer = test::raw_exchange(
      server_->port(), "GET /v1/events/export?format=jsonl HTTP/1.0\r\nAuthorization: Bearer " + token_ + "\r\n\r\n");
  ASSERT_EQ(answer.rfind("HTTP/1.0 200", 0), 0u) << answer;
  EXPECT_EQ(answer.find("chunked"), std::string::npos) << answer;
  const std::string body = answer.substr(answer.find("\r\n\r\n") + 4);
  EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 2) << body;
  EXPECT_EQ(body.front(), '{');
}

class SlowClients : public E2E {
  std::vector<std::string> server_args() const override { return {"--read-timeout-ms", "300"}; }
};

TEST_F(SlowClients, ASilentOrSlowClientIsDisconnected) {
  // Half a request and then silence: the server must hang up by itself.
  EXPECT_TRUE(test::server_hangs_up(server_->port(), "GET /v1/events HTTP/1.1\r\nHost: x\r\n"));
  // An idle keep-alive connection is closed the same way, and the server still serves.
  auto c = client();
  EXPECT_EQ(c.get("/v1/events").status, 200);
}

TEST_F(E2E, SixtyFourConcurrentWritersLoseNothing) {
  constexpr int kWriters = 64, kEach = 25;
  std::vector<std::vector<std::string>> acked(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      HttpClient c(server_->port(), token_);
      for (int i = 0; i < kEach; ++i) {
        auto r = c.post("/v1/events", R"({"event":"concurrent","contact_id":"ct_)" +
                                          std::to_string(w) + R"("})");
        if (r.status == 201) acked[w].push_back(std::string(r.json().at("ids").at(0).as_string()));
      }
    });
  }
  for (auto& t : threads) t.join();
  auto c = client();
  std::size_t total = 0;
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(acked[w].size(), static_cast<std::size_t>(kEach));
    total += acked[w].size();
    for (const auto& id : acked[w]) ASSERT_EQ(c.get("/v1/events/" + id).status, 200) << id;
  }
  EXPECT_EQ(count_events(c), static_cast<std::int64_t>(total));
}

TEST_F(E2E, AcknowledgedWritesSurviveKill9) {
  std::vector<std::string> acked;
  {
    auto c = client();
    for (int i = 0; i < 50; ++i) {
      auto r = c.post("/v1/events", R"({"batch":[{"event":"a"},{"event":"b"}]})");
      ASSERT_EQ(r.status, 201);
      const auto body = r.json();
      for (const auto& id : body.at("ids").as_array()) acked.emplace_back(id.as_string());
    }
  }
  server_->kill9();
  restart();
  auto c = client();
  for (const auto& id : acked) ASSERT_EQ(c.get("/v1/events/" + id).status, 200) << id;
  EXPECT_EQ(count_events(c), 100);
}

// A full disk: the server may not write its data file past 8 MiB. Writes are refused with 507
// storage_full and nothing of them is stored; reads go on; everything acknowledged is there after
// a restart without the limit.
TEST(StorageFull, RefusesWritesWith507AndLosesNothingAcknowledged) {
  test::TempDir dir;
  const std::string token = test::create_token(dir.path(), "acme", test::kAllScopes);
  std::vector<std::string> acked;
  int refused = 0;
  {
    test::ServerProcess server(dir.path(), {}, 8 << 20);
    HttpClient c(server.port(), token);
    const std::string pad(20'000, 'p');
    for (int i = 0; i < 2000 && refused < 3; ++i) {
      auto r = c.post("/v1/events", R"({"batch":[{"event":"a","data":{"pad":")" + pad + R"("}},{"event":"b"}]})");
      if (r.status == 201) {
        const auto body = r.json();
        for (const auto& id : body.at("ids").as_array()) acked.emplace_back(id.as_string());
        continue;
      }
      ASSERT_EQ(r.status, 507) << r.body;
      EXPECT_EQ(r.json().at("error").at("code"), "storage_full");
      ++refused;
    }
    ASSERT_EQ(refused, 3) << "the limit was never reached";
    EXPECT_EQ(c.get("/v1/events?limit=1").status, 200);
    EXPECT_EQ(count_events(c), static_cast<std::int64_t>(acked.size()));
    EXPECT_EQ(server.terminate(), 0);
  }
  test::ServerProcess server(dir.path());
  HttpClient c(server.port(), token);
  EXPECT_EQ(count_events(c), static_cast<std::int64_t>(acked.size()));
  for (std::size_t i = 0; i < acked.size(); i += 37) EXPECT_EQ(c.get("/v1/events/" + acked[i]).status, 200);
  EXPECT_EQ(c.post("/v1/events", R"({"event":"after"})").status, 201);
}

// The drain closes the acceptor while clients keep connecting, so while the server is starting
// its next accept: the server still exits cleanly (and under ThreadSanitizer, without a race
// between the two: docs/reliability.md, "Concurrency").
TEST_F(E2E, SigtermWhileClientsKeepConnectingExitsCleanly) {
  restart({"--threads", "4"});  // I/O threads beside the one accepting, to run the drain
  std::atomic<int> answered{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, port = server_->port()] {
      while (!stop) {
        try {
          HttpClient c(port);  // a connection of its own each time
          if (c.get("/healthz").status == 200) ++answered;
        } catch (const std::exception&) {
          return;  // refused or cut: the server has gone
        }
      }
    });
  }
  const bool busy = test::eventually([&] { return answered >= 50; });
  const int status = server_->terminate();
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_TRUE(busy);
  EXPECT_EQ(status, 0);
}

TEST_F(E2E, SigtermExitsCleanlyAndKeepsData) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"event":"before_stop"})").status, 201);
  EXPECT_EQ(server_->terminate(), 0);
  restart();
  auto again = client();
  EXPECT_EQ(count_events(again), 1);
}

}  // namespace
}  // namespace eventsd

// The read side over HTTP (docs/api.md, "Log positions and reading your writes"; docs/architecture.md): log positions on writes and
// min_position on reads, the rebuild route, an online rebuild under ingest, the maps under
// growth, and eventctl on directories that hold no data.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "eventlog/data_dir.h"
#include "projections/generations.h"
#include "tests/support/e2e.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::E2E;
using test::eventctl;
using test::HttpClient;

// A sample of GET /metrics (the value of the first line that starts with `name`).
double metric(HttpClient& c, const std::string& name) {
  const auto body = c.get("/metrics").body;
  const auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(body.substr(at + name.size() + 2));
}

TEST_F(E2E, WritesTellTheirPositionAndReadsCanWaitForIt) {
  auto c = client();
  auto r = c.post("/v1/events", R"({"id":"p1","event":"view"})");
  ASSERT_EQ(r.status, 201);
  const auto position = r.json().at("position").as_int64();
  EXPECT_GT(position, 0);
  EXPECT_EQ(r.header("Eventsd-Position"), std::to_string(position));
  auto d = c.del("/v1/events/batch", R"({"event_ids":["p1"]})");
  ASSERT_EQ(d.status, 200);
  EXPECT_GT(d.json().at("position").as_int64(), position);

  // Every GET route takes min_position.
  EXPECT_EQ(c.get("/v1/events?min_position=" + std::to_string(position)).status, 200);
  EXPECT_EQ(c.get("/events?min_position=" + std::to_string(position)).status, 200);
  EXPECT_EQ(c.get("/v1/events/stats?min_position=0").status, 200);
  // Beyond the log: nothing will ever reach it.
  auto beyond = c.get("/v1/events?min_position=999999");
  EXPECT_EQ(beyond.status, 400);
  EXPECT_EQ(beyond.json().at("error").at("field"), "min_position");
  EXPECT_EQ(c.get("/v1/events?min_position=abc").status, 400);
  EXPECT_EQ(c.get("/v1/events?min_position=-1").status, 400);

  auto health = client(operator_token()).get("/healthz").json();
  EXPECT_EQ(health.at("read_models"), "serving");
  EXPECT_EQ(health.at("log_position").as_int64(), d.json().at("position").as_int64());
  EXPECT_EQ(health.at("read_position").as_int64(), health.at("log_position").as_int64());
}

TEST_F(E2E, TheRebuildRouteFoldsANewGenerationWhileServing) {
  auto c = client();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(c.post("/v1/events", R"({"batch":[{"event":"view","contact_id":"ct_1"},{"event":"click"}]})").status, 201);
  }
  // What spans every tenant is the operator's: a tenant's admin may neither start nor watch it.
  for (const auto& tenant_token : {token_, token("acme", "events:read,events:write")}) {
    for (auto method : {boost::beast::http::verb::post, boost::beast::http::verb::get}) {
      auto refused = client(tenant_token).request(method, "/v1/admin/rebuild", "");
      EXPECT_EQ(refused.status, 403) << refused.body;
      EXPECT_NE(refused.body.find("operator scope"), std::string::npos) << refused.body;
    }
  }
  auto op = client(operator_token());
  auto started = op.post("/v1/admin/rebuild", "");
  ASSERT_EQ(started.status, 202) << started.body;
  const auto generation = started.json().at("rebuild").at("generation").as_int64();
  // An operator's token reads no tenant's data.
  EXPECT_EQ(op.get("/v1/events").status, 403);
  // Writes go on; once the new generation is served it holds them all.
  std::int64_t last = 0;
  for (int i = 0;; ++i) {
    auto w = c.post("/v1/events", R"({"event":"during"})");
    ASSERT_EQ(w.status, 201);
    last = w.json().at("position").as_int64();
    auto status = op.get("/v1/admin/rebuild").json();
    if (status.at("serving_generation") == generation) break;
    ASSERT_LT(i, 100'000) << "the rebuild never finished";
  }
  auto after = c.get("/v1/events?count_only=true&min_position=" + std::to_string(last)).json();
  EXPECT_EQ(after.at("count").as_int64(), 40 + (last - 20));
  EXPECT_EQ(eventctl({"verify", "--data", dir_.path().string()}).status, 0);
  EXPECT_EQ(metric(c, "eventsd_read_generation"), static_cast<double>(generation));
}

TEST_F(E2E, AnOnlineRebuildUnderIngestLosesNothing) {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto c = client();
      for (int i = 0; !stop || i < 50; ++i) {
        const std::string id = "w" + std::to_string(w) + "-" + std::to_string(i);
        auto r = c.post("/v1/events", R"({"id":")" + id + R"(","event":"view","contact_id":"ct_)" +
                                          std::to_string(i % 7) + R"("})");
        if (r.status != 201) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mutex);
        acknowledged.insert(id);
      }
    });
  }
  auto rebuilt = eventctl({"rebuild", "--data", dir_.path().string()});
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(rebuilt.status, 0);
  EXPECT_EQ(failures, 0);
  auto c = client();
  const auto health = client(operator_token()).get("/healthz").json();
  auto count = c.get("/v1/events?count_only=true&min_position=" + std::to_string(health.at("log_position").as_int64()));
  EXPECT_EQ(count.json().at("count").as_int64(), static_cast<std::int64_t>(acknowledged.size()));
  for (const auto& id : {*acknowledged.begin(), *acknowledged.rbegin()}) {
    EXPECT_EQ(c.get("/v1/events/" + id).status, 200) << id;
  }
  EXPECT_EQ(eventctl({"verify", "--data", dir_.path().string()}).status, 0);
}

TEST_F(E2E, MetricsAndScansStayServedWhileDataGrowsAndTheMapNeverMoves) {
  auto c = client();
  const double map_size = metric(c, "eventsd_lmdb_map_size_bytes{env=\"log\"}");
  ASSERT_GT(map_size, 0);
  std::atomic<bool> done{false};
  std::atomic<int> server_errors{0};
  std::thread readers([&] {
    auto r = client();
    while (!done) {
      for (const char* target : {"/metrics", "/v1/events?count_only=true&search=nomatch", "/v1/events/stats",
                                 "/v1/events?url_contains=zzz&limit=5"}) {
        if (r.get(target).status >= 500) ++server_errors;
      }
    }
  });
  // About 80 MiB of events: past several of the maps earlier versions started with.
  const std::string pad(8'000, 'p');
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 100; ++i) batch += std::string(i ? "," : "") + R"({"event":"grow","url":"https://g.example/x","data":{"pad":")" + pad + R"("}})";
  batch += "]}";
  for (int b = 0; b < 100; ++b) ASSERT_EQ(c.post("/v1/events", batch).status, 201);
  done = true;
  readers.join();
  EXPECT_EQ(server_errors, 0);
  EXPECT_EQ(metric(c, "eventsd_lmdb_map_size_bytes{env=\"log\"}"), map_size);
  EXPECT_GT(metric(c, "eventsd_lmdb_used_bytes{env=\"log\"}"), 64.0 * (1 << 20));
  EXPECT_EQ(c.get("/v1/events?count_only=true").json().at("count"), 10'000);
}

TEST(EventctlDirectories, AMistypedDirectoryIsRefusedAndNeverCreated) {
  test::TempDir dir;
  const auto typo = dir.path() / "typo";
  for (std::vector<std::string> args : {std::vector<std::string>{"dump"}, {"verify"}, {"audit", "--event", "x"},
                                        {"rebuild"}, {"token", "list"}, {"token", "revoke", "tok_x"},
                                        {"token", "create", "--tenant", "t", "--scopes", "events:read"}}) {
    const bool token = args[0] == "token";
    std::vector<std::string> full = args;
    full.insert(full.begin() + (token ? 2 : 1), {"--data", typo.string()});
    auto r = eventctl(full);
    EXPECT_EQ(r.status, 2) << args[0] << " " << (args.size() > 1 ? args[1] : "");
    EXPECT_FALSE(std::filesystem::exists(typo)) << args[0];
  }
  // Asked to, token create makes the directory.
  EXPECT_EQ(eventctl({"token", "create", "--data", typo.string(), "--tenant", "t", "--scopes", "events:read", "--create"}).status, 0);
  EXPECT_TRUE(data_dir::holds_data(typo));
}

TEST_F(E2E, ReadingToolsLeaveTheLiveDirectoryAsItIs) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"id":"x","event":"view"})").status, 201);
  const auto log = data_dir::log_dir(dir_.path()) / "data.mdb";
  const auto size = std::filesystem::file_size(log);
  const auto written = std::filesystem::last_write_time(log);
  EXPECT_EQ(eventctl({"dump", "--data", dir_.path().string()}).status, 0);
  EXPECT_EQ(eventctl({"audit", "--data", dir_.path().string(), "--event", "x"}).status, 0);
  EXPECT_EQ(eventctl({"token", "list", "--data", dir_.path().string()}).status, 0);
  EXPECT_EQ(eventctl({"verify", "--data", dir_.path().string()}).status, 0);
  EXPECT_EQ(std::filesystem::file_size(log), size);
  EXPECT_EQ(std::filesystem::last_write_time(log), written);
}

}  // namespace
}  // namespace eventsd

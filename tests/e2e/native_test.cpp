// The native API over real HTTP against a real eventsd (API.md §1-3).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>
#include <thread>

#include "tests/support/bad_inputs.h"
#include "tests/support/e2e.h"

namespace eventsd {
namespace {

namespace json = boost::json;
using test::E2E;
using test::HttpClient;

std::int64_t count(HttpClient& c, const std::string& query = "") {
  auto r = c.get("/v1/events?count_only=true" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json().at("count").as_int64();
}

void expect_error(const test::HttpResponse& r, int status, const std::string& code,
                  const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  auto v = r.json();
  ASSERT_TRUE(v.is_object()) << r.body;
  EXPECT_EQ(v.at("status"), "error") << r.body;
  EXPECT_EQ(v.at("error").at("code"), code.c_str()) << r.body;
  if (!field.empty()) {
    ASSERT_TRUE(v.at("error").as_object().contains("field")) << r.body;
    EXPECT_EQ(v.at("error").at("field"), field.c_str()) << r.body;
  }
}

TEST_F(E2E, IngestListGetDelete) {
  auto c = client();
  auto r = c.post("/v1/events", R"({"event":"page_view","url":"https://Example.com/pricing",
      "contact_id":"ct_abc","timestamp":"2026-04-29T11:23:45Z","data":{"title":"Pricing"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = std::string(r.json().at("ids").at(0).as_string());
  EXPECT_EQ(id.rfind("evt_", 0), 0u);

  auto list = c.get("/v1/events").json();
  EXPECT_EQ(list.at("status"), "success");
  ASSERT_EQ(list.at("events").as_array().size(), 1u);
  const auto& e = list.at("events").at(0);
  EXPECT_EQ(e.at("_id"), id.c_str());
  EXPECT_EQ(e.at("event"), "page_view");
  EXPECT_EQ(e.at("timestamp"), "2026-04-29T11:23:45.000Z");
  EXPECT_EQ(e.at("url"), "https://Example.com/pricing");
  EXPECT_EQ(e.at("domain"), "example.com");
  EXPECT_EQ(e.at("data"), json::parse(R"({"title":"Pricing"})"));
  EXPECT_EQ(e.at("internal_contact_id"), "ct_abc");
  EXPECT_TRUE(e.at("suppression_reason").is_null());
  EXPECT_TRUE(e.at("original_contact_id").is_null());
  std::set<std::string> keys;
  for (const auto& kv : e.as_object()) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"_id", "event", "timestamp", "url", "domain", "data",
                                         "internal_contact_id", "contact", "company",
                                         "suppression_reason", "original_contact_id"}));
  auto pagination = list.at("pagination");
  EXPECT_EQ(pagination.at("page"), 1);
  EXPECT_EQ(pagination.at("limit"), 20);
  EXPECT_EQ(pagination.at("total_pages"), 1);
  EXPECT_EQ(pagination.at("total_items"), 1);

  auto one = c.get("/v1/events/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.json().at("event").at("_id"), id.c_str());

  auto summary = c.get("/v1/events?fields=summary").json().at("events").at(0);
  std::set<std::string> summary_keys;
  for (const auto& kv : summary.as_object()) summary_keys.insert(std::string(kv.key()));
  EXPECT_EQ(summary_keys, (std::set<std::string>{"id", "event", "timestamp", "url", "contact_id"}));
  EXPECT_EQ(summary.at("contact_id"), "ct_abc");

  auto del = c.del("/v1/events/batch", R"({"event_ids":[")" + id + R"(","evt_missing"]})");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json().at("deleted"), 1);
  EXPECT_EQ(del.json().at("not_found"), json::parse(R"(["evt_missing"])"));
  expect_error(c.get("/v1/events/" + id), 404, "event_not_found");
  EXPECT_EQ(count(c), 0);
  // The other spelling of the route.
  auto again = c.del("/events/batch", R"({"event_ids":[")" + id + R"("]})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json().at("deleted"), 0);
}

TEST_F(E2E, PaginationTotalsAndFilters) {
  auto c = client();
  std::string batch = R"({"batch":[)";
  for (int i = 0; i < 45; ++i) {
    batch += std::string(i ? "," : "") + R"({"event":")" + (i % 3 ? "view" : "click") +
             R"(","contact_id":"ct_)" + std::to_string(i % 5) + R"(","timestamp":"2026-01-01T00:00:)" +
             (i < 10 ? "0" : "") + std::to_string(i) + R"(Z"})";
  }
  batch += "]}";
  ASSERT_EQ(c.post("/v1/events", batch).status, 201);

  std::set<std::string> seen;
  for (int page = 1; page <= 3; ++page) {
    auto r = c.get("/v1/events?limit=20&page=" + std::to_string(page)).json();
    EXPECT_EQ(r.at("pagination").at("total_items"), 45);
    EXPECT_EQ(r.at("pagination").at("total_pages"), 3);
    const auto& events = r.at("events").as_array();
    EXPECT_EQ(events.size(), page < 3 ? 20u : 5u);
    for (const auto& e : events) EXPECT_TRUE(seen.insert(std::string(e.at("_id").as_string())).second);
  }
  EXPECT_EQ(seen.size(), 45u);
  auto beyond = c.get("/v1/events?limit=20&page=4").json();
  EXPECT_TRUE(beyond.at("events").as_array().empty());

  auto first = c.get("/v1/events?limit=1").json().at("events").at(0);
  EXPECT_EQ(first.at("timestamp"), "2026-01-01T00:00:44.000Z");
  auto oldest = c.get("/v1/events?limit=1&sort_dir=asc").json().at("events").at(0);
  EXPECT_EQ(oldest.at("timestamp"), "2026-01-01T00:00:00.000Z");

  EXPECT_EQ(count(c, "&event_type=click"), 15);
  EXPECT_EQ(count(c, "&contact_id=ct_1"), 9);
  EXPECT_EQ(count(c, "&contact_id=ct_1&event_type=view"), 6);
  auto typed = c.get("/v1/events?event_type=click&limit=100").json();
  EXPECT_EQ(typed.at("pagination").at("total_items"), 15);
  for (const auto& e : typed.at("events").as_array()) EXPECT_EQ(e.at("event"), "click");
  EXPECT_EQ(count(c, "&event_type=nothing"), 0);
}

TEST_F(E2E, AuthenticationAndScopes) {
  HttpClient anonymous(server_->port());
  expect_error(anonymous.get("/v1/events"), 401, "unauthorized");
  expect_error(client("eds_not_a_token").get("/v1/events"), 401, "unauthorized");
  auto malformed = anonymous.request(boost::beast::http::verb::get, "/v1/events", "",
                                     {{"Authorization", "Basic abc"}});
  expect_error(malformed, 401, "unauthorized");

  // Tokens created while the server runs work at once.
  auto reader = client(token("acme", "events:read"));
  auto writer = client(token("acme", "events:write"));
  expect_error(reader.post("/v1/events", R"({"event":"a"})"), 403, "insufficient_permissions");
  expect_error(reader.del("/v1/events/batch", R"({"event_ids":["x"]})"), 403, "insufficient_permissions");
  expect_error(writer.get("/v1/events"), 403, "insufficient_permissions");
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
  expect_error(revocable.get("/v1/events"), 401, "unauthorized");
  // Health needs no token.
  EXPECT_EQ(anonymous.get("/healthz").status, 200);
}

TEST_F(E2E, TenantsNeverSeeEachOther) {
  auto acme = client();
  auto globex = client(token("globex"));
  auto r = acme.post("/v1/events", R"({"id":"shared-id","event":"secret","contact_id":"ct_1"})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(count(globex), 0);
  EXPECT_TRUE(globex.get("/v1/events").json().at("events").as_array().empty());
  EXPECT_EQ(globex.get("/v1/events/shared-id").status, 404);
  EXPECT_EQ(count(globex, "&contact_id=ct_1"), 0);
  auto del = globex.del("/v1/events/batch", R"({"event_ids":["shared-id"]})");
  EXPECT_EQ(del.json().at("deleted"), 0);
  EXPECT_EQ(count(acme), 1);
  // The same client id in another tenant is a separate event.
  ASSERT_EQ(globex.post("/v1/events", R"({"id":"shared-id","event":"other"})").status, 201);
  EXPECT_EQ(acme.get("/v1/events/shared-id").json().at("event").at("event"), "secret");
  EXPECT_EQ(globex.get("/v1/events/shared-id").json().at("event").at("event"), "other");
}

TEST_F(E2E, EveryBadInputIsA400AndStoresNothing) {
  auto c = client();
  for (const auto& bad : test::bad_ingest_bodies()) {
    auto r = c.post("/v1/events", bad.body);
    expect_error(r, 400, "invalid_request", bad.field);
  }
  expect_error(c.post("/v1/events", R"({"event":)"), 400, "invalid_request");
  expect_error(c.post("/v1/events", ""), 400, "invalid_request");
  expect_error(c.post("/v1/events", "\xff\xfe"), 400, "invalid_request");
  EXPECT_EQ(count(c), 0);
}

TEST_F(E2E, EveryBadQueryParameterIsA400NamingIt) {
  auto c = client();
  const std::pair<std::string, std::string> cases[] = {
      {"limit=0", "limit"},          {"limit=101", "limit"},        {"limit=ten", "limit"},
      {"page=0", "page"},            {"page=-1", "page"},           {"sort_by=name", "sort_by"},
      {"sort_dir=up", "sort_dir"},   {"range=last_year", "range"},  {"date_after=soon", "date_after"},
      {"date_before=2026-13-01", "date_before"},                    {"count_only=maybe", "count_only"},
      {"identified_only=yes", "identified_only"},                   {"fields=all", "fields"},
      {"suppressed=some", "suppressed"},                            {"colour=red", "colour"},
      {"limit=5&limit=6", "limit"},  {"cursor=abc", "cursor"},      {"limit=20.5", "limit"},
      {"page=2&cursor=abc", "cursor"},
  };
  for (const auto& [query, field] : cases) {
    SCOPED_TRACE(query);
    expect_error(c.get("/v1/events?" + query), 400, "invalid_request", field);
  }
}

TEST_F(E2E, OversizedBodyIs413AndStoresNothing) {
  auto c = client();
  std::string huge = R"({"event":"a","data":{"k":")" + std::string(1024 * 1024, 'x') + R"("}})";
  auto r = c.post("/v1/events", huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().at("error").at("code"), "payload_too_large");
  EXPECT_EQ(count(c), 0);
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

TEST_F(E2E, OverlongPathIdsAreUnknownIds) {
  auto c = client();
  const std::string long_id(600, 'a');
  expect_error(c.get("/v1/events/" + long_id), 404, "event_not_found");
  expect_error(c.get("/v1/audit/events/" + long_id), 404, "event_not_found");
  expect_error(c.get("/v1/contacts/" + long_id), 404, "not_found");
  auto campaign = c.get("/v1/campaigns/" + long_id + "/events");
  EXPECT_EQ(campaign.status, 404);
  EXPECT_EQ(campaign.json().at("error").at("code"), "campaign_not_found");
  auto lead = c.get("/leads/" + long_id + "/events");
  EXPECT_EQ(lead.status, 400);
  EXPECT_EQ(lead.json().at("error").at("field"), "lead_id");
}

TEST_F(E2E, BearerSchemeInAnyCaseAndChallengeOn401) {
  auto c = client();
  for (const std::string scheme : {"Bearer ", "bearer ", "BEARER ", "Bearer\t  "}) {
    SCOPED_TRACE(scheme);
    HttpClient anonymous(server_->port());
    auto r = anonymous.request(boost::beast::http::verb::get, "/v1/events", "", {{"Authorization", scheme + token_}});
    EXPECT_EQ(r.status, 200);
  }
  HttpClient anonymous(server_->port());
  auto r = anonymous.get("/v1/events");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
  auto glued = anonymous.request(boost::beast::http::verb::get, "/v1/events", "", {{"Authorization", "Bearer" + token_}});
  EXPECT_EQ(glued.status, 401);
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
  EXPECT_EQ(count(c), 1);
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

TEST_F(E2E, RoutesAndMethodsAnswerJson) {
  auto c = client();
  auto r = c.get("/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().at("error").at("code"), "not_found");
  auto m = c.request(boost::beast::http::verb::patch, "/v1/events");
  EXPECT_EQ(m.status, 405);
  EXPECT_NE(m.header("Allow").find("GET"), std::string::npos);
  EXPECT_EQ(m.json().at("error").at("code"), "method_not_allowed");
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
  EXPECT_EQ(count(c), static_cast<std::int64_t>(total));
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
  EXPECT_EQ(count(c), 100);
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
    EXPECT_EQ(count(c), static_cast<std::int64_t>(acked.size()));
    EXPECT_EQ(server.terminate(), 0);
  }
  test::ServerProcess server(dir.path());
  HttpClient c(server.port(), token);
  EXPECT_EQ(count(c), static_cast<std::int64_t>(acked.size()));
  for (std::size_t i = 0; i < acked.size(); i += 37) EXPECT_EQ(c.get("/v1/events/" + acked[i]).status, 200);
  EXPECT_EQ(c.post("/v1/events", R"({"event":"after"})").status, 201);
}

TEST_F(E2E, SigtermExitsCleanlyAndKeepsData) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"event":"before_stop"})").status, 201);
  EXPECT_EQ(server_->terminate(), 0);
  restart();
  auto again = client();
  EXPECT_EQ(count(again), 1);
}

}  // namespace
}  // namespace eventsd

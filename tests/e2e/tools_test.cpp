// Operating eventsd (docs/operations.md; docs/api.md, "Streams, export, audit"): replay and verify, audit, dump and import, the event stream,
// export.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "eventlog/data_dir.h"
#include "eventlog/keys.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/generations.h"
#include "tests/support/e2e.h"
#include "tests/support/eventually.h"
#include "tests/support/lines.h"
#include "tests/support/sse_client.h"
#include "tests/support/tamper.h"

namespace eventsd {
namespace {

using test::eventually;

namespace json = boost::json;
using test::E2E;
using test::eventctl;
using test::HttpClient;
using test::nonempty_lines;

class Tools : public E2E {
 protected:
  // The history below is months old: keep the campaign retention from purging it on restarts.
  std::vector<std::string> server_args() const override { return {"--campaign-retention-days", "0"}; }
  // A history with every kind of fact.
  void populate() {
    auto c = client();
    ASSERT_EQ(c.put("/v1/scoring/rules", R"({"rules":[{"event":"view","points":2}]})").status, 200);
    ASSERT_EQ(c.put("/v1/suppression/rules", R"({"rules":[
        {"kind":"velocity","max_events":3,"window_seconds":60,"keep_first":true},
        {"kind":"metadata","key":"bot","equals":true}]})").status, 200);
    std::string batch = R"({"batch":[)";
    for (int i = 0; i < 40; ++i) {
      batch += std::string(i ? "," : "") + R"({"id":"e)" + std::to_string(i) + R"(","event":")" +
               (i % 3 ? "view" : "click") + R"(","contact_id":"ct_)" + std::to_string(i % 5) +
               R"(","url":"https://d)" + std::to_string(i % 2) + R"(.com/x","timestamp":"2026-02-01T10:00:)" +
               (i < 10 ? "0" : "") + std::to_string(i) + R"(Z","data":{"bot":)" + (i % 7 ? "false" : "true") +
               R"(,"note":"a, \"quoted\"\nline"},"campaign_id":"cmp_1"})";
    }
    ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);
    ASSERT_EQ(c.put("/v1/contacts/ct_1", R"({"firstname":"Ada","company":{"name":"AE","domain":"d1.com"}})").status, 200);
    ASSERT_EQ(c.post("/v1/contacts/merge", R"({"from":"ct_2","into":"ct_3"})").status, 200);
    ASSERT_EQ(c.del("/v1/events/batch", R"({"event_ids":["e5","e6"]})").status, 200);
    ASSERT_EQ(c.post("/v1/events", R"({"id":"late","event":"view","contact_id":"ct_2"})").status, 201);
    // A page's event with the same id, from a publishable key: another event, "browser~late".
    auto key = eventctl({"token", "create", "--data", dir_.path().string(), "--tenant", "acme", "--publishable",
                         "--origins", "https://shop.example"});
    ASSERT_EQ(key.status, 0);
    auto page = HttpClient(server_->port()).request(boost::beast::http::verb::post,
        "/v1/events?key=" + key.out.substr(0, key.out.find('\n')), R"({"id":"late","event":"page_view"})",
        {{"Origin", "https://shop.example"}});
    ASSERT_EQ(page.status, 201) << page.body;
    ASSERT_EQ(page.json().at("ids").at(0), "browser~late");
  }

  // What clients see, to compare before and after.
  std::string answers(HttpClient& c) {
    std::string out;
    for (const char* q : {"/v1/events?limit=100&sort_dir=asc", "/v1/events/stats", "/v1/events/types",
                          "/v1/contacts/ct_3", "/v1/contacts/ct_1", "/v1/suppression/stats",
                          "/v1/events?count_only=true&suppressed=only", "/events?limit=100",
                          "/v1/campaigns/cmp_1/events?per_page=100"}) {
      auto r = c.get(q);
      out += std::string(q) + " " + std::to_string(r.status) + " " + r.body + "\n";
    }
    return out;
  }
};

TEST_F(Tools, ReplayAndVerifyReproduceTheLiveReadModels) {
  populate();
  auto c = client();
  const std::string before = answers(c);
  const std::string data = dir_.path().string();
  const auto read_dir = data_dir::read_dir(dir_.path());
  const auto first = generations::current(read_dir);
  ASSERT_TRUE(first);
  // Beside the running server: verify, and a rebuild that the server adopts.
  EXPECT_EQ(eventctl({"verify", "--data", data}).status, 0);
  EXPECT_EQ(eventctl({"rebuild", "--data", data}).status, 0);
  const auto second = generations::current(read_dir);
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first);
  // The old generation goes with its last reader, on the server's flush thread: soon, not at once.
  EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(generations::dir_of(read_dir, *first)); }))
      << "the old generation is removed";
  EXPECT_EQ(answers(c), before);
  EXPECT_EQ(eventctl({"verify", "--data", data}).status, 0);
  // With the server stopped, the tool switches by itself (`replay` is the same command).
  ASSERT_EQ(server_->terminate(), 0);
  EXPECT_EQ(eventctl({"replay", "--data", data}).status, 0);
  EXPECT_GT(*generations::current(read_dir), *second);
  EXPECT_EQ(eventctl({"verify", "--data", data}).status, 0);
  restart(server_args());
  auto after = client();
  EXPECT_EQ(answers(after), before);
}

TEST_F(Tools, VerifyDetectsAFlippedLogByteAndAChangedReadModelRow) {
  populate();
  ASSERT_EQ(server_->terminate(), 0);
  const std::string data = dir_.path().string();
  std::string original;
  const auto log_dir = data_dir::log_dir(dir_.path());
  {
    Store store(log_dir);
    Log log(store);
    store.write([&](lmdb::Txn& txn) {
      std::string_view bytes;
      ASSERT_TRUE(log.read(txn, 3, bytes));
      original = std::string(bytes);
      std::string flipped = original;
      flipped[flipped.size() / 2] ^= 0x20;
      txn.put(log.db(), keys::native_u64(3), flipped);
    });
  }
  auto broken = eventctl({"verify", "--data", data});
  EXPECT_EQ(broken.status, 3);
  {
    Store store(log_dir);
    Log log(store);
    store.write([&](lmdb::Txn& txn) { txn.put(log.db(), keys::native_u64(3), original); });
  }
  EXPECT_EQ(eventctl({"verify", "--data", data}).status, 0);
  // A write-model row changed behind the log's back: an alias.
  {
    Store store(log_dir);
    const MDB_dbi aliases = store.db("wm_aliases");
    std::string key, value;
    store.write([&](lmdb::Txn& txn) {
      lmdb::Cursor cursor(txn, aliases);
      ASSERT_TRUE(cursor.first());
      key = cursor.key();
      value = cursor.value();
      txn.put(aliases, key, "someone_else");
    });
    EXPECT_EQ(eventctl({"verify", "--data", data}).status, 4);
    store.write([&](lmdb::Txn& txn) { txn.put(aliases, key, value); });
  }
  {
    // A read model row changed behind the log's back: a counter.
    const auto read_dir = data_dir::read_dir(dir_.path());
    test::flip_a_counter(generations::dir_of(read_dir, *generations::current(read_dir)));
  }
  EXPECT_EQ(eventctl({"verify", "--data", data}).status, 4);
  EXPECT_EQ(eventctl({"replay", "--data", data}).status, 0);
  EXPECT_EQ(eventctl({"verify", "--data", data}).status, 0);
}

TEST_F(E2E, AuditShowsIngestMergeAndDeleteOfOneEventInOrder) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"batch":[{"id":"x1","event":"view","contact_id":"a"},{"id":"x2","event":"view"}]})").status, 201);
  ASSERT_EQ(c.post("/v1/contacts/merge", R"({"from":"a","into":"b"})").status, 200);
  ASSERT_EQ(c.del("/v1/events/batch", R"({"event_ids":["x1"]})").status, 200);

  auto kinds = [](const std::vector<std::string>& records) {
    std::vector<std::string> out;
    std::int64_t last = 0;
    for (const auto& r : records) {
      auto v = json::parse(r);
      EXPECT_GT(v.at("position").as_int64(), last) << "oldest first";
      last = v.at("position").as_int64();
      out.emplace_back(v.at("kind").as_string());
    }
    return out;
  };
  const std::vector<std::string> expected{"events_ingested", "contacts_merged", "events_deleted"};
  auto cli = eventctl({"audit", "--data", dir_.path().string(), "--event", "x1"});
  ASSERT_EQ(cli.status, 0);
  const auto records = nonempty_lines(cli.out);
  EXPECT_EQ(kinds(records), expected);
  // The ingest record shows this event only, and says how many the record held.
  auto first = json::parse(records.at(0));
  EXPECT_EQ(first.at("fact").at("events").as_array().size(), 1u);
  EXPECT_EQ(first.at("fact").at("events_in_record"), 2);
  EXPECT_EQ(first.at("fact").at("events").at(0).at("contact_id"), "a");
  EXPECT_EQ(json::parse(records.at(1)).at("fact").at("into"), "b");

  auto http = c.get("/v1/audit/events/x1");
  ASSERT_EQ(http.status, 200) << http.body;
  std::vector<std::string> from_http;
  const auto history = http.json();
  for (const auto& r : history.at("history").as_array()) from_http.push_back(json::serialize(r));
  EXPECT_EQ(kinds(from_http), expected);
  EXPECT_EQ(c.get("/v1/audit/events/nope").status, 404);
  EXPECT_EQ(client(token("acme", "events:read")).get("/v1/audit/events/x1").status, 403);
  EXPECT_EQ(client(token("other")).get("/v1/audit/events/x1").status, 404);

  auto contact = eventctl({"audit", "--data", dir_.path().string(), "--contact", "a"});
  ASSERT_EQ(contact.status, 0);
  EXPECT_EQ(kinds(nonempty_lines(contact.out)), (std::vector<std::string>{"events_ingested", "contacts_merged"}));
  EXPECT_EQ(eventctl({"audit", "--data", dir_.path().string(), "--event", "never"}).status, 1);
  EXPECT_EQ(eventctl({"audit", "--data", dir_.path().string()}).status, 2);

  // An id used again after its deletion: both events' histories, in log order.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"x1","event":"again"})").status, 201);
  ASSERT_EQ(c.post("/v1/events", R"({"id":"x3","event":"other"})").status, 201);
  auto reused = c.get("/v1/audit/events/x1");
  ASSERT_EQ(reused.status, 200);
  std::vector<std::string> reused_records;
  const auto reused_history = reused.json();
  for (const auto& r : reused_history.at("history").as_array()) reused_records.push_back(json::serialize(r));
  EXPECT_EQ(kinds(reused_records),
            (std::vector<std::string>{"events_ingested", "contacts_merged", "events_deleted", "events_ingested"}));
  EXPECT_EQ(json::parse(reused_records.back()).at("fact").at("events").at(0).at("event"), "again");
  // An event nothing changed still has its ingestion.
  auto untouched = eventctl({"audit", "--data", dir_.path().string(), "--event", "x2"});
  ASSERT_EQ(untouched.status, 0);
  EXPECT_EQ(kinds(nonempty_lines(untouched.out)), std::vector<std::string>{"events_ingested"});
}

TEST_F(Tools, DumpThenImportReproducesTheSameAnswers) {
  populate();
  auto c = client();
  const std::string before = answers(c);
  auto dump = eventctl({"dump", "--data", dir_.path().string()});
  ASSERT_EQ(dump.status, 0);
  const auto records = nonempty_lines(dump.out);
  ASSERT_GE(records.size(), 7u);
  EXPECT_EQ(json::parse(records[0]).at("position"), 1);
  EXPECT_EQ(eventctl({"dump", "--data", dir_.path().string(), "--from", "3"}).out.find("\"position\":1,"), std::string::npos);

  test::TempDir other;
  const auto file = other.path() / "dump.jsonl";
  std::ofstream(file) << dump.out;
  const auto target = other.path() / "data";
  EXPECT_EQ(eventctl({"import", "--data", target.string(), file.string()}).status, 2)
      << "a directory that holds no data is made only when asked";
  auto imported = eventctl({"import", "--data", target.string(), "--create", file.string()});
  ASSERT_EQ(imported.status, 0);
  test::ServerProcess server(target, {"--campaign-retention-days", "0"});
  HttpClient b(server.port(), test::create_token(target, "acme", test::kAllScopes));
  // The server folds the imported log into its first read models while it already serves.
  const auto health = HttpClient(server.port(), test::create_operator_token(target)).get("/healthz").json();
  const auto head = health.at("log_position").as_int64();
  EXPECT_GT(head, 0);
  EXPECT_EQ(b.get("/v1/events?limit=1&min_position=" + std::to_string(head)).status, 200);
  EXPECT_EQ(answers(b), before);

  // Invalid lines are reported, and nothing is imported.
  std::ofstream(other.path() / "bad.jsonl") << R"({"event":"ok"})" << "\n" << R"({"event":""})" << "\n";
  auto bad = eventctl({"import", "--data", (other.path() / "fresh").string(), "--tenant", "t",
                       (other.path() / "bad.jsonl").string()});
  EXPECT_EQ(bad.status, 1);
  EXPECT_FALSE(std::filesystem::exists(other.path() / "fresh"));
}

TEST_F(E2E, StreamDeliversLiveEventsAndResumesAcrossARestart) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", R"({"id":"before","event":"view"})").status, 201);
  std::string last_id;
  {
    test::SseClient stream(server_->port(), token_, "/v1/events/stream");
    ASSERT_EQ(stream.status(), 200);
    // Only what is committed after the stream opened, and only this tenant's.
    ASSERT_EQ(client(token("other")).post("/v1/events", R"({"event":"theirs"})").status, 201);
    ASSERT_EQ(c.post("/v1/events", R"({"batch":[{"id":"s1","event":"view"},{"id":"s2","event":"click"}]})").status, 201);
    ASSERT_EQ(c.post("/v1/events", R"({"id":"s3","event":"view"})").status, 201);
    auto messages = stream.wait_for(2, std::chrono::seconds(10));
    ASSERT_EQ(messages.size(), 2u);
    auto first = json::parse(messages[0].data);
    EXPECT_EQ(first.at("events").as_array().size(), 2u);
    EXPECT_EQ(first.at("events").at(0).at("_id"), "s1");
    EXPECT_EQ(first.at("position"), std::stoll(messages[0].id));
    EXPECT_EQ(json::parse(messages[1].data).at("events").at(0).at("_id"), "s3");
    last_id = messages[1].id;
  }
  // Written while nobody listens, across a restart.
  ASSERT_EQ(c.post("/v1/events", R"({"id":"s4","event":"view"})").status, 201);
  restart();
  auto c2 = client();
  ASSERT_EQ(c2.post("/v1/events", R"({"id":"s5","event":"click"})").status, 201);
  test::SseClient resumed(server_->port(), token_, "/v1/events/stream", last_id);
  auto messages = resumed.wait_for(2, std::chrono::seconds(10));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(json::parse(messages[0].data).at("events").at(0).at("_id"), "s4");
  EXPECT_EQ(json::parse(messages[1].data).at("events").at(0).at("_id"), "s5");
  // A position beyond the log is a client error, not a silent wait.
  auto beyond = c2.request(boost::beast::http::verb::get, "/v1/events/stream", "", {{"Last-Event-ID", "999999"}});
  EXPECT_EQ(beyond.status, 400);
  EXPECT_EQ(beyond.json().at("error").at("field"), "Last-Event-ID");
  // Filtered by type.
  test::SseClient views(server_->port(), token_, "/v1/events/stream?event_type=click", "0");
  auto clicks = views.wait_for(2, std::chrono::seconds(10));
  ASSERT_EQ(clicks.size(), 2u);
  EXPECT_EQ(json::parse(clicks[0].data).at("events").as_array().size(), 1u);
  EXPECT_EQ(json::parse(clicks[0].data).at("events").at(0).at("_id"), "s2");
  EXPECT_EQ(json::parse(clicks[1].data).at("events").at(0).at("_id"), "s5");
  // The server ends streams when it drains, and exits cleanly.
  EXPECT_EQ(server_->terminate(), 0);
  views.wait_for(3, std::chrono::seconds(10));
  EXPECT_TRUE(views.ended());
}

// Anonymous resident memory of a process (heap, not the LMDB file pages it maps).
std::int64_t rss_anon_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoll(line.substr(8));
  }
  return -1;
}

// RFC 4180 rows (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back().push_back('"');
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        rows.back().back().push_back(ch);
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      rows.back().emplace_back();
    } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      rows.emplace_back(1);
    } else {
      rows.back().back().push_back(ch);
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

// One I/O thread, so that both exports run on the thread whose allocator caches the first one
// warmed (a second thread's caches would count as growth).
class ExportMemory : public E2E {
 protected:
  std::vector<std::string> server_args() const override { return {"--threads", "1"}; }

  // The export's body and the highest anonymous resident memory of the server while it ran.
  std::pair<test::HttpResponse, std::int64_t> export_with_peak(HttpClient& c, const std::string& target) {
    std::int64_t peak = rss_anon_kb(server_->pid());
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done) {
        peak = std::max(peak, rss_anon_kb(server_->pid()));
        std::this_thread::yield();
      }
    });
    struct Join {
      std::atomic<bool>& done;
      std::thread& t;
      ~Join() {
        done = true;
        t.join();
      }
    } join{done, sampler};
    auto response = c.get(target);
    done = true;
    return {std::move(response), peak};
  }
};

// GCC says it builds with AddressSanitizer by __SANITIZE_ADDRESS__, clang by __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define EVENTSD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EVENTSD_ASAN 1
#endif
#endif

TEST_F(ExportMemory, ExportOfAHundredThousandEventsKeepsMemoryFlat) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
  // ThreadSanitizer keeps anonymous shadow memory for every byte the server reads, the log's map
  // included, so its resident memory grows with the data exported whatever the export holds. The
  // Release and AddressSanitizer builds measure it.
  GTEST_SKIP() << "resident memory is not the server's own under ThreadSanitizer";
#endif
#endif
#if defined(EVENTSD_ASAN)
  // AddressSanitizer holds freed blocks in a quarantine (256 MiB by default) to catch uses after
  // free, so under it a heap grows with everything ever freed. Measure with a small quarantine.
  const char* asan = std::getenv("ASAN_OPTIONS");
  ::setenv("ASAN_OPTIONS", (std::string(asan ? asan : "") + ":quarantine_size_mb=1").c_str(), 1);
  restart(server_args());
#endif
  auto c = client();
  // 10,000 events of type "early", then 90,000 of type "view".
  for (int b = 0; b < 100; ++b) {
    std::string batch = R"({"batch":[)";
    for (int i = 0; i < 1000; ++i) {
      batch += std::string(i ? "," : "") + R"({"event":")" + (b < 10 ? "early" : "view") +
               R"(","contact_id":"ct_)" + std::to_string(i % 50) +
               R"(","url":"https://example.com/p?a=1,b=2","data":{"n":)" + std::to_string(b * 1000 + i) +
               R"(,"text":"say \"hi\",\nthen go"}})";
    }
    ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);
  }
  // Flat means: exporting ten times as many events takes no more memory. The small export comes
  // first and warms every cache and pool the large one could use; the large one (over 15 MiB of
  // CSV) may then only add a small margin, far below the 13 MiB more it writes.
  auto [small, small_peak] = export_with_peak(c, "/v1/events/export?format=csv&event_type=early");
  ASSERT_EQ(small.status, 200);
  auto [csv, large_peak] = export_with_peak(c, "/v1/events/export?format=csv&sort_dir=asc");
  ASSERT_EQ(csv.status, 200);
  EXPECT_GT(csv.body.size(), 15u << 20);
  EXPECT_GT(csv.body.size(), small.body.size() * 9);
  EXPECT_LT(large_peak - small_peak, 3 * 1024)
      << "peak RssAnon " << small_peak << " kB exporting 10,000 events, " << large_peak << " kB exporting 100,000";
  EXPECT_EQ(csv.header("Content-Type"), "text/csv; charset=utf-8");

  const auto rows = parse_csv(csv.body);
  ASSERT_EQ(rows.size(), 100'001u);
  EXPECT_EQ(rows[0][0], "id");
  EXPECT_EQ(rows[1].size(), rows[0].size());
  const std::size_t url = 6, data = rows[0].size() - 1;
  EXPECT_EQ(rows[0][url], "url");
  EXPECT_EQ(rows[1][url], "https://example.com/p?a=1,b=2");
  EXPECT_EQ(json::parse(rows[1][data]), json::parse(R"({"n":0,"text":"say \"hi\",\nthen go"})"));
  EXPECT_EQ(json::parse(rows[100'000][data]).at("n"), 99'999);
  EXPECT_EQ(parse_csv(small.body).size(), 10'001u);

  auto jsonl = c.get("/v1/events/export?format=jsonl&contact_id=ct_7");
  ASSERT_EQ(jsonl.status, 200);
  EXPECT_EQ(nonempty_lines(jsonl.body).size(), 2000u);
  EXPECT_EQ(json::parse(nonempty_lines(jsonl.body)[0]).at("internal_contact_id"), "ct_7");
  EXPECT_EQ(c.get("/v1/events/export?format=xml").status, 400);
}

}  // namespace
}  // namespace eventsd

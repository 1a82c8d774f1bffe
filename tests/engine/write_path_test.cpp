// The writer, the deciders and the events read model together, without HTTP.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "projections/digest.h"
#include "projections/fold.h"
#include "projections/event_queries.h"
#include "tests/support/in_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using test::event;
using test::ingest_command;

std::vector<std::string> ids_of(const ListResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.events) out.push_back(e.id);
  return out;
}

ListResult list(test::InProcess& p, const std::string& tenant, ListRequest request) {
  auto snapshot = p.read();
  auto tno = snapshot.tno(tenant);
  if (!tno) return {};
  return list_events(snapshot.view, *tno, request);
}

// Digests of every read-model database of the live generation.
std::vector<Sha256> live_digests(test::InProcess& p) {
  auto snapshot = p.read();
  std::vector<Sha256> out;
  for (auto db : snapshot.view.models.all_dbs()) out.push_back(digest_db(snapshot.view.txn, db));
  return out;
}

// Digests of a generation folded afresh from the whole log, as a rebuild folds it.
std::vector<Sha256> fresh_digests(test::InProcess& p, const std::filesystem::path& dir) {
  Generation fresh(dir, 1, p.log, true);
  while (!fold_step(fresh, p.store, p.log, {20'000, 100'000}).at_end) {
  }
  auto reader = fresh.store().read();
  std::vector<Sha256> out;
  for (auto db : fresh.models().all_dbs()) out.push_back(digest_db(reader.txn(), db));
  return out;
}

TEST(WritePath, ListsNewestFirstWithStableTieBreak) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  auto e = [](std::string id, Millis ts) {
    auto in = event("view", ts);
    in.id = std::move(id);
    return in;
  };
  ASSERT_TRUE(std::holds_alternative<Ingested>(
      p.submit(ingest_command("t", {e("a", 100), e("b", 300), e("c", 200), e("d", 300)}))));
  ListRequest r;
  // Same timestamp: the later-recorded event comes first when descending.
  EXPECT_EQ(ids_of(list(p, "t", r)), (std::vector<std::string>{"d", "b", "c", "a"}));
  r.descending = false;
  EXPECT_EQ(ids_of(list(p, "t", r)), (std::vector<std::string>{"a", "c", "b", "d"}));
  r.sort_by = SortBy::created_at;
  EXPECT_EQ(ids_of(list(p, "t", r)), (std::vector<std::string>{"a", "b", "c", "d"}));
  r.offset = 1;
  r.limit = 2;
  auto page = list(p, "t", r);
  EXPECT_EQ(ids_of(page), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(page.total, 4u);
}

TEST(WritePath, ClientIdsAreIdempotent) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  auto in = event("signup", 5);
  in.id = "client-1";
  auto first = p.submit(ingest_command("t", {in, in}));
  ASSERT_TRUE(std::holds_alternative<Ingested>(first));
  EXPECT_EQ(std::get<Ingested>(first).ids, (std::vector<std::string>{"client-1", "client-1"}));
  const auto head = p.log.head().position;
  auto again = p.submit(ingest_command("t", {in}));
  EXPECT_EQ(std::get<Ingested>(again).ids, (std::vector<std::string>{"client-1"}));
  EXPECT_EQ(p.log.head().position, head) << "a pure retry must not append to the log";
  EXPECT_EQ(list(p, "t", {}).total, 1u);
  // The same id in another tenant is another event.
  p.submit(ingest_command("u", {in}));
  EXPECT_EQ(list(p, "u", {}).total, 1u);
}

// A browser's id (a publishable key's) never meets a server's: a page that sends "order-1001"
// first neither claims the server's "order-1001" nor shows under its id, its own retries stay
// idempotent, and the log says where each id lives, so a replay folds the same read models.
TEST(WritePath, BrowserIdsLiveApartFromServerIds) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  auto page = event("page_view", 5);
  page.id = "order-1001";
  page.id_space = IdSpace::browser;
  auto order = event("order_paid", 6, "ct_1");
  order.id = "order-1001";

  auto visitor = std::get<Ingested>(p.submit(ingest_command("t", {page})));
  EXPECT_EQ(visitor.ids, (std::vector<std::string>{"browser~order-1001"}));
  EXPECT_EQ(visitor.created, (std::vector<bool>{true}));
  auto backend = std::get<Ingested>(p.submit(ingest_command("t", {order})));
  EXPECT_EQ(backend.ids, (std::vector<std::string>{"order-1001"}));
  EXPECT_EQ(backend.created, (std::vector<bool>{true})) << "the visitor must not have claimed the server's id";
  // Each side's retry is its own duplicate; in one request, the two are two events.
  EXPECT_EQ(std::get<Ingested>(p.submit(ingest_command("t", {page}))).created, (std::vector<bool>{false}));
  EXPECT_EQ(std::get<Ingested>(p.submit(ingest_command("t", {order, page}))).created,
            (std::vector<bool>{false, false}));
  auto both = std::get<Ingested>(p.submit(ingest_command("u", {page, order})));
  EXPECT_EQ(both.ids, (std::vector<std::string>{"browser~order-1001", "order-1001"}));
  EXPECT_EQ(both.created, (std::vector<bool>{true, true}));
  {
    auto snapshot = p.read();
    const auto tno = snapshot.tno("t");
    ASSERT_TRUE(tno);
    EXPECT_EQ(find_event(snapshot.view, *tno, "order-1001")->event, "order_paid");
    EXPECT_EQ(find_event(snapshot.view, *tno, "browser~order-1001")->event, "page_view");
  }
  EXPECT_EQ(list(p, "t", {}).total, 2u);
  p.writer.stop();
  test::TempDir scratch;
  EXPECT_EQ(live_digests(p), fresh_digests(p, scratch.path()));
}

// The outcome says which events were created, and (when asked) carries each event as decided, so
// an answer never depends on a later read: here the event is deleted before anyone could read it.
TEST(WritePath, IngestOutcomeSaysWhatWasCreatedAndCarriesTheDecidedEvents) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  auto stored = event("signup", 5, "ct_1");
  stored.id = "old";
  stored.data = R"({"amount":18.990000000000002})";
  ASSERT_TRUE(std::holds_alternative<Ingested>(p.submit(ingest_command("t", {stored}))));

  auto fresh = event("purchase", 7, "ct_1");
  fresh.id = "new";
  fresh.data = R"({"amount":99.99})";
  auto anonymous = event("view", 9);
  Command command = ingest_command("t", {fresh, stored, fresh, anonymous});
  std::get<IngestEvents>(command.body).echo = true;
  auto outcome = p.submit(std::move(command));
  ASSERT_TRUE(std::holds_alternative<Ingested>(outcome));
  const auto& result = std::get<Ingested>(outcome);
  EXPECT_EQ(result.created, (std::vector<bool>{true, false, false, true}));
  ASSERT_EQ(result.events.size(), 4u);
  EXPECT_EQ(result.events[0].id, "new");
  EXPECT_EQ(result.events[0].event, "purchase");
  EXPECT_EQ(result.events[0].data, R"({"amount":99.99})");
  EXPECT_EQ(result.events[0].contact_id, "ct_1");
  EXPECT_EQ(result.events[1].id, "old");
  EXPECT_EQ(result.events[1].event, "signup");  // the stored event, not the retry's copy
  EXPECT_EQ(result.events[1].data, R"({"amount":18.990000000000002})");
  EXPECT_EQ(result.events[2].event, "purchase");
  EXPECT_EQ(result.events[3].id, result.ids[3]);
  EXPECT_EQ(result.events[3].timestamp, 9);

  // Without echo the outcome stays small; a pure retry still says "not created".
  ASSERT_EQ(std::get<Deleted>(p.submit(Command{"t", "test", DeleteEvents{{"new"}}})).deleted, 1u);
  auto retry = p.submit(ingest_command("t", {stored}));
  EXPECT_EQ(std::get<Ingested>(retry).created, (std::vector<bool>{false}));
  EXPECT_TRUE(std::get<Ingested>(retry).events.empty());
}

TEST(WritePath, DeleteRemovesFromEveryIndexAndCount) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  auto a = event("view", 10, "ct_1");
  a.id = "a";
  a.url = "https://x.com/";
  a.domain = "x.com";
  auto b = event("view", 20, "ct_1");
  b.id = "b";
  p.submit(ingest_command("t", {a, b}));
  auto outcome = p.submit(Command{"t", "test", DeleteEvents{{"a", "zzz"}}});
  const auto& deleted = std::get<Deleted>(outcome);
  EXPECT_EQ(deleted.deleted, 1u);
  EXPECT_EQ(deleted.not_found, (std::vector<std::string>{"zzz"}));
  ListRequest r;
  r.filter.contact_id = "ct_1";
  EXPECT_EQ(ids_of(list(p, "t", r)), (std::vector<std::string>{"b"}));
  r.filter = {};
  r.filter.domain = "x.com";
  EXPECT_EQ(list(p, "t", r).total, 0u);
  auto snapshot = p.read();
  auto tno = *snapshot.tno("t");
  EXPECT_FALSE(find_event(snapshot.view, tno, "a"));
  EventFilter f;
  f.event_type = "view";
  EXPECT_EQ(count_events(snapshot.view, tno, f), 1u);
}

TEST(WritePath, QueuedCommandsShareOneCommit) {
  test::TempDir dir;
  test::InProcess p(dir.path(), {}, /*start=*/false);
  std::vector<std::future<Outcome>> results;
  std::vector<std::promise<Outcome>> promises(200);
  for (int i = 0; i < 200; ++i) {
    results.push_back(promises[i].get_future());
    p.writer.submit(ingest_command("t", {event("e", i)}),
                    [&promises, i](Outcome o) { promises[i].set_value(std::move(o)); });
  }
  p.writer.start();
  for (auto& f : results) EXPECT_TRUE(std::holds_alternative<Ingested>(f.get()));
  EXPECT_EQ(p.writer.stats().commits, 1u);
  EXPECT_EQ(p.writer.stats().commands, 200u);
  EXPECT_EQ(p.log.head().position, 200u);
}

TEST(WritePath, AFailureAfterTheCommitDoesNotRunTheBatchAgain) {
  test::TempDir dir;
  test::InProcess p(dir.path(), {}, /*start=*/false);
  int published = 0;
  p.writer.set_commit_listener([&](std::uint64_t head) {
    ++published;
    p.projector.notify(head);
    throw std::runtime_error("listener failed");
  });
  p.writer.start();
  // Server-made ids: a second run of the command would record the event twice.
  EXPECT_TRUE(std::holds_alternative<Ingested>(p.submit(ingest_command("t", {event("e", 1)}))));
  EXPECT_EQ(published, 1);
  EXPECT_EQ(p.log.head().position, 1u);
  EXPECT_EQ(list(p, "t", {}).total, 1u);
}

TEST(WritePath, AFullMapRefusesWritesAndKeepsWhatWasAcknowledged) {
  test::TempDir dir;
  StoreOptions options;
  options.map_size = 2 << 20;  // a volume of 2 MiB: full after a few thousand events
  test::InProcess p(dir.path(), options);
  std::set<std::string> acknowledged;
  int refused = 0;
  for (int b = 0; b < 200 && refused == 0; ++b) {
    std::vector<EventInput> batch;
    for (int i = 0; i < 100; ++i) {
      auto e = event("grow", b * 100 + i, "ct_" + std::to_string(i));
      e.data = R"({"pad":")" + std::string(200, 'p') + R"("})";
      batch.push_back(std::move(e));
    }
    auto outcome = p.submit(ingest_command("t", std::move(batch)));
    if (auto* r = std::get_if<Rejection>(&outcome)) {
      EXPECT_EQ(r->status, 507);
      EXPECT_EQ(r->code, "storage_full");
      ++refused;
      continue;
    }
    for (auto& id : std::get<Ingested>(outcome).ids) acknowledged.insert(id);
  }
  ASSERT_EQ(refused, 1) << "the map should have filled";
  ASSERT_GT(acknowledged.size(), 0u);
  auto snapshot = p.read();
  auto tno = *snapshot.tno("t");
  for (const auto& id : acknowledged) ASSERT_TRUE(find_event(snapshot.view, tno, id)) << id;
  EXPECT_EQ(count_events(snapshot.view, tno, {}), acknowledged.size());
  EXPECT_TRUE(verify_chain(snapshot.log.txn(), p.log).ok);
}

TEST(WritePath, CursorPagingHasNoGapsOrDuplicatesWhileIngesting) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  std::mt19937 rng(7);
  std::vector<EventInput> initial;
  for (int i = 0; i < 500; ++i) initial.push_back(event("e" + std::to_string(i % 3), rng() % 50));
  auto first = std::get<Ingested>(p.submit(ingest_command("t", initial))).ids;
  for (SortBy sort : {SortBy::timestamp, SortBy::event, SortBy::created_at}) {
    for (bool desc : {true, false}) {
      std::set<std::string> seen;
      ListRequest r;
      r.sort_by = sort;
      r.descending = desc;
      r.limit = 37;
      for (int page = 0;; ++page) {
        auto result = list(p, "t", r);
        for (const auto& e : result.events) {
          EXPECT_TRUE(seen.insert(e.id).second) << "duplicate " << e.id;
        }
        // Concurrent ingest between pages, at timestamps all over the range.
        p.submit(ingest_command("t", {event("e1", rng() % 50), event("e9", rng() % 50)}));
        if (!result.next) break;
        r.after = result.next;
        ASSERT_LT(page, 100);
      }
      for (const auto& id : first) EXPECT_TRUE(seen.count(id)) << "missed " << id;
    }
  }
}

// createdAt order over an indexed filter gathers from an index in timestamp order, keeping only
// the page it was asked for: pages by offset and by cursor, both directions, with and without a
// filter the index cannot answer, must equal the whole listing filtered by hand.
TEST(WritePath, CreatedAtOrderWithAFilterPagesLikeTheWholeListing) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  std::mt19937 rng(11);
  for (int b = 0; b < 6; ++b) {
    std::vector<EventInput> batch;
    for (int i = 0; i < 50; ++i) {
      auto e = event("e" + std::to_string(rng() % 3), rng() % 1000);
      e.url = std::string(rng() % 2 ? "https://x.example/a/" : "https://x.example/b/") + std::to_string(i);
      batch.push_back(std::move(e));
    }
    p.submit(ingest_command("t", batch));
  }
  for (bool desc : {true, false}) {
    ListRequest all;
    all.sort_by = SortBy::created_at;
    all.descending = desc;
    all.limit = 1000;
    const auto everything = list(p, "t", all).events;
    ASSERT_EQ(everything.size(), 300u);
    for (bool by_url : {false, true}) {
      std::vector<std::string> expected;
      for (const auto& e : everything) {
        if (e.event == "e1" && (!by_url || (e.url && e.url->find("/a/") != std::string::npos))) expected.push_back(e.id);
      }
      ListRequest r;
      r.sort_by = SortBy::created_at;
      r.descending = desc;
      r.filter.event_type = "e1";
      if (by_url) r.filter.url_contains = "/a/";
      r.limit = 7;
      std::vector<std::string> by_offset, by_cursor;
      for (r.offset = 0; r.offset < expected.size() + 7; r.offset += 7) {
        auto page = list(p, "t", r);
        EXPECT_EQ(page.total, expected.size());
        for (const auto& e : page.events) by_offset.push_back(e.id);
      }
      r.offset = 0;
      for (int n = 0;; ++n) {
        auto page = list(p, "t", r);
        for (const auto& e : page.events) by_cursor.push_back(e.id);
        if (!page.next) break;
        r.after = page.next;
        ASSERT_LT(n, 100);
      }
      EXPECT_EQ(by_offset, expected) << "desc " << desc << " url " << by_url;
      EXPECT_EQ(by_cursor, expected) << "desc " << desc << " url " << by_url;
    }
  }
}

// A scan the counters cannot answer walks every index entry; it holds one snapshot for at most
// kEntriesPerSnapshot of them, then moves to the newest and goes on from its place: what was
// written ahead of its place meanwhile is counted, what was written behind it is not, nothing
// twice.
TEST(WritePath, LongScansMoveToNewerSnapshotsAndGoOnFromTheirPlace) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  auto with_url = [](std::string name, Millis ts) {
    auto e = event(std::move(name), ts);
    e.url = "https://x.example/a/" + std::to_string(ts);
    return e;
  };
  for (int b = 0; b < 10; ++b) {
    std::vector<EventInput> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(with_url("view", 1'000'000 + b * 1000 + i));
    p.submit(ingest_command("t", batch));
  }
  auto snap = p.read();
  const auto tno = *snap.tno("t");
  int renewals = 0;
  const ReadView view{snap.view.models, snap.models.txn(), snap.log.txn(), [&] {
                        if (++renewals == 1) {
                          // Newest first: 100 older than every event lie ahead, 100 newer behind.
                          std::vector<EventInput> ahead, behind;
                          for (int i = 0; i < 100; ++i) {
                            ahead.push_back(with_url("view", 1'000 + i));
                            behind.push_back(with_url("view", 9'000'000 + i));
                          }
                          p.submit(ingest_command("t", ahead));
                          p.submit(ingest_command("t", behind));
                        }
                        snap.models.renew();
                        snap.log.renew();
                      }};
  EventFilter by_url;
  by_url.url_contains = "/a/";
  EXPECT_EQ(count_events(view, tno, by_url), 10'100u);
  EXPECT_EQ(renewals, static_cast<int>(10'100 / kEntriesPerSnapshot));
  // A view that cannot move sees one snapshot: its own.
  auto fresh = p.read();
  EXPECT_EQ(count_events(fresh.view, tno, by_url), 10'200u);
}

TEST(WritePath, ARebuildFoldsIdenticalReadModels) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  std::mt19937 rng(3);
  for (int b = 0; b < 20; ++b) {
    std::vector<EventInput> batch;
    for (int i = 0; i < 50; ++i) {
      auto e = event("type" + std::to_string(rng() % 5), rng() % 100000,
                     rng() % 2 ? std::optional<std::string>("ct_" + std::to_string(rng() % 10)) : std::nullopt);
      if (rng() % 2) {
        e.url = "https://d" + std::to_string(rng() % 3) + ".com/x";
        e.domain = "d" + std::to_string(rng() % 3) + ".com";
      }
      batch.push_back(std::move(e));
    }
    auto ids = std::get<Ingested>(p.submit(ingest_command(b % 2 ? "t1" : "t2", batch))).ids;
    p.submit(Command{b % 2 ? "t1" : "t2", "test", DeleteEvents{{ids[0], ids[7]}}});
  }
  p.writer.stop();
  test::TempDir scratch;
  EXPECT_EQ(live_digests(p), fresh_digests(p, scratch.path()));
}

// Rules change between ingests, bursts regroup recorded events, contacts merge, events are
// deleted and expire: a replay of the log must rebuild exactly the same read models, because every
// decision is in the facts.
TEST(WritePath, ReplayAfterRulesChangedDecidesNothingAgain) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  std::mt19937 rng(5);
  auto set_rules = [&](std::uint32_t max, bool keep_first) {
    SetSuppressionRules cmd;
    cmd.rules.velocity.push_back({max, 60, std::nullopt, keep_first});
    cmd.rules.metadata.push_back({"bot", "true", std::nullopt});
    ASSERT_TRUE(std::holds_alternative<Recorded>(p.submit(Command{"t", "test", cmd})));
  };
  auto ingest_some = [&](int n) {
    std::vector<EventInput> batch;
    for (int i = 0; i < n; ++i) {
      auto e = event(rng() % 2 ? "view" : "click", 1'000'000 + static_cast<Millis>(rng() % 300) * 1000,
                     "ct_" + std::to_string(rng() % 4));
      if (rng() % 10 == 0) e.data = R"({"bot":true})";
      if (rng() % 5 == 0) e.campaign_id = "cmp";
      batch.push_back(std::move(e));
    }
    return std::get<Ingested>(p.submit(ingest_command("t", batch))).ids;
  };
  ASSERT_TRUE(std::holds_alternative<Recorded>(
      p.submit(Command{"t", "test", SetScoringRules{{{"view", 1}, {"click", 5}}}})));
  set_rules(3, true);
  auto ids = ingest_some(40);
  set_rules(2, false);
  ingest_some(40);
  ASSERT_TRUE(std::holds_alternative<Merged>(p.submit(Command{"t", "test", MergeContacts{"ct_0", "ct_1", {}}})));
  set_rules(4, true);
  ingest_some(40);
  ASSERT_TRUE(std::holds_alternative<Merged>(p.submit(Command{"t", "test", MergeContacts{"ct_1", "ct_2", {}}})));
  p.submit(Command{"t", "test", DeleteEvents{{ids[3], ids[4]}}});
  p.submit(Command{"", "test", ApplyRetention{1'000'000 + 100'000}});
  ingest_some(20);
  p.writer.stop();

  std::uint64_t suppressed = 0;
  {
    auto snapshot = p.read();
    EventFilter f;
    f.suppressed = SuppressedFilter::only;
    suppressed = count_events(snapshot.view, *snapshot.tno("t"), f);
  }
  EXPECT_GT(suppressed, 0u) << "the scenario should suppress something";
  test::TempDir scratch;
  EXPECT_EQ(live_digests(p), fresh_digests(p, scratch.path()));
}

}  // namespace
}  // namespace eventsd

// The writer's side of cluster mode, without NATS: the replication hook sees exactly the records a
// transaction appended before it commits, a refused replication commits nothing, and tasks copy
// records into another log byte for byte (a replica), folding them as the writer would.
#include <gtest/gtest.h>

#include <future>

#include "projections/event_queries.h"
#include "tests/support/in_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using test::event;
using test::ingest_command;

struct Captured {
  std::uint64_t first = 0;
  std::vector<std::string> records;
};

std::exception_ptr run_task(Writer& writer, Writer::Task task) {
  std::promise<std::exception_ptr> done;
  writer.submit_task(std::move(task), [&done](std::exception_ptr e) { done.set_value(e); });
  return done.get_future().get();
}

std::vector<std::string> listed_ids(test::InProcess& p, const std::string& tenant) {
  auto snapshot = p.read();
  auto tno = snapshot.tno(tenant);
  std::vector<std::string> out;
  if (!tno) return out;
  for (const auto& e : list_events(snapshot.view, *tno, ListRequest{}).events) out.push_back(e.id);
  return out;
}

TEST(Replication, TheHookSeesEveryAppendedRecordBeforeTheCommit) {
  test::TempDir dir;
  test::InProcess p(dir.path(), {}, false);
  std::vector<Captured> captured;
  std::vector<std::uint64_t> heads_seen;
  p.writer.set_replication([&](lmdb::Txn&, std::uint64_t first, const std::vector<std::string_view>& records) {
    heads_seen.push_back(p.log.head().position);  // not yet advanced: the transaction is open
    Captured c{first, {}};
    for (auto r : records) c.records.emplace_back(r);
    captured.push_back(std::move(c));
  });
  p.writer.start();
  ASSERT_TRUE(std::holds_alternative<Ingested>(p.submit(ingest_command("t", {event("a", 1), event("b", 2)}))));
  ASSERT_TRUE(std::holds_alternative<Ingested>(p.submit(ingest_command("t", {event("c", 3)}))));
  ASSERT_EQ(captured.size(), 2u);
  EXPECT_EQ(heads_seen, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(captured[0].first, 1u);
  EXPECT_EQ(captured[1].first, 2u);
  auto reader = p.store.read();
  for (const auto& c : captured) {
    for (std::size_t i = 0; i < c.records.size(); ++i) {
      std::string_view stored;
      ASSERT_TRUE(p.log.read(reader.txn(), c.first + i, stored));
      EXPECT_EQ(stored, c.records[i]);
    }
  }
}

TEST(Replication, ARefusedReplicationCommitsNothingAndAnswers503) {
  test::TempDir dir;
  test::InProcess p(dir.path(), {}, false);
  p.writer.set_replication([](lmdb::Txn&, std::uint64_t, const std::vector<std::string_view>&) {
    throw NotReplicated("the shard's stream moved on");
  });
  p.writer.start();
  auto in = event("a", 1);
  in.id = "e1";
  Outcome o = p.submit(ingest_command("t", {in}));
  auto* r = std::get_if<Rejection>(&o);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->code, "unavailable");
  EXPECT_GT(r->retry_after, 0u);
  EXPECT_EQ(p.log.head().position, 0u);
  auto reader = p.store.read();
  std::string_view bytes;
  EXPECT_FALSE(p.log.read(reader.txn(), 1, bytes));
  // The write model did not keep the refused id: once replication works, the event is new.
  EXPECT_FALSE(p.model.find_seq(reader.txn(), 1, "e1").has_value());
}

TEST(Replication, TasksCopyRecordsIntoAReplicaThatThenEqualsTheOriginal) {
  test::TempDir a_dir, b_dir;
  test::InProcess a(a_dir.path(), {}, false);
  std::vector<Captured> captured;
  a.writer.set_replication([&](lmdb::Txn&, std::uint64_t first, const std::vector<std::string_view>& records) {
    Captured c{first, {}};
    for (auto r : records) c.records.emplace_back(r);
    captured.push_back(std::move(c));
  });
  a.writer.start();
  auto with_id = [](std::string id, Millis ts) {
    auto in = event("view", ts);
    in.id = std::move(id);
    return in;
  };
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.submit(ingest_command("t", {with_id("x", 1), with_id("y", 2)}))));
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.submit(ingest_command("u", {with_id("z", 3)}))));
  Command del{"t", "test", DeleteEvents{{"x"}}};
  ASSERT_TRUE(std::holds_alternative<Deleted>(a.submit(std::move(del))));

  test::InProcess b(b_dir.path());
  for (const auto& c : captured) {
    auto failure = run_task(b.writer, [&c](lmdb::Txn&, Log::Appender& appender) {
      for (const auto& r : c.records) {
        if (appender.head().position + 1 != c.first + (&r - c.records.data())) throw std::logic_error("out of order");
        appender.append_copy(r);
      }
    });
    ASSERT_EQ(failure, nullptr);
  }
  EXPECT_EQ(b.log.head(), a.log.head());  // same positions, same chain
  b.wait_served(b.log.head().position);
  EXPECT_EQ(listed_ids(b, "t"), listed_ids(a, "t"));
  EXPECT_EQ(listed_ids(b, "u"), (std::vector<std::string>{"z"}));
  // The replica's write model was folded too: an id it holds is not recorded again.
  auto reader = b.store.read();
  auto tno = b.model.tenant_no(reader.txn(), "u");
  ASSERT_TRUE(tno.has_value());
  EXPECT_TRUE(b.model.find_seq(reader.txn(), *tno, "z").has_value());
}

TEST(Replication, ARecordThatDoesNotContinueTheChainFailsOnlyItsTask) {
  test::TempDir a_dir, b_dir;
  test::InProcess a(a_dir.path(), {}, false);
  std::vector<std::string> records;
  a.writer.set_replication([&](lmdb::Txn&, std::uint64_t, const std::vector<std::string_view>& rs) {
    for (auto r : rs) records.emplace_back(r);
  });
  a.writer.start();
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.submit(ingest_command("t", {event("a", 1)}))));
  ASSERT_TRUE(std::holds_alternative<Ingested>(a.submit(ingest_command("t", {event("b", 2)}))));
  ASSERT_EQ(records.size(), 2u);

  test::InProcess b(b_dir.path(), {}, false);
  // Queued before the writer starts, so that they share a transaction first.
  std::promise<std::exception_ptr> second_done, first_done;
  b.writer.submit_task([&](lmdb::Txn&, Log::Appender& ap) { ap.append_copy(records[1]); },
                       [&](std::exception_ptr e) { second_done.set_value(e); });
  b.writer.submit_task([&](lmdb::Txn&, Log::Appender& ap) { ap.append_copy(records[0]); },
                       [&](std::exception_ptr e) { first_done.set_value(e); });
  b.writer.start();
  EXPECT_NE(second_done.get_future().get(), nullptr);  // record 2 cannot come first
  EXPECT_EQ(first_done.get_future().get(), nullptr);
  EXPECT_EQ(b.log.head().position, 1u);
}

}  // namespace
}  // namespace eventsd

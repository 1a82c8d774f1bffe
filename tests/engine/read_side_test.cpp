// The write path split in two (docs/architecture.md): the projector folding behind the writer,
// its catch-up and generations, the bounded queue, commands decided in steps, and what a fatal
// store error does. In process, without HTTP.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "eventlog/keys.h"
#include "projections/event_queries.h"
#include "projections/fold.h"
#include "projections/read_model_keys.h"
#include "tests/support/in_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using test::event;
using test::ingest_command;

std::uint64_t count(test::InProcess& p, const std::string& tenant, EventFilter filter = {}) {
  auto snapshot = p.read();
  auto tno = snapshot.tno(tenant);
  return tno ? count_events(snapshot.view, *tno, filter) : 0;
}

// The log and the write model alone, as a process that writes while no projector runs (a server
// killed with its projector behind, an import): commands are answered once durable.
struct LogOnly {
  explicit LogOnly(const std::filesystem::path& dir)
      : store(data_dir::log_dir(dir)), log(store), model(store, log), writer(store, log, model) {
    model.catch_up(store);
    writer.start();
  }
  Outcome submit(Command command) {
    std::promise<Outcome> promise;
    auto future = promise.get_future();
    writer.submit(std::move(command), [&promise](Outcome o) { promise.set_value(std::move(o)); });
    return future.get();
  }
  Store store;
  Log log;
  WriteModel model;
  Writer writer;
};

TEST(Projector, AWriteIsAnsweredOnceItCanBeRead) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  for (int i = 0; i < 50; ++i) {
    auto outcome = p.submit(ingest_command("t", {event("view", i), event("click", i)}));
    ASSERT_TRUE(std::holds_alternative<Ingested>(outcome));
    // Read your writes: the read models already hold what the answer acknowledged.
    EXPECT_GE(p.projector.applied(), std::get<Ingested>(outcome).position);
    EXPECT_EQ(count(p, "t"), static_cast<std::uint64_t>(2 * (i + 1)));
  }
}

TEST(Projector, ReadModelsBehindTheLogCatchUpFromTheirCheckpoint) {
  test::TempDir dir;
  std::uint64_t checkpoint = 0;
  {
    test::InProcess p(dir.path());
    p.submit(ingest_command("t", {event("view", 1), event("view", 2)}));
    checkpoint = p.projector.applied();
  }
  // Records the read models never saw: as if the projector had been killed behind the writer.
  std::uint64_t head = 0;
  {
    LogOnly w(dir.path());
    for (int i = 0; i < 30; ++i) w.submit(ingest_command("t", {event("late", 100 + i)}));
    head = w.log.head().position;
  }
  ASSERT_GT(head, checkpoint);
  test::InProcess p(dir.path());
  // The same generation is served (no rebuild), and it folds what it missed.
  auto generation = p.projector.current();
  ASSERT_TRUE(generation);
  std::promise<void> caught_up;
  p.projector.when_applied(head, [&] { caught_up.set_value(); });
  caught_up.get_future().get();
  EXPECT_EQ(generation->number(), p.projector.current()->number());
  EXPECT_EQ(count(p, "t"), 32u);
}

TEST(Projector, AnOutdatedGenerationIsRebuiltWhileWritesAreTaken) {
  test::TempDir dir;
  std::uint64_t first = 0;
  {
    test::InProcess p(dir.path());
    p.submit(ingest_command("t", {event("view", 1), event("view", 2)}));
    first = p.projector.current()->number();
    // As if a version with another layout had written it.
    p.projector.current()->store().write([&](lmdb::Txn& txn) {
      txn.put(p.projector.current()->models().dbs().meta, rm::kLayoutKey, keys::native_u64(1));
    });
  }
  Store store(data_dir::log_dir(dir.path()));
  Log log(store);
  WriteModel model(store, log);
  Projector projector(store, log, data_dir::read_dir(dir.path()));
  EXPECT_NE(projector.open().find("rebuilding"), std::string::npos);
  EXPECT_FALSE(projector.current()) << "nothing can be served until the rebuild is done";
  std::promise<std::uint64_t> served;
  std::atomic<bool> once{false};
  projector.set_applied_listener([&](std::uint64_t applied) {
    if (!once.exchange(true)) served.set_value(applied);
  });
  // Writes are taken at once: answered when durable, since no read model can show them yet.
  Writer writer(store, log, model);
  writer.set_delivery([&](std::uint64_t head, std::vector<Writer::Completion> completions) {
    auto shared = std::make_shared<std::vector<Writer::Completion>>(std::move(completions));
    projector.when_applied(head, [shared] {
      for (auto& c : *shared) c.done(std::move(c.outcome));
    });
  });
  writer.set_commit_listener([&](std::uint64_t head) { projector.notify(head); });
  writer.start();
  std::promise<Outcome> answered;
  writer.submit(ingest_command("t", {event("view", 3)}), [&](Outcome o) { answered.set_value(std::move(o)); });
  auto outcome = answered.get_future().get();
  ASSERT_TRUE(std::holds_alternative<Ingested>(outcome));
  // The projector adopts the rebuilt generation, caught up to the log's head.
  projector.start();
  const std::uint64_t applied = served.get_future().get();
  EXPECT_GE(applied, std::get<Ingested>(outcome).position);
  auto generation = projector.current();
  ASSERT_TRUE(generation);
  EXPECT_GT(generation->number(), first);
  {
    auto models = generation->store().read();
    auto log_snapshot = store.read();
    const ReadView view{generation->models(), models.txn(), log_snapshot.txn()};
    EXPECT_EQ(count_events(view, *generation->models().tenant_no(models.txn(), "t"), {}), 3u);
  }
  writer.stop();
  projector.stop();
}

TEST(Projector, AnOnlineRebuildSwitchesGenerationsWhileWritesGoOn) {
  test::TempDir dir;
  test::InProcess p(dir.path());
  for (int i = 0; i < 20; ++i) p.submit(ingest_command("t", {event("view", i), event("click", i)}));
  auto before = p.projector.current();
  ASSERT_TRUE(p.projector.rebuild());
  // Writes keep being answered, and read, while the new generation is folded beside the live one.
  std::uint64_t written = 40;
  while (p.projector.current()->number() == before->number()) {
    p.submit(ingest_command("t", {event("during", static_cast<Millis>(written))}));
    ++written;
    EXPECT_EQ(count(p, "t"), written);
  }
  // One more write: answered once the projector is past the switch (adopt delivers it, or a
  // later fold does).
  p.submit(ingest_command("t", {event("after", static_cast<Millis>(written))}));
  ++written;
  EXPECT_EQ(count(p, "t"), written);
  EXPECT_FALSE(p.projector.rebuild_status().running);
  // The old generation's files go with its last reader (here this test; the projector hands its
  // own reference to its flush thread, which has let go of it once the projector stopped).
  const auto old_dir = generations::dir_of(data_dir::read_dir(dir.path()), before->number());
  EXPECT_TRUE(std::filesystem::exists(old_dir));
  p.projector.stop();
  EXPECT_TRUE(std::filesystem::exists(old_dir));
  before.reset();
  EXPECT_FALSE(std::filesystem::exists(old_dir));
}

TEST(Generations, WhatCannotBeTrustedIsNotServed) {
  test::TempDir dir;
  const auto read_dir = data_dir::read_dir(dir.path());
  std::uint64_t number = 0, head = 0;
  {
    test::InProcess p(dir.path());
    p.submit(ingest_command("t", {event("view", 1)}));
    number = p.projector.current()->number();
    head = p.log.head().position;
  }
  EXPECT_TRUE(generations::check(read_dir, number, head).usable);
  // Folded further than the log holds: the log lost records.
  auto ahead = generations::check(read_dir, number, head - 1);
  EXPECT_FALSE(ahead.usable);
  EXPECT_TRUE(ahead.ahead_of_log);
  // Written under another boot, with commits after its last flush: it may be torn.
  const auto sidecar = read_dir / ("gen-" + std::to_string(number) + ".synced");
  std::string content;
  {
    std::ifstream in(sidecar);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  {
    std::ofstream out(sidecar, std::ios::trunc);
    out << "boot_id=00000000-0000-0000-0000-000000000000\ntxnid=1\ncheckpoint=0\n";
  }
  auto torn = generations::check(read_dir, number, head);
  EXPECT_FALSE(torn.usable);
  EXPECT_NE(torn.problem.find("torn"), std::string::npos) << torn.problem;
  // Under another boot but flushed after its last commit: trusted.
  std::uint64_t txnid = 0;
  {
    Store store(generations::dir_of(read_dir, number), StoreOptions{.map_size = 0, .read_only = true, .create = false});
    txnid = store.env().last_txnid();
  }
  {
    std::ofstream out(sidecar, std::ios::trunc);
    out << "boot_id=00000000-0000-0000-0000-000000000000\ntxnid=" << txnid << "\ncheckpoint=0\n";
  }
  EXPECT_TRUE(generations::check(read_dir, number, head).usable);
  // Truncated.
  const auto data = generations::dir_of(read_dir, number) / "data.mdb";
  std::filesystem::resize_file(data, std::filesystem::file_size(data) / 2);
  EXPECT_FALSE(generations::check(read_dir, number, head).usable);
  // Removed.
  std::filesystem::remove_all(generations::dir_of(read_dir, number));
  EXPECT_FALSE(generations::check(read_dir, number, head).usable);
  // The next start folds a new generation from the log and serves what the log holds.
  test::InProcess p(dir.path());
  auto outcome = p.submit(ingest_command("t", {event("view", 2)}));
  p.wait_served(std::get<Ingested>(outcome).position);
  EXPECT_GT(p.projector.current()->number(), number);
  EXPECT_EQ(count(p, "t"), 2u);
}

TEST(Writer, AFullQueueRefusesAndLosesNothingItTook) {
  test::TempDir dir;
  Store store(data_dir::log_dir(dir.path()));
  Log log(store);
  WriteModel model(store, log);
  Writer writer(store, log, model, WriterLimits{10, 1 << 20});
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<int> answered{0};
  int taken = 0, refused = 0;
  for (int i = 0; i < 30; ++i) {
    EventInput e = event("view", i);
    e.id = "e" + std::to_string(i);
    const bool queued = writer.submit(ingest_command("t", {e}), [&](Outcome o) {
      std::lock_guard lock(mutex);
      if (auto* ingested = std::get_if<Ingested>(&o)) acknowledged.push_back(ingested->ids.at(0));
      ++answered;
    }, 100);
    if (queued) ++taken;
    else ++refused;
  }
  EXPECT_EQ(taken, 10);
  EXPECT_EQ(refused, 20);
  EXPECT_FALSE(writer.admits(100));
  EXPECT_EQ(writer.stats().refused, 20u);
  writer.start();
  writer.stop();
  EXPECT_EQ(answered, 10);
  EXPECT_EQ(acknowledged.size(), 10u);
  EXPECT_TRUE(writer.admits(100));
  auto txn = store.read();
  const auto tno = model.tenant_no(txn.txn(), "t");
  ASSERT_TRUE(tno);
  for (const auto& id : acknowledged) EXPECT_TRUE(model.find_seq(txn.txn(), *tno, id)) << id;
}

TEST(Steps, ALargeMergeTakesTurnsWithOtherWrites) {
  test::TempDir dir;
  test::InProcess p(dir.path(), {}, /*start=*/true);
  // A contact with 3.5 steps' worth of events, and a member merged into it earlier.
  for (int b = 0; b < 3; ++b) {
    std::vector<EventInput> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(event("view", b * 1000 + i, "big"));
    p.submit(ingest_command("t", std::move(batch)));
  }
  std::vector<EventInput> small;
  for (int i = 0; i < 500; ++i) small.push_back(event("view", 5000 + i, "member"));
  p.submit(ingest_command("t", std::move(small)));
  ASSERT_TRUE(std::holds_alternative<Merged>(p.submit(Command{"t", "test", MergeContacts{"member", "big", {}}})));
  p.writer.stop();
  const std::uint64_t before = p.log.head().position;

  // Queued together: the merge first, then another tenant's write. The merge goes in steps, and
  // the other write is answered before the merge is done.
  test::InProcess q(dir.path(), {}, /*start=*/false);
  std::mutex mutex;
  std::vector<std::string> order;
  std::promise<Outcome> merged;
  std::promise<void> other;
  q.writer.submit(Command{"t", "test", MergeContacts{"big", "target", {}}}, [&](Outcome o) {
    {
      std::lock_guard lock(mutex);
      order.push_back("merge");
    }
    merged.set_value(std::move(o));
  });
  q.writer.submit(ingest_command("u", {event("view", 1)}), [&](Outcome) {
    {
      std::lock_guard lock(mutex);
      order.push_back("other");
    }
    other.set_value();
  });
  q.writer.start();
  other.get_future().get();
  auto outcome = merged.get_future().get();
  ASSERT_TRUE(std::holds_alternative<Merged>(outcome));
  EXPECT_EQ(std::get<Merged>(outcome).moved, 3500u);
  EXPECT_EQ(std::get<Merged>(outcome).into, "target");
  EXPECT_EQ(order, (std::vector<std::string>{"other", "merge"}));
  // Four records of at most kStepEvents moved events each, and the other tenant's in between.
  std::vector<std::size_t> steps;
  {
    auto reader = q.store.read();
    LogCursor cursor(reader.txn(), q.log);
    for (bool ok = cursor.seek(before + 1); ok; ok = cursor.next()) {
      RecordView view(cursor.bytes());
      auto fact = view.root().getFact();
      if (fact.isContactsMerged()) steps.push_back(fact.getContactsMerged().getMoved().size());
    }
  }
  EXPECT_EQ(steps, (std::vector<std::size_t>{1000, 1000, 1000, 500}));
  EventFilter f;
  f.contact_id = "target";
  EXPECT_EQ(count(q, "t", f), 3500u);
  f.contact_id = "big";
  EXPECT_EQ(count(q, "t", f), 0u);
  // The write model sees the merge at once: events of `big` now land on `target`.
  ASSERT_TRUE(std::holds_alternative<Ingested>(q.submit(ingest_command("t", {event("view", 9000, "member")}))));
  f.contact_id = "target";
  EXPECT_EQ(count(q, "t", f), 3501u);
}

// The file descriptor LMDB writes an environment's meta pages through (opened after the one for
// data pages, both on data.mdb).
int meta_fd(const std::filesystem::path& data_file) {
  int last = -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target == std::filesystem::canonical(data_file)) {
      last = std::max(last, std::stoi(entry.path().filename().string()));
    }
  }
  return last;
}

TEST(Writer, AFatalStoreErrorGoesToTheFatalHandler) {
  test::TempDir dir;
  Store store(data_dir::log_dir(dir.path()));
  Log log(store);
  WriteModel model(store, log);
  Writer writer(store, log, model);
  std::promise<std::string> fatal;
  std::atomic<bool> fired{false};
  writer.set_fatal([&](const std::string& message) {
    if (!fired.exchange(true)) fatal.set_value(message);
    throw std::runtime_error("fatal");  // (the real handler exits; this one must not return either)
  });
  writer.start();
  std::promise<Outcome> first;
  writer.submit(ingest_command("t", {event("view", 1)}), [&](Outcome o) { first.set_value(std::move(o)); });
  ASSERT_TRUE(std::holds_alternative<Ingested>(first.get_future().get()));
  // From now on the meta page cannot be written: LMDB marks the environment failed (MDB_PANIC).
  const int fd = meta_fd(data_dir::log_dir(dir.path()) / "data.mdb");
  ASSERT_GE(fd, 0);
  const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  ASSERT_EQ(::dup2(full, fd), fd);
  ::close(full);
  // One command at a time: the first commit fails to write its meta page (507), the next finds
  // the environment failed.
  for (int i = 0; i < 3 && !fired; ++i) {
    std::promise<Outcome> answered;
    writer.submit(ingest_command("t", {event("view", 2 + i)}), [&](Outcome o) { answered.set_value(std::move(o)); });
    EXPECT_TRUE(std::holds_alternative<Rejection>(answered.get_future().get())) << "nothing is acknowledged after the failure";
  }
  ASSERT_TRUE(fired);
  auto message = fatal.get_future().get();
  EXPECT_NE(message.find("MDB_PANIC"), std::string::npos) << message;
  writer.stop();
}

}  // namespace
}  // namespace eventsd

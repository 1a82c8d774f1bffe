#include <gtest/gtest.h>

#include <capnp/message.h>

#include <fstream>
#include <string>

#include "eventlog/keys.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "tests/support/append_record.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

// Appends one eventsDeleted record naming `marker`, committed in its own transaction.
std::uint64_t append_marker(Store& store, Log& log, const std::string& marker) {
  return test::append_record(
      store, log, "t1",
      [&](schema::LogRecord::Builder record) {
        record.setRecordedAt(1700000000000);
        record.initFact().initEventsDeleted().initIds(1).set(0, marker);
      },
      [](lmdb::Txn&, std::uint64_t, schema::LogRecord::Reader) {});
}

std::string marker_at(Store& store, Log& log, std::uint64_t position) {
  auto reader = store.read();
  std::string_view bytes;
  EXPECT_TRUE(log.read(reader.txn(), position, bytes));
  RecordView view(bytes);
  return view.root().getFact().getEventsDeleted().getIds()[0].cStr();
}

TEST(Log, AppendsAtDensePositionsAndReadsBack) {
  test::TempDir dir;
  Store store(dir.path());
  Log log(store);
  EXPECT_EQ(log.head().position, 0u);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(append_marker(store, log, "m" + std::to_string(i)), i);
  EXPECT_EQ(marker_at(store, log, 3), "m3");

  auto reader = store.read();
  LogCursor cursor(reader.txn(), log);
  std::vector<std::uint64_t> seen;
  for (bool ok = cursor.seek(2); ok; ok = cursor.next()) seen.push_back(cursor.position());
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{2, 3, 4, 5}));
}

TEST(Log, ReopenContinuesTheChain) {
  test::TempDir dir;
  LogHead before;
  {
    Store store(dir.path());
    Log log(store);
    append_marker(store, log, "a");
    append_marker(store, log, "b");
    before = log.head();
  }
  Store store(dir.path());
  Log log(store);
  EXPECT_EQ(log.head(), before);
  EXPECT_EQ(append_marker(store, log, "c"), 3u);
  auto reader = store.read();
  auto check = verify_chain(reader.txn(), log);
  EXPECT_TRUE(check.ok) << check.problem;
  EXPECT_EQ(check.records, 3u);
  std::string_view bytes;
  ASSERT_TRUE(log.read(reader.txn(), 3, bytes));
  RecordView view(bytes);
  auto prev = view.root().getPrevHash();
  ASSERT_EQ(prev.size(), 32u);
  EXPECT_EQ(std::memcmp(prev.begin(), before.hash.data(), 32), 0);
}

// Flips one byte of the record at `position` behind the log's back.
void flip_byte(Store& store, Log& log, std::uint64_t position, std::size_t offset) {
  store.write([&](lmdb::Txn& txn) {
    std::string_view bytes;
    ASSERT_TRUE(log.read(txn, position, bytes));
    std::string copy(bytes);
    copy[offset % copy.size()] ^= 0x01;
    txn.put(log.db(), keys::native_u64(position), copy);
  });
}

TEST(Log, HashChainDetectsAFlippedByteInAnyRecord) {
  for (std::uint64_t victim = 1; victim <= 4; ++victim) {
    test::TempDir dir;
    Store store(dir.path());
    Log log(store);
    for (int i = 0; i < 4; ++i) append_marker(store, log, "marker-" + std::to_string(i));
    {
      auto reader = store.read();
      ASSERT_TRUE(verify_chain(reader.txn(), log).ok);
    }
    // Offset 60 falls in the text of the marker, past the segment table and pointers.
    flip_byte(store, log, victim, 60);
    auto reader = store.read();
    auto check = verify_chain(reader.txn(), log);
    EXPECT_FALSE(check.ok) << "flip in record " << victim << " went unnoticed";
    // The damage shows at the record after the victim, or at the head for the last record.
    EXPECT_EQ(check.bad_position, victim == 4 ? 4 : victim + 1);
  }
}

TEST(Log, ALostTailIsRefusedBeforeAnyAppend) {
  test::TempDir dir;
  {
    Store store(dir.path());
    Log log(store);
    for (int i = 0; i < 3; ++i) append_marker(store, log, "m" + std::to_string(i));
    auto reader = store.read();
    EXPECT_NO_THROW(log.check_tail(reader.txn()));
  }
  {
    // The last record goes missing (a restored partial copy, a tampered file).
    Store store(dir.path());
    Log log(store);
    store.write([&](lmdb::Txn& txn) { ASSERT_TRUE(txn.del(log.db(), keys::native_u64(3))); });
  }
  Store store(dir.path());
  Log log(store);
  EXPECT_EQ(log.head().position, 2u);
  auto reader = store.read();
  EXPECT_THROW(log.check_tail(reader.txn()), std::runtime_error);
}

TEST(Store, TheMapIsSizedFromTheVolumeAndReadersAdoptIt) {
  test::TempDir dir;
  const std::size_t volume = volume_map_size(dir.path());
  EXPECT_GE(volume, std::size_t{1} << 30);
  EXPECT_EQ(volume % (std::size_t{1} << 30), 0u);
  {
    Store store(dir.path());
    Log log(store);
    EXPECT_EQ(store.env().map_size(), volume);
    append_marker(store, log, "one");
  }
  // A read-only opener (a tool) takes the size the environment records: never a remap.
  Store reader(dir.path(), StoreOptions{.map_size = 0, .read_only = true, .create = false});
  EXPECT_EQ(reader.env().map_size(), volume);
}

TEST(Store, AMissingStoreIsRefusedUnlessCreated) {
  test::TempDir dir;
  EXPECT_THROW(Store(dir.path() / "typo", StoreOptions{.map_size = 0, .read_only = true, .create = false}), NoStore);
  EXPECT_THROW(Store(dir.path() / "typo", StoreOptions{.map_size = 0, .read_only = false, .create = false}), NoStore);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "typo"));
  Store created(dir.path() / "new");
  EXPECT_TRUE(Store::exists(dir.path() / "new"));
}

TEST(Keys, PreserveOrder) {
  using keys::Key;
  EXPECT_LT(Key().i64(-5).str(), Key().i64(3).str());
  EXPECT_LT(Key().i64(3).str(), Key().i64(1LL << 40).str());
  EXPECT_LT(Key().str("ab").u64(99).str(), Key().str("abc").u64(0).str());
  EXPECT_LT(Key().u32(1).u64(~0ull).str(), Key().u32(2).u64(0).str());
  EXPECT_EQ(keys::prefix_end("ab\xff"), "ac");
  EXPECT_EQ(keys::read_i64(Key().i64(-42).str(), 0), -42);
}

}  // namespace
}  // namespace eventsd

// The change journal of lmdb::Txn and the system log's message encoding (cluster/system_log.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eventlog/lmdb.h"
#include "eventlog/store.h"
#include "cluster/system_log.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

using Changes = std::vector<std::tuple<MDB_dbi, std::string, std::optional<std::string>>>;

Changes flat(const lmdb::Journal& journal) {
  Changes out;
  for (const auto& c : journal) out.emplace_back(c.dbi, c.key, c.value);
  return out;
}

TEST(Journal, RecordsPutsDeletesAndCursorDeletesInOrder) {
  test::TempDir dir;
  Store store(dir.path());
  const MDB_dbi a = store.db("a"), b = store.db("b");
  store.write([&](lmdb::Txn& txn) {
    txn.put(a, "gone", "x");
    txn.put(a, "walked", "y");
  });

  lmdb::Journal journal;
  {
    auto txn = store.begin_write();
    txn.record_to(&journal);
    txn.put(a, "k1", "v1");
    txn.put_likely_last(b, "z", "last");
    EXPECT_TRUE(txn.del(a, "gone"));
    EXPECT_FALSE(txn.del(a, "never there"));  // nothing deleted: nothing recorded
    {
      lmdb::Cursor cursor(txn, a);
      ASSERT_TRUE(cursor.seek("walked"));
      cursor.del();
      cursor.append("zz", "appended");
    }
    txn.put(a, "k1", "v2");  // a second put of a key is a second change, after the first
    txn.abort();
  }
  const Changes expected = {{a, "k1", "v1"},          {b, "z", "last"},  {a, "gone", std::nullopt},
                            {a, "walked", std::nullopt}, {a, "zz", "appended"}, {a, "k1", "v2"}};
  EXPECT_EQ(flat(journal), expected);

  // The transaction was aborted: the journal is all there is of it.
  auto reader = store.read();
  std::string_view v;
  EXPECT_FALSE(reader.txn().get(a, "k1", v));
  EXPECT_TRUE(reader.txn().get(a, "gone", v));
}

TEST(Journal, NothingIsRecordedWithoutAJournalOrAfterDetaching) {
  test::TempDir dir;
  Store store(dir.path());
  const MDB_dbi a = store.db("a");
  lmdb::Journal journal;
  auto txn = store.begin_write();
  txn.put(a, "before", "1");  // not recording yet
  EXPECT_EQ(txn.journal(), nullptr);
  txn.record_to(&journal);
  txn.put(a, "during", "2");
  txn.record_to(nullptr);
  txn.put(a, "after", "3");
  {
    lmdb::Cursor cursor(txn, a);
    ASSERT_TRUE(cursor.first());
    cursor.del();  // a cursor opened while not recording records nothing
  }
  txn.commit();
  EXPECT_EQ(flat(journal), (Changes{{a, "during", "2"}}));
}

TEST(Journal, ReserveAndClearAreRefusedWhileRecording) {
  test::TempDir dir;
  Store store(dir.path());
  const MDB_dbi a = store.db("a");
  lmdb::Journal journal;
  auto txn = store.begin_write();
  txn.record_to(&journal);
  EXPECT_THROW(txn.reserve(a, "k", 4), std::logic_error);
  EXPECT_THROW(txn.clear(a), std::logic_error);
  EXPECT_TRUE(journal.empty());
}

TEST(SystemChanges, EncodeDecodeRoundTrip) {
  const std::vector<SystemChange> changes = {
      {"tokens", std::string("\x00\xff key", 6), std::string(300, 'v')},
      {"sessions", "gone", std::nullopt},
      {"users", "", std::string()},  // an empty key and an empty value are still a put
  };
  const std::string bytes = encode_system_changes(changes);
  EXPECT_EQ(bytes[0], 1);  // the format
  EXPECT_EQ(decode_system_changes(bytes), changes);
  EXPECT_TRUE(decode_system_changes(encode_system_changes({})).empty());
}

TEST(SystemChanges, MalformedMessagesAreRefused) {
  const std::string good = encode_system_changes({{"tokens", "k", "v"}, {"users", "u", std::nullopt}});
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_THROW(decode_system_changes(good.substr(0, n)), std::invalid_argument) << "prefix " << n;
  }
  EXPECT_THROW(decode_system_changes(good + "x"), std::invalid_argument);
  std::string other_format = good;
  other_format[0] = 2;
  EXPECT_THROW(decode_system_changes(other_format), std::invalid_argument);
  std::string bad_op = encode_system_changes({{"t", "k", std::nullopt}});
  bad_op[4] = 7;  // format, count, name length, name, op
  EXPECT_THROW(decode_system_changes(bad_op), std::invalid_argument);
  // A count far beyond the bytes that follow is refused before anything is allocated for it.
  EXPECT_THROW(decode_system_changes(std::string("\x01\xff\xff\xff\xff\x0f", 6)), std::invalid_argument);
  EXPECT_THROW(decode_system_changes(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12)),
               std::invalid_argument);
}

}  // namespace
}  // namespace eventsd

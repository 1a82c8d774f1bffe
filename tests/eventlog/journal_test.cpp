// The change journal of lmdb::Txn (eventlog/lmdb.h), what cluster mode replicates (cluster/system_log.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eventlog/lmdb.h"
#include "eventlog/store.h"
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

}  // namespace
}  // namespace eventsd

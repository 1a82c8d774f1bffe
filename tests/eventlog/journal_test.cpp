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

// A store with two databases, and a journal for a transaction to record into.
class Journal : public ::testing::Test {
 protected:
  test::TempDir dir_;
  Store store_{dir_.path()};
  const MDB_dbi a_ = store_.db("a"), b_ = store_.db("b");
  lmdb::Journal journal_;
};

TEST_F(Journal, RecordsPutsDeletesAndCursorDeletesInOrder) {
  store_.write([&](lmdb::Txn& txn) {
    txn.put(a_, "gone", "x");
    txn.put(a_, "walked", "y");
  });

  {
    auto txn = store_.begin_write();
    txn.record_to(&journal_);
    txn.put(a_, "k1", "v1");
    txn.put_likely_last(b_, "z", "last");
    EXPECT_TRUE(txn.del(a_, "gone"));
    EXPECT_FALSE(txn.del(a_, "never there"));  // nothing deleted: nothing recorded
    {
      lmdb::Cursor cursor(txn, a_);
      ASSERT_TRUE(cursor.seek("walked"));
      cursor.del();
      cursor.append("zz", "appended");
    }
    txn.put(a_, "k1", "v2");  // a second put of a key is a second change, after the first
    txn.abort();
  }
  const Changes expected = {{a_, "k1", "v1"},           {b_, "z", "last"},       {a_, "gone", std::nullopt},
                            {a_, "walked", std::nullopt}, {a_, "zz", "appended"}, {a_, "k1", "v2"}};
  EXPECT_EQ(flat(journal_), expected);

  // The transaction was aborted: the journal is all there is of it.
  auto reader = store_.read();
  std::string_view v;
  EXPECT_FALSE(reader.txn().get(a_, "k1", v));
  EXPECT_TRUE(reader.txn().get(a_, "gone", v));
}

TEST_F(Journal, NothingIsRecordedWithoutAJournalOrAfterDetaching) {
  auto txn = store_.begin_write();
  txn.put(a_, "before", "1");  // not recording yet
  EXPECT_EQ(txn.journal(), nullptr);
  txn.record_to(&journal_);
  txn.put(a_, "during", "2");
  txn.record_to(nullptr);
  txn.put(a_, "after", "3");
  {
    lmdb::Cursor cursor(txn, a_);
    ASSERT_TRUE(cursor.first());
    cursor.del();  // a cursor opened while not recording records nothing
  }
  txn.commit();
  EXPECT_EQ(flat(journal_), (Changes{{a_, "during", "2"}}));
}

TEST_F(Journal, ReserveAndClearAreRefusedWhileRecording) {
  auto txn = store_.begin_write();
  txn.record_to(&journal_);
  EXPECT_THROW(txn.reserve(a_, "k", 4), std::logic_error);
  EXPECT_THROW(txn.clear(a_), std::logic_error);
  EXPECT_TRUE(journal_.empty());
}

}  // namespace
}  // namespace eventsd

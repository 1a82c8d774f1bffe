// Damage for tests of `eventctl verify`: a read-model row changed behind the log's back.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "eventlog/lmdb.h"
#include "eventlog/store.h"

namespace eventsd::test {

// Flips the lowest bit of the first counter (database rm_counts) of the read-model generation
// in `generation_dir`. The generation must not be open elsewhere for writing.
inline void flip_a_counter(const std::filesystem::path& generation_dir) {
  Store store(generation_dir);
  const MDB_dbi counts = store.db("rm_counts");
  store.write([&](lmdb::Txn& txn) {
    lmdb::Cursor cursor(txn, counts);
    ASSERT_TRUE(cursor.first());
    std::string value(cursor.value());
    value[0] ^= 0x01;
    txn.put(counts, std::string(cursor.key()), value);
  });
}

}  // namespace eventsd::test

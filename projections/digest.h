// A digest of a database's whole content (every key and value, in key order), to compare a read
// model with a fresh replay of the log without holding both in memory.
#pragma once

#include "eventlog/lmdb.h"
#include "eventlog/sha256.h"

namespace eventsd {

Sha256 digest_db(const lmdb::Txn& txn, MDB_dbi db);

}  // namespace eventsd

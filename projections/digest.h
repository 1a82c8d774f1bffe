// A digest of a database's whole content (every key and value, in key order), to compare a read
// model with a fresh replay of the log without holding both in memory.
#pragma once

#include <string>
#include <vector>

#include "eventlog/lmdb.h"
#include "common/hash.h"

namespace eventsd {

Sha256 digest_db(const lmdb::Txn& txn, MDB_dbi db);

// One digest for several databases: SHA-256 over each one's name and digest, in the order given
// (what `eventctl verify` prints for a generation's read models; equal on every node that folded
// the same log to the same position).
Sha256 combine_digests(const std::vector<std::string>& names, const std::vector<Sha256>& digests);

}  // namespace eventsd

#include "projections/digest.h"

#include <cstdint>
#include <stdexcept>

namespace eventsd {

namespace {

// Length-prefixed, so that ("ab","c") and ("a","bc") differ.
void feed(Sha256Hasher& hasher, std::string_view bytes) {
  const std::uint64_t n = bytes.size();
  hasher.update(std::string_view(reinterpret_cast<const char*>(&n), sizeof n));
  hasher.update(bytes);
}

}  // namespace

Sha256 digest_db(const lmdb::Txn& txn, MDB_dbi db) {
  Sha256Hasher hasher;
  lmdb::Cursor cursor(txn, db);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    feed(hasher, cursor.key());
    feed(hasher, cursor.value());
  }
  return hasher.finish();
}

Sha256 combine_digests(const std::vector<std::string>& names, const std::vector<Sha256>& digests) {
  if (names.size() != digests.size()) throw std::invalid_argument("combine_digests: a name per digest");
  Sha256Hasher hasher;
  for (std::size_t i = 0; i < names.size(); ++i) {
    feed(hasher, names[i]);
    feed(hasher, as_view(digests[i]));
  }
  return hasher.finish();
}

}  // namespace eventsd

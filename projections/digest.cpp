#include "projections/digest.h"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace eventsd {

Sha256 digest_db(const lmdb::Txn& txn, MDB_dbi db) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
  auto feed = [&](std::string_view bytes) {
    // Length-prefixed, so that ("ab","c") and ("a","bc") differ.
    const std::uint64_t n = bytes.size();
    EVP_DigestUpdate(ctx.get(), &n, sizeof n);
    EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  };
  lmdb::Cursor cursor(txn, db);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    feed(cursor.key());
    feed(cursor.value());
  }
  Sha256 out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

}  // namespace eventsd

#include "projections/digest.h"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace eventsd {

namespace {

using Ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

Ctx sha256_context() {
  Ctx ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_DigestInit_ex failed");
  }
  return ctx;
}

// Length-prefixed, so that ("ab","c") and ("a","bc") differ.
void feed(EVP_MD_CTX* ctx, std::string_view bytes) {
  const std::uint64_t n = bytes.size();
  EVP_DigestUpdate(ctx, &n, sizeof n);
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
}

Sha256 finish(EVP_MD_CTX* ctx) {
  Sha256 out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

}  // namespace

Sha256 digest_db(const lmdb::Txn& txn, MDB_dbi db) {
  Ctx ctx = sha256_context();
  lmdb::Cursor cursor(txn, db);
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    feed(ctx.get(), cursor.key());
    feed(ctx.get(), cursor.value());
  }
  return finish(ctx.get());
}

Sha256 combine_digests(const std::vector<std::string>& names, const std::vector<Sha256>& digests) {
  if (names.size() != digests.size()) throw std::invalid_argument("combine_digests: a name per digest");
  Ctx ctx = sha256_context();
  for (std::size_t i = 0; i < names.size(); ++i) {
    feed(ctx.get(), names[i]);
    feed(ctx.get(), as_view(digests[i]));
  }
  return finish(ctx.get());
}

}  // namespace eventsd

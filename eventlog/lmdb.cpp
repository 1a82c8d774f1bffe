#include "eventlog/lmdb.h"

#include <stdexcept>
#include <string>

namespace eventsd::lmdb {

Error::Error(const char* what, int code)
    : std::runtime_error(std::string(what) + ": " + mdb_strerror(code)), code_(code) {}

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw Error(what, rc);
}

Env Env::open(const std::filesystem::path& dir, const EnvOptions& options) {
  MDB_env* raw = nullptr;
  check(mdb_env_create(&raw), "mdb_env_create");
  Env env(raw);
  check(mdb_env_set_maxdbs(raw, options.max_dbs), "mdb_env_set_maxdbs");
  check(mdb_env_set_maxreaders(raw, options.max_readers), "mdb_env_set_maxreaders");
  if (options.map_size) check(mdb_env_set_mapsize(raw, options.map_size), "mdb_env_set_mapsize");
  // MDB_NOTLS: read slots belong to transactions, not threads, so coroutine-driven readers may
  // hold more than one and finish on another thread than they started.
  unsigned flags = MDB_NOTLS;
  if (options.read_only) flags |= MDB_RDONLY;
  if (options.no_sync) flags |= MDB_NOSYNC;
  // The files are the user's alone: the log, hashes of passwords and of tokens (docs/security.md,
  // "Files and metadata").
  check(mdb_env_open(raw, dir.c_str(), flags, 0600), "mdb_env_open");
  return env;
}

Env& Env::operator=(Env&& other) noexcept {
  if (this != &other) {
    if (env_) mdb_env_close(env_);
    env_ = std::exchange(other.env_, nullptr);
  }
  return *this;
}

Env::~Env() {
  if (env_) mdb_env_close(env_);
}

std::size_t Env::map_size() const {
  MDB_envinfo info;
  check(mdb_env_info(env_, &info), "mdb_env_info");
  return info.me_mapsize;
}

std::uint64_t Env::last_txnid() const {
  MDB_envinfo info;
  check(mdb_env_info(env_, &info), "mdb_env_info");
  return info.me_last_txnid;
}

void Env::sync() { check(mdb_env_sync(env_, 1), "mdb_env_sync"); }

std::size_t Env::used_bytes() const {
  MDB_envinfo info;
  check(mdb_env_info(env_, &info), "mdb_env_info");
  MDB_stat stat;
  check(mdb_env_stat(env_, &stat), "mdb_env_stat");
  return (info.me_last_pgno + 1) * stat.ms_psize;
}

void Env::set_map_size(std::size_t bytes) {
  check(mdb_env_set_mapsize(env_, bytes), "mdb_env_set_mapsize");
}

Txn Txn::begin(MDB_env* env, unsigned flags, MDB_txn* parent) {
  MDB_txn* raw = nullptr;
  check(mdb_txn_begin(env, parent, flags, &raw), "mdb_txn_begin");
  return Txn(raw, (flags & MDB_RDONLY) != 0);
}

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    abort();
    txn_ = std::exchange(other.txn_, nullptr);
    read_only_ = other.read_only_;
    journal_ = std::exchange(other.journal_, nullptr);
  }
  return *this;
}

void Txn::commit() {
  MDB_txn* t = std::exchange(txn_, nullptr);
  // mdb_txn_commit frees the transaction whether or not it succeeds.
  check(mdb_txn_commit(t), "mdb_txn_commit");
}

void Txn::renew() {
  mdb_txn_reset(txn_);
  check(mdb_txn_renew(txn_), "mdb_txn_renew");
}

void Txn::abort() noexcept {
  if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

bool Txn::get(MDB_dbi dbi, std::string_view key, std::string_view& out) const {
  MDB_val k = to_val(key), v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "mdb_get");
  out = to_view(v);
  return true;
}

void Txn::note(MDB_dbi dbi, std::string_view key, const std::string_view* value) {
  journal_->push_back(Change{dbi, std::string(key),
                             value ? std::optional<std::string>(std::in_place, *value) : std::nullopt});
}

void Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = to_val(key), v = to_val(value);
  check(mdb_put(txn_, dbi, &k, &v, flags), "mdb_put");
  if (journal_) note(dbi, key, &value);
}

void Txn::put_likely_last(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  const int rc = mdb_put(txn_, dbi, &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) return put(dbi, key, value);
  check(rc, "mdb_put(append)");
  if (journal_) note(dbi, key, &value);
}

std::span<char> Txn::reserve(MDB_dbi dbi, std::string_view key, std::size_t size,
                             unsigned flags) {
  if (journal_) throw std::logic_error("lmdb::Txn::reserve while recording a journal");
  MDB_val k = to_val(key), v{size, nullptr};
  check(mdb_put(txn_, dbi, &k, &v, flags | MDB_RESERVE), "mdb_put(reserve)");
  return {static_cast<char*>(v.mv_data), size};
}

bool Txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "mdb_del");
  if (journal_) note(dbi, key, nullptr);
  return true;
}

void Txn::clear(MDB_dbi dbi) {
  if (journal_) throw std::logic_error("lmdb::Txn::clear while recording a journal");
  check(mdb_drop(txn_, dbi, 0), "mdb_drop");
}

std::size_t Txn::entries(MDB_dbi dbi) const {
  MDB_stat stat;
  check(mdb_stat(txn_, dbi, &stat), "mdb_stat");
  return stat.ms_entries;
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) : journal_(txn.journal()), dbi_(dbi) {
  check(mdb_cursor_open(txn.get(), dbi, &cursor_), "mdb_cursor_open");
}

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    if (cursor_) mdb_cursor_close(cursor_);
    cursor_ = std::exchange(other.cursor_, nullptr);
    key_ = other.key_;
    value_ = other.value_;
    journal_ = other.journal_;
    dbi_ = other.dbi_;
  }
  return *this;
}

Cursor::~Cursor() {
  if (cursor_) mdb_cursor_close(cursor_);
}

bool Cursor::op(MDB_cursor_op o) {
  int rc = mdb_cursor_get(cursor_, &key_, &value_, o);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "mdb_cursor_get");
  return true;
}

bool Cursor::seek(std::string_view k) {
  key_ = to_val(k);
  return op(MDB_SET_RANGE);
}

bool Cursor::seek_last_at_or_before(std::string_view k) {
  if (!seek(k)) return last();
  if (key() == k) return true;
  return prev();
}

void Cursor::append(std::string_view key, std::string_view value) {
  MDB_val k = to_val(key), v = to_val(value);
  check(mdb_cursor_put(cursor_, &k, &v, MDB_APPEND), "mdb_cursor_put(append)");
  if (journal_) journal_->push_back(Change{dbi_, std::string(key), std::string(value)});
}

void Cursor::del() {
  // The key is copied first: after the deletion key_ may point at a reused page.
  std::optional<std::string> key;
  if (journal_) key.emplace(this->key());
  check(mdb_cursor_del(cursor_, 0), "mdb_cursor_del");
  if (journal_) journal_->push_back(Change{dbi_, std::move(*key), std::nullopt});
}

MDB_dbi open_db(const Txn& txn, const char* name, unsigned flags) {
  MDB_dbi dbi;
  check(mdb_dbi_open(txn.get(), name, flags, &dbi), "mdb_dbi_open");
  return dbi;
}

}  // namespace eventsd::lmdb

// Move-only RAII wrappers over the LMDB C API.
//
// Contract, as lmdb.h states it and as this project relies on it:
//  * An MDB_val handed out by Txn::get or Cursor points into the memory map and is valid only
//    until the transaction ends, and in a write transaction only until its next write to any
//    database (a page written earlier in the same transaction may be spilled and its memory
//    reused). Copy or decode first.
//  * A write transaction is used by one thread at a time. Read transactions are opened with
//    MDB_NOTLS (see Env::open), so several may live on one thread and one may move between
//    threads, but never be used by two threads at once.
//  * Errors other than "not found" are thrown as lmdb::Error; the code tells MDB_MAP_FULL,
//    MDB_MAP_RESIZED and errno values (ENOSPC) apart so callers can react.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventsd::lmdb {

class Error : public std::runtime_error {
 public:
  Error(const char* what, int code);
  int code() const noexcept { return code_; }
  bool map_full() const noexcept { return code_ == MDB_MAP_FULL; }
  bool map_resized() const noexcept { return code_ == MDB_MAP_RESIZED; }

 private:
  int code_;
};

// Throws Error unless rc is MDB_SUCCESS.
void check(int rc, const char* what);

inline MDB_val to_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
inline std::string_view to_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

struct EnvOptions {
  // 0: the size the environment records (LMDB's default for a new one).
  std::size_t map_size = 0;
  unsigned max_dbs = 64;
  unsigned max_readers = 1024;
  bool read_only = false;
  // Commits are not flushed (MDB_NOSYNC): for data that can be rebuilt. A process crash loses
  // nothing (the kernel has the pages); an OS crash may tear what was committed since the last
  // Env::sync.
  bool no_sync = false;
};

class Env {
 public:
  // Opens (creating if needed) the environment in directory `dir`, which must exist.
  static Env open(const std::filesystem::path& dir, const EnvOptions& options);

  Env() = default;
  Env(Env&& other) noexcept : env_(std::exchange(other.env_, nullptr)) {}
  Env& operator=(Env&& other) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env();

  MDB_env* get() const noexcept { return env_; }
  std::size_t map_size() const;
  // The id of the last committed transaction.
  std::uint64_t last_txnid() const;
  // Flushes every committed transaction to disk (for an environment opened with no_sync).
  void sync();
  // Bytes of the map in use (last page number times page size).
  std::size_t used_bytes() const;
  // Only legal while no transaction of this process is open. 0 adopts the size another
  // process recorded (the answer to MDB_MAP_RESIZED).
  void set_map_size(std::size_t bytes);

 private:
  explicit Env(MDB_env* env) : env_(env) {}
  MDB_env* env_ = nullptr;
};

// One change a write transaction made: `value` is what was put, nullopt a deletion.
struct Change {
  MDB_dbi dbi;
  std::string key;
  std::optional<std::string> value;
};
// The changes of a write transaction, in the order they were made (Txn::record_to). Cluster mode
// replicates the system databases by shipping a journal instead of committing it
// (cluster/system_log.h).
using Journal = std::vector<Change>;

class Txn {
 public:
  static Txn begin(MDB_env* env, unsigned flags, MDB_txn* parent = nullptr);

  Txn() = default;
  Txn(Txn&& other) noexcept
      : txn_(std::exchange(other.txn_, nullptr)), read_only_(other.read_only_),
        journal_(std::exchange(other.journal_, nullptr)) {}
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { abort(); }

  MDB_txn* get() const noexcept { return txn_; }
  explicit operator bool() const noexcept { return txn_ != nullptr; }
  bool read_only() const noexcept { return read_only_; }

  void commit();
  void abort() noexcept;
  // A read-only transaction moves to the newest snapshot (mdb_txn_reset, mdb_txn_renew): every
  // value read before, and every cursor on it, is invalid after. The handle stays the same.
  void renew();

  // From now on every put, put_likely_last, del, Cursor::del and Cursor::append of this
  // transaction (and of cursors opened on it afterwards) is appended to `journal`, after it
  // succeeded; null stops recording. The journal must outlive the recording. reserve() and
  // clear() throw std::logic_error while recording (their effect is not a key and a value).
  // Without a journal nothing is recorded and the writes cost one pointer test.
  void record_to(Journal* journal) noexcept { journal_ = journal; }
  Journal* journal() const noexcept { return journal_; }

  // Returns false when the key is absent. `out` is valid until the transaction ends.
  bool get(MDB_dbi dbi, std::string_view key, std::string_view& out) const;
  void put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  // Puts a key that is probably the largest of the database with MDB_APPEND (no search, and full
  // pages instead of half-split ones), falling back to an ordinary put when it is not.
  void put_likely_last(MDB_dbi dbi, std::string_view key, std::string_view value);
  // Reserves `size` bytes for the value and returns them for the caller to fill before the
  // next write to this database.
  std::span<char> reserve(MDB_dbi dbi, std::string_view key, std::size_t size, unsigned flags = 0);
  // Returns false when the key was absent.
  bool del(MDB_dbi dbi, std::string_view key);
  // Removes every entry of the database (keeps the database itself).
  void clear(MDB_dbi dbi);
  std::size_t entries(MDB_dbi dbi) const;

 private:
  Txn(MDB_txn* txn, bool read_only) : txn_(txn), read_only_(read_only) {}
  void note(MDB_dbi dbi, std::string_view key, const std::string_view* value);
  MDB_txn* txn_ = nullptr;
  bool read_only_ = false;
  Journal* journal_ = nullptr;
};

class Cursor {
 public:
  Cursor(const Txn& txn, MDB_dbi dbi);
  Cursor(Cursor&& other) noexcept
      : cursor_(std::exchange(other.cursor_, nullptr)), key_(other.key_), value_(other.value_),
        journal_(other.journal_), dbi_(other.dbi_) {}
  Cursor& operator=(Cursor&& other) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // Each positioning call returns false when there is no such entry; on true, key() and
  // value() describe the entry under the cursor.
  bool first() { return op(MDB_FIRST); }
  bool last() { return op(MDB_LAST); }
  bool next() { return op(MDB_NEXT); }
  bool prev() { return op(MDB_PREV); }
  // First entry with key >= k.
  bool seek(std::string_view k);
  // Last entry with key <= k.
  bool seek_last_at_or_before(std::string_view k);

  std::string_view key() const { return to_view(key_); }
  std::string_view value() const { return to_view(value_); }
  // Deletes the entry under the cursor (write transactions only).
  void del();
  // Puts a key greater than every key of the database (MDB_APPEND: no search, full pages).
  // Throws (MDB_KEYEXIST) when it is not.
  void append(std::string_view key, std::string_view value);
  MDB_cursor* get() const noexcept { return cursor_; }

 private:
  bool op(MDB_cursor_op o);
  MDB_cursor* cursor_ = nullptr;
  MDB_val key_{};
  MDB_val value_{};
  Journal* journal_ = nullptr;  // the transaction's, when it records (Txn::record_to)
  MDB_dbi dbi_ = 0;
};

// Opens (creating) a named database inside `txn`.
MDB_dbi open_db(const Txn& txn, const char* name, unsigned flags);

}  // namespace eventsd::lmdb

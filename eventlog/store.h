// Store: one LMDB environment in its own directory — the log's (durable: every commit is flushed)
// or a read-model generation's (derived: commits are not flushed, see StoreOptions::durable).
//
// The memory map is sized once, when the environment is opened, to the size of the volume it is on
// (or --map-size): it only reserves address space — the data file grows as pages are written — and
// it never has to grow while readers are running, so there is no remapping, no gate in front of
// readers, and a full map means a full volume (507 storage_full).
//
// Thread safety: read() may be called from any thread; begin_write() from one thread at a time
// (LMDB serialises writers, across processes too). db() is for start-up.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eventlog/lmdb.h"

namespace eventsd {

// The directory holds no environment and the caller did not ask to create one.
struct NoStore : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct StoreOptions {
  // Size of the memory map. 0: for a process that creates or serves the environment, the size of
  // the volume (at least 1 GiB); for one that opens an existing environment read-only, the size the
  // environment records.
  std::size_t map_size = 0;
  bool read_only = false;
  // Create the directory and the environment when missing; else throw NoStore.
  bool create = true;
  // false: commits are not flushed (derived data); Store::sync() flushes.
  bool durable = true;
};

// The map size StoreOptions::map_size = 0 stands for when `dir` is served: the volume's size.
std::size_t volume_map_size(const std::filesystem::path& dir);

class Store {
 public:
  Store(const std::filesystem::path& dir, const StoreOptions& options = {});
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Whether `dir` holds an environment.
  static bool exists(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  lmdb::Env& env() { return env_; }
  const lmdb::Env& env() const { return env_; }
  bool read_only() const { return options_.read_only; }

  // Opens (creating unless read-only) the named database. Start-up only.
  MDB_dbi db(const std::string& name, unsigned flags = 0);
  // Like db(), but a database the environment lacks is not an error: returns nullopt (read-only
  // tools opening an environment written by another version).
  std::optional<MDB_dbi> find_db(const std::string& name, unsigned flags = 0);

  // A read-only snapshot. Keep it short: it pins the pages it sees.
  class Reader {
   public:
    const lmdb::Txn& txn() const { return txn_; }
    // Moves to the newest snapshot (lmdb::Txn::renew): whatever was read before is invalid.
    void renew() { txn_.renew(); }

   private:
    friend class Store;
    explicit Reader(lmdb::Txn txn) : txn_(std::move(txn)) {}
    lmdb::Txn txn_;
  };
  Reader read() const;

  lmdb::Txn begin_write();

  // Runs f(txn) in a write transaction and commits it.
  template <class F>
  void write(F&& f) {
    auto txn = begin_write();
    f(txn);
    txn.commit();
  }

  // Flushes every commit to disk (a non-durable store's checkpoint).
  void sync() { env_.sync(); }

  // Whether the data file cannot grow: the file system has (almost) no space left for it, or the
  // file reached the process's file-size limit. A failed commit is then "storage full" rather
  // than an I/O fault (LMDB reports a short write as EIO).
  bool out_of_space() const;

 private:
  void clear_stale_readers();

  std::filesystem::path dir_;
  StoreOptions options_;
  lmdb::Env env_;
  std::map<std::string, MDB_dbi> dbs_;
};

// The databases one model keeps in a store (the write model's wm_*, a generation's rm_*), in the
// order they were opened: what a reset clears, what verify digests and names, one by one.
// Thread safety: filled while its owner is constructed, then only read.
class ModelDbs {
 public:
  // Opens the database `name` of `store` (Store::db) and lists it.
  MDB_dbi open(Store& store, const std::string& name) {
    dbs_.push_back(store.db(name));
    names_.push_back(name);
    return dbs_.back();
  }
  const std::vector<MDB_dbi>& dbs() const { return dbs_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<MDB_dbi> dbs_;
  std::vector<std::string> names_;
};

}  // namespace eventsd

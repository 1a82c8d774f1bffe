// Store: the LMDB environment of a data directory, shared by the log, the read models and the
// token table, plus the two things LMDB leaves to its user:
//  * growing the memory map when a write fails with MDB_MAP_FULL, which is only legal while no
//    transaction of the process is open. A writer-preferring gate lets every reader hold a
//    shared lock for the (short) life of its transaction and lets grow() take it exclusively.
//  * adopting a map another process (eventctl) enlarged, signalled as MDB_MAP_RESIZED.
//
// Thread safety: read() may be called from any thread. begin_write() and grow() belong to the
// one writing thread of the process. db() is for start-up, before other threads use the Store.
#pragma once

#include <pthread.h>

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>

#include "eventlog/lmdb.h"

namespace eventsd {

// A readers-writer lock that never starves the writer (glibc's default prefers readers).
class Gate {
 public:
  Gate();
  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  void lock_shared();
  void unlock_shared();
  void lock();
  void unlock();

 private:
  pthread_rwlock_t lock_;
};

struct StoreOptions {
  // Initial size of the memory map; the map doubles whenever a write finds it full.
  std::size_t initial_map_size = std::size_t{256} << 20;
  bool read_only = false;
};

class Store {
 public:
  // Creates `dir` if missing and opens the environment in it.
  Store(const std::filesystem::path& dir, const StoreOptions& options = {});
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  lmdb::Env& env() { return env_; }

  // Opens (creating unless read-only) the named database. Start-up only.
  MDB_dbi db(const std::string& name, unsigned flags = 0);

  // A read-only snapshot. Hold it briefly: while it lives the map cannot grow.
  class Reader {
   public:
    Reader(Reader&&) noexcept;
    Reader& operator=(Reader&&) = delete;
    ~Reader();
    const lmdb::Txn& txn() const { return txn_; }

   private:
    friend class Store;
    Reader(Gate* gate, lmdb::Txn txn) : gate_(gate), txn_(std::move(txn)) {}
    Gate* gate_;
    lmdb::Txn txn_;
  };
  Reader read();

  // Begins the process's write transaction (the writing thread only).
  lmdb::Txn begin_write();

  // Runs f(txn) in a write transaction and commits it, growing the map and running f again
  // when the map is full. For tools and start-up; the server's writer has its own loop.
  template <class F>
  void write(F&& f) {
    for (;;) {
      try {
        auto txn = begin_write();
        f(txn);
        txn.commit();
        return;
      } catch (const lmdb::Error& e) {
        if (!e.map_full()) throw;
      }
      grow();
    }
  }

  // Whether the data file cannot grow: the file system has (almost) no space left for it, or the
  // file reached the process's file-size limit. A failed commit is then "storage full" rather
  // than an I/O fault (LMDB reports a short write as EIO).
  bool out_of_space() const;

  // Enlarges the map after MDB_MAP_FULL. The caller must hold no transaction. Blocks until the
  // readers of this process have finished their snapshots.
  void grow();

 private:
  void adopt_resized_map();
  void clear_stale_readers();

  std::filesystem::path dir_;
  StoreOptions options_;
  lmdb::Env env_;
  Gate gate_;
  std::map<std::string, MDB_dbi> dbs_;
};

}  // namespace eventsd

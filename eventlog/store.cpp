#include "eventlog/store.h"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <mutex>
#include <system_error>

namespace eventsd {

Gate::Gate() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&lock_, &attr);
  pthread_rwlockattr_destroy(&attr);
}
Gate::~Gate() { pthread_rwlock_destroy(&lock_); }
void Gate::lock_shared() { pthread_rwlock_rdlock(&lock_); }
void Gate::unlock_shared() { pthread_rwlock_unlock(&lock_); }
void Gate::lock() { pthread_rwlock_wrlock(&lock_); }
void Gate::unlock() { pthread_rwlock_unlock(&lock_); }

Store::Store(const std::filesystem::path& dir, const StoreOptions& options)
    : dir_(dir), options_(options) {
  if (!options.read_only) std::filesystem::create_directories(dir);
  lmdb::EnvOptions env_options;
  env_options.map_size = options.initial_map_size;
  env_options.read_only = options.read_only;
  env_ = lmdb::Env::open(dir, env_options);
  clear_stale_readers();
}

void Store::clear_stale_readers() {
  // A process killed while reading (an eventctl dump, a crashed server) leaves its reader slot
  // behind, and the snapshot it names keeps LMDB from reusing the pages freed since.
  int cleared = 0;
  mdb_reader_check(env_.get(), &cleared);
}

MDB_dbi Store::db(const std::string& name, unsigned flags) {
  if (auto it = dbs_.find(name); it != dbs_.end()) return it->second;
  MDB_dbi dbi;
  if (options_.read_only) {
    auto txn = lmdb::Txn::begin(env_.get(), MDB_RDONLY);
    dbi = lmdb::open_db(txn, name.c_str(), flags);
    txn.commit();
  } else {
    write([&](lmdb::Txn& txn) { dbi = lmdb::open_db(txn, name.c_str(), flags | MDB_CREATE); });
  }
  return dbs_[name] = dbi;
}

Store::Reader::Reader(Reader&& other) noexcept
    : gate_(std::exchange(other.gate_, nullptr)), txn_(std::move(other.txn_)) {}

Store::Reader::~Reader() {
  txn_.abort();
  if (gate_) gate_->unlock_shared();
}

Store::Reader Store::read() {
  for (;;) {
    gate_.lock_shared();
    try {
      return Reader(&gate_, lmdb::Txn::begin(env_.get(), MDB_RDONLY));
    } catch (const lmdb::Error& e) {
      gate_.unlock_shared();
      if (!e.map_resized()) throw;
    }
    adopt_resized_map();
  }
}

lmdb::Txn Store::begin_write() {
  for (;;) {
    try {
      return lmdb::Txn::begin(env_.get(), 0);
    } catch (const lmdb::Error& e) {
      if (!e.map_resized()) throw;
    }
    adopt_resized_map();
  }
}

bool Store::out_of_space() const {
  constexpr std::uint64_t kHeadroom = 16 << 20;
  struct statvfs fs;
  if (::statvfs(dir_.c_str(), &fs) == 0 &&
      static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize < kHeadroom) {
    return true;
  }
  rlimit limit;
  std::error_code ec;
  const auto size = std::filesystem::file_size(dir_ / "data.mdb", ec);
  return !ec && ::getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
         size + kHeadroom >= limit.rlim_cur;
}

void Store::grow() {
  clear_stale_readers();  // so that the pages they pinned can be reused from now on
  std::lock_guard lock(gate_);
  const std::size_t current = env_.map_size();
  constexpr std::size_t step_cap = std::size_t{8} << 30;
  env_.set_map_size(current + std::min(current, step_cap));
}

void Store::adopt_resized_map() {
  std::lock_guard lock(gate_);
  env_.set_map_size(0);
}

}  // namespace eventsd

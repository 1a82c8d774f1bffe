#include "eventlog/store.h"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <system_error>

namespace eventsd {

std::size_t volume_map_size(const std::filesystem::path& dir) {
  constexpr std::size_t kGiB = std::size_t{1} << 30;
  constexpr std::size_t kMin = kGiB, kMax = std::size_t{16} << 40;
  struct statvfs fs;
  std::size_t size = kMin;
  if (::statvfs(dir.c_str(), &fs) == 0) size = static_cast<std::size_t>(fs.f_blocks) * fs.f_frsize;
  // Whole GiB, so that every process computes the same size for the same volume.
  size = (size + kGiB - 1) / kGiB * kGiB;
  return std::clamp(size, kMin, kMax);
}

bool Store::exists(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / "data.mdb", ec);
}

Store::Store(const std::filesystem::path& dir, const StoreOptions& options)
    : dir_(dir), options_(options) {
  if (!exists(dir)) {
    if (!options.create || options.read_only) throw NoStore(dir.string() + " holds no eventsd data");
    std::filesystem::create_directories(dir);
  }
  lmdb::EnvOptions env_options;
  env_options.read_only = options.read_only;
  env_options.no_sync = !options.durable;
  env_options.map_size = options.map_size;
  if (env_options.map_size == 0 && !options.read_only) env_options.map_size = volume_map_size(dir);
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

std::optional<MDB_dbi> Store::find_db(const std::string& name, unsigned flags) {
  if (!options_.read_only) return db(name, flags);
  if (auto it = dbs_.find(name); it != dbs_.end()) return it->second;
  auto txn = lmdb::Txn::begin(env_.get(), MDB_RDONLY);
  MDB_dbi dbi;
  const int rc = mdb_dbi_open(txn.get(), name.c_str(), flags, &dbi);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  lmdb::check(rc, "mdb_dbi_open");
  txn.commit();
  return dbs_[name] = dbi;
}

Store::Reader Store::read() const { return Reader(lmdb::Txn::begin(env_.get(), MDB_RDONLY)); }

lmdb::Txn Store::begin_write() { return lmdb::Txn::begin(env_.get(), 0); }

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

}  // namespace eventsd

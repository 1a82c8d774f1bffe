#include "projections/generations.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/parse.h"
#include "eventlog/keys.h"

namespace eventsd {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "gen-";

fs::path sidecar(const fs::path& read_dir, std::uint64_t number) {
  return read_dir / ("gen-" + std::to_string(number) + ".synced");
}

std::optional<std::uint64_t> parse_number(std::string_view name) {
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  const auto n = parse_u64(name);
  if (!n || *n == 0) return std::nullopt;
  return n;
}

void fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw std::system_error(err, std::generic_category(), "fsync " + path.string());
}

// Writes `content` to `path` durably: a new file, flushed, renamed over the old, directory flushed.
void write_durably(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fsync_path(tmp, O_RDONLY);
  fs::rename(tmp, path);
  fsync_path(path.parent_path(), O_RDONLY | O_DIRECTORY);
}

struct Synced {
  std::string boot;
  std::uint64_t txnid = 0;
};

std::optional<Synced> read_sidecar(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  Synced s;
  bool have_boot = false, have_txnid = false;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "boot_id") {
      s.boot = value;
      have_boot = true;
    } else if (key == "txnid") {
      const auto txnid = parse_u64(value);
      have_txnid = txnid.has_value();
      s.txnid = txnid.value_or(0);
    }
  }
  if (!have_boot || !have_txnid) return std::nullopt;
  return s;
}

}  // namespace

Generation::Generation(const fs::path& read_dir, std::uint64_t number, const Log& log, bool create,
                       bool read_only)
    : read_dir_(read_dir), number_(number),
      store_(generations::dir_of(read_dir, number),
             StoreOptions{.map_size = 0, .read_only = read_only, .create = create, .durable = false}),
      models_(store_, log) {
  if (create && !read_only) {
    store_.write([&](lmdb::Txn& txn) {
      if (models_.outdated(txn) && models_.checkpoint(txn) == 0) models_.stamp(txn);
    });
  }
}

Generation::~Generation() {
  if (!retired_) return;
  std::error_code ec;
  fs::remove_all(generations::dir_of(read_dir_, number_), ec);
  fs::remove(sidecar(read_dir_, number_), ec);
}

std::uint64_t Generation::checkpoint() const {
  auto reader = store_.read();
  return models_.checkpoint(reader.txn());
}

void Generation::flush() {
  std::lock_guard lock(flush_mutex_);
  // The snapshot read before the sync names what the sync makes durable: at least every
  // transaction committed before it. Later ones may be flushed too; the sidecar promises no more.
  std::uint64_t txnid = 0, checkpoint = 0;
  {
    auto reader = store_.read();
    txnid = mdb_txn_id(reader.txn().get());
    checkpoint = models_.checkpoint(reader.txn());
  }
  store_.sync();
  std::ostringstream out;
  out << "boot_id=" << generations::boot_id() << "\ntxnid=" << txnid << "\ncheckpoint=" << checkpoint << "\n";
  write_durably(sidecar(read_dir_, number_), out.str());
}

namespace generations {

fs::path dir_of(const fs::path& read_dir, std::uint64_t number) {
  return read_dir / ("gen-" + std::to_string(number));
}

namespace {

// A file naming a generation ("gen-N"): CURRENT, OFFER.
std::optional<std::uint64_t> named_in(const fs::path& file) {
  std::ifstream in(file);
  std::string name;
  if (!in || !std::getline(in, name)) return std::nullopt;
  return parse_number(name);
}

}  // namespace

std::optional<std::uint64_t> current(const fs::path& read_dir) { return named_in(read_dir / "CURRENT"); }

void make_current(const fs::path& read_dir, std::uint64_t number) {
  write_durably(read_dir / "CURRENT", "gen-" + std::to_string(number) + "\n");
}

void offer(const fs::path& read_dir, std::uint64_t number) {
  write_durably(read_dir / "OFFER", "gen-" + std::to_string(number) + "\n");
}

std::optional<std::uint64_t> offered(const fs::path& read_dir) { return named_in(read_dir / "OFFER"); }

void withdraw_offer(const fs::path& read_dir) {
  std::error_code ec;
  fs::remove(read_dir / "OFFER", ec);
}

std::uint64_t next_number(const fs::path& read_dir) {
  std::uint64_t max = current(read_dir).value_or(0);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(read_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
    if (auto n = parse_number(name)) max = std::max(max, *n);
  }
  return max + 1;
}

void remove_all_but(const fs::path& read_dir, std::uint64_t keep) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(read_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (auto dot = name.find('.'); dot != std::string::npos) name.resize(dot);
    if (auto n = parse_number(name); n && *n != keep) doomed.push_back(entry.path());
  }
  for (const auto& p : doomed) fs::remove_all(p, ec);
}

Verdict check(const fs::path& read_dir, std::uint64_t number, std::uint64_t log_head) {
  const fs::path dir = dir_of(read_dir, number);
  if (!Store::exists(dir)) return {false, false, dir.string() + " is missing"};
  try {
    Store store(dir, StoreOptions{.map_size = 0, .read_only = true, .create = false, .durable = false});
    MDB_envinfo info;
    lmdb::check(mdb_env_info(store.env().get(), &info), "mdb_env_info");
    MDB_stat stat;
    lmdb::check(mdb_env_stat(store.env().get(), &stat), "mdb_env_stat");
    std::error_code ec;
    const auto size = fs::file_size(dir / "data.mdb", ec);
    if (ec || size < (info.me_last_pgno + 1) * stat.ms_psize) {
      return {false, false, dir.string() + " is truncated"};
    }
    const auto synced = read_sidecar(sidecar(read_dir, number));
    if (!synced) return {false, false, dir.string() + " has no record of what reached the disk"};
    if (synced->boot != boot_id() && synced->txnid != info.me_last_txnid) {
      return {false, false, dir.string() + " was being written when the machine stopped (it may be torn)"};
    }
    auto meta = store.find_db("rm_meta");
    if (!meta) return {false, false, dir.string() + " holds no read models"};
    auto reader = store.read();
    std::string_view v;
    if (!reader.txn().get(*meta, rm::kLayoutKey, v) || v.size() != 8 ||
        keys::load_native_u64(v) != ReadModels::kLayoutVersion) {
      return {false, false, dir.string() + " has another version's layout"};
    }
    const std::uint64_t checkpoint = reader.txn().get(*meta, rm::kCheckpointKey, v) ? keys::load_native_u64(v) : 0;
    if (checkpoint > log_head) {
      return {false, true, dir.string() + " has folded position " + std::to_string(checkpoint) +
                               " but the log ends at " + std::to_string(log_head)};
    }
  } catch (const std::exception& e) {
    return {false, false, dir.string() + ": " + e.what()};
  }
  return {true, false, {}};
}

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (!in || !std::getline(in, id) || id.empty()) return "unknown";
  return id;
}

}  // namespace generations

}  // namespace eventsd

#include "eventlog/data_dir.h"

#include <string>
#include <vector>

#include "eventlog/store.h"

namespace eventsd::data_dir {

namespace {
bool legacy(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "data.mdb", ec);
}
}  // namespace

std::optional<fs::perms> make_private(const fs::path& dir) {
  const fs::perms mode = fs::status(dir).permissions();
  constexpr fs::perms others = fs::perms::group_all | fs::perms::others_all;
  if ((mode & others) == fs::perms::none) return std::nullopt;
  fs::permissions(dir, others, fs::perm_options::remove);
  return mode;
}

bool holds_data(const fs::path& dir) { return Store::exists(log_dir(dir)) || legacy(dir); }

void upgrade(const fs::path& dir) {
  if (!legacy(dir)) return;
  const fs::path log = log_dir(dir);
  fs::create_directories(log);
  // The lock file holds no data (LMDB rebuilds it); the data file moves in one rename. A crash
  // before the rename leaves the old layout, after it the new one.
  std::error_code ec;
  fs::remove(dir / "lock.mdb", ec);
  if (Store::exists(log)) throw std::runtime_error(dir.string() + " holds both data.mdb and log/data.mdb");
  fs::rename(dir / "data.mdb", log / "data.mdb");
}

void drop_legacy_read_models(Store& log_store) {
  std::vector<std::string> legacy;
  {
    auto reader = log_store.read();
    MDB_dbi names;
    lmdb::check(mdb_dbi_open(reader.txn().get(), nullptr, 0, &names), "mdb_dbi_open");
    lmdb::Cursor cursor(reader.txn(), names);
    for (bool ok = cursor.first(); ok; ok = cursor.next()) {
      if (cursor.key().starts_with("rm_")) legacy.emplace_back(cursor.key());
    }
  }
  if (legacy.empty() || log_store.read_only()) return;
  log_store.write([&](lmdb::Txn& txn) {
    for (const auto& name : legacy) {
      MDB_dbi dbi;
      lmdb::check(mdb_dbi_open(txn.get(), name.c_str(), 0, &dbi), "mdb_dbi_open");
      lmdb::check(mdb_drop(txn.get(), dbi, 1), "mdb_drop");
    }
  });
}

}  // namespace eventsd::data_dir

#include "eventlog/data_dir.h"

#include "eventlog/store.h"

namespace eventsd::data_dir {

namespace {
bool legacy(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "data.mdb", ec);
}
}  // namespace

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

}  // namespace eventsd::data_dir

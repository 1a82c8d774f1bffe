#include "tools/data_option.h"

#include <stdexcept>

#include "eventlog/data_dir.h"
#include "eventlog/dir_lock.h"
#include "tools/exit_status.h"

namespace eventsd::cli {

CLI::Option* add_data_option(CLI::App& command, std::string& dir) {
  return command.add_option("--data", dir, "the data directory (eventsd's --data)")->type_name("DIR")->required();
}

std::unique_ptr<Store> open_log_store(const std::filesystem::path& dir, bool writable, bool create) {
  if (!data_dir::holds_data(dir)) {
    if (!create) throw Usage(dir.string() + " holds no eventsd data (a mistyped --data?)");
    std::filesystem::create_directories(data_dir::log_dir(dir));
  } else if (!Store::exists(data_dir::log_dir(dir))) {
    // The layout before the split: one environment at DIR/data.mdb.
    if (!writable) {
      return std::make_unique<Store>(dir, StoreOptions{.map_size = 0, .read_only = true, .create = false});
    }
    auto lock = DirLock::try_acquire(dir);
    if (!lock) throw std::runtime_error(dir.string() + " is in use by an eventsd of an older version; stop it first");
    data_dir::upgrade(dir);
  }
  return std::make_unique<Store>(data_dir::log_dir(dir),
                                 StoreOptions{.map_size = 0, .read_only = !writable, .create = create});
}

}  // namespace eventsd::cli

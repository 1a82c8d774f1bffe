// The data directory an eventctl command works on: its --data flag, and the log's environment in
// it (eventlog/data_dir.h).
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "eventlog/store.h"
#include "tools/commands.h"

namespace eventsd::cli {

// Adds --data DIR to `command`, required, into `dir`.
CLI::Option* add_data_option(CLI::App& command, std::string& dir);

// add_command() of a command that works on a data directory: with add_data_option() into the
// options' `data`.
template <class Options>
std::pair<CLI::App*, std::shared_ptr<Options>> add_data_command(CLI::App& parent, Run& run, const std::string& name,
                                                                const std::string& what,
                                                                int (*body)(const Options&)) {
  auto added = add_command(parent, run, name, what, body);
  add_data_option(*added.first, added.second->data);
  return added;
}

// The log's environment of a data directory. Read-only unless `writable`. A directory that holds
// no eventsd data is refused (Usage) unless `create`, so a mistyped --data never makes a new
// store. A directory of the old layout is upgraded when writable and no server holds it;
// read-only, it is read where it is.
std::unique_ptr<Store> open_log_store(const std::filesystem::path& dir, bool writable, bool create = false);

}  // namespace eventsd::cli

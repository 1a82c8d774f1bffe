// What eventctl's subcommands share: arguments, exit codes, progress reporting.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "eventlog/store.h"

namespace eventsd::cli {

// Exit statuses (also in docs/operations.md).
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;       // an operation failed (message on stderr)
inline constexpr int kUsage = 2;        // bad command line
inline constexpr int kChainBroken = 3;  // verify: the log's hash chain is broken
inline constexpr int kModelsDiffer = 4; // verify: a read model differs from a fresh replay
inline constexpr int kBusy = 5;         // the data directory is in use by a server

struct Usage : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;

  const std::string& need(const std::string& name) const;
  std::optional<std::string> get(const std::string& name) const;
  // Throws Usage for an option not in `allowed`.
  void only(std::initializer_list<const char*> allowed) const;
};

// `flags` are the options that take no value (given: "true").
Args parse(int argc, char** argv, int from, std::initializer_list<const char*> flags = {});

// The log's environment of a data directory (eventlog/data_dir.h). Read-only unless `writable`.
// A directory that holds no eventsd data is refused (Usage) unless `create`, so a mistyped --data
// never makes a new store. A directory of the old layout is upgraded when writable and no server
// holds it; read-only, it is read where it is.
// "a,b,,c" -> {"a", "b", "c"}: a flag's comma-separated list, empty parts dropped.
std::vector<std::string> split_commas(const std::string& s);

std::unique_ptr<Store> open_log_store(const std::filesystem::path& dir, bool writable, bool create = false);

// Progress of a long operation on stderr: a redrawn bar on a terminal, a plain line every two
// seconds otherwise.
class Progress {
 public:
  explicit Progress(std::string what);
  // done and total in `unit`s (records, bytes...); rate_count/rate_unit feed the rate shown.
  void update(std::uint64_t done, std::uint64_t total, std::uint64_t rate_count, const char* rate_unit);
  void finish(const std::string& summary);

 private:
  std::string what_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

int tokens(const std::string& verb, const Args& args);
int users(const std::string& verb, const Args& args);
int rebuild(const Args& args);
int verify(const Args& args);
int dump(const Args& args);
int audit(const Args& args);
int import(const Args& args);
int cluster(const std::string& verb, const Args& args);

}  // namespace eventsd::cli

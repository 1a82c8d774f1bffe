#include "tools/cli.h"

#include <sstream>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "eventlog/data_dir.h"
#include "eventlog/dir_lock.h"

namespace eventsd::cli {

const std::string& Args::need(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) throw Usage("--" + name + " is required");
  return it->second;
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = options.find(name);
  return it == options.end() ? std::nullopt : std::optional<std::string>(it->second);
}

void Args::only(std::initializer_list<const char*> allowed) const {
  for (const auto& option : options) {
    const std::string& k = option.first;  // (clang 14 cannot capture a structured binding)
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
      throw Usage("unknown option --" + k);
    }
  }
}

Args parse(int argc, char** argv, int from, std::initializer_list<const char*> flags) {
  Args args;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 &&
        std::any_of(flags.begin(), flags.end(), [&](const char* f) { return a.substr(2) == f; })) {
      args.options[a.substr(2)] = "true";
    } else if (a.rfind("--", 0) == 0) {
      if (i + 1 >= argc) throw Usage("missing value for " + a);
      args.options[a.substr(2)] = argv[++i];
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
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

Progress::Progress(std::string what)
    : what_(std::move(what)), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_ - std::chrono::hours(1)) {}

void Progress::update(std::uint64_t done, std::uint64_t total, std::uint64_t rate_count,
                      const char* rate_unit) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::seconds(2))) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(rate_count) / elapsed : 0;
  const double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  if (tty_) {
    constexpr int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r%s [%s%s] %llu/%llu  %.0f %s/s  ETA %.0fs   ", what_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate,
                 rate_unit, eta);
  } else {
    std::fprintf(stderr, "%s: %llu/%llu (%.0f%%), %.0f %s/s, eta %.0fs\n", what_.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 fraction * 100, rate, rate_unit, eta);
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "%s%s: %s in %.2fs\n", tty_ ? "\r\033[K" : "", what_.c_str(), summary.c_str(), elapsed);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

}  // namespace eventsd::cli

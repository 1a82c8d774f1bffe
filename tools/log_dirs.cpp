#include "tools/log_dirs.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "cluster/cluster_node.h"
#include "common/flags.h"
#include "common/parse.h"
#include "tools/exit_status.h"

namespace eventsd::cli {

namespace fs = std::filesystem;

namespace {

std::optional<unsigned> number(const std::string& text) {
  const auto n = parse_u64(text);
  if (!n || *n > std::numeric_limits<unsigned>::max()) return std::nullopt;
  return static_cast<unsigned>(*n);
}

}  // namespace

std::string LogDir::prefix() const { return shard ? "shard " + std::to_string(*shard) + ": " : ""; }

bool is_cluster_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "shards", ec);
}

std::vector<unsigned> shard_numbers(const fs::path& dir) {
  std::vector<unsigned> out;
  for (const auto& entry : fs::directory_iterator(dir / "shards")) {
    if (!entry.is_directory()) continue;
    if (auto n = number(entry.path().filename().string())) out.push_back(*n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

CLI::Option* add_shard_option(CLI::App& command, std::optional<unsigned>& shard) {
  return command
      .add_option("--shard", shard, "on a cluster node's directory, shard N only (0-" +
                                        std::to_string(http::ClusterNode::kMaxShards - 1) + ")")
      ->type_name("N")
      ->check(flags::whole(0, http::ClusterNode::kMaxShards - 1));
}

std::vector<LogDir> log_dirs(const fs::path& data, std::optional<unsigned> wanted) {
  const fs::path dir = data.lexically_normal();
  if (!is_cluster_dir(dir)) {
    // DIR/shards/<n> of a cluster node: that shard, with its node's lock.
    const fs::path trimmed = dir.has_filename() ? dir : dir.parent_path();
    const fs::path parent = trimmed.parent_path();
    const auto own = number(trimmed.filename().string());
    if (own && parent.filename() == "shards" && is_cluster_dir(parent.parent_path())) {
      if (wanted && *wanted != *own) throw Usage("--shard " + std::to_string(*wanted) + " does not name " + dir.string());
      return {LogDir{own, trimmed, parent.parent_path()}};
    }
    if (wanted) throw Usage(dir.string() + " is not a cluster node's data directory: --shard does not apply");
    return {LogDir{std::nullopt, dir, dir}};
  }
  std::vector<LogDir> parts;
  for (unsigned n : shard_numbers(dir)) {
    if (!wanted || *wanted == n) parts.push_back(LogDir{n, dir / "shards" / std::to_string(n), dir});
  }
  if (parts.empty()) {
    throw Usage(wanted ? dir.string() + " has no shard " + std::to_string(*wanted) : dir.string() + " has no shards yet");
  }
  return parts;
}

}  // namespace eventsd::cli

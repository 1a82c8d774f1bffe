// The log directories of a data directory: what eventctl's log commands (rebuild, verify, dump,
// audit) work on, each a log and its read models.
//
// A single node's directory (DIR/log, DIR/read: eventlog/data_dir.h) is one. A cluster node's
// (cluster/cluster_node.h: DIR/system, DIR/shards/<n>/log, DIR/shards/<n>/read) has one per shard, each laid out as a single node's directory. Either way DIR/eventsd.lock is the whole
// node's: the running eventsd holds it (eventlog/dir_lock.h), so a tool asks it there, never in
// a shard's directory. A shard's directory given as --data is taken as that shard of its node.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace eventsd::cli {

struct LogDir {
  std::optional<unsigned> shard;   // nullopt: a single node's directory
  std::filesystem::path dir;       // holds log/ and read/
  std::filesystem::path node_dir;  // holds eventsd.lock
  // "shard 3: " for a shard, "" for a single node: what messages about it start with.
  std::string prefix() const;
};

// Whether `dir` is a cluster node's data directory (DIR/shards exists).
bool is_cluster_dir(const std::filesystem::path& dir);
// The shards present in a cluster node's directory, in order.
std::vector<unsigned> shard_numbers(const std::filesystem::path& dir);

// Adds --shard N to `command`, into `shard`: a cluster node's shard, 0 to the most shards a
// cluster may have.
CLI::Option* add_shard_option(CLI::App& command, std::optional<unsigned>& shard);

// The log directories named by --data DIR and --shard N (a cluster node's shard; without it, every shard).
// Throws Usage for --shard on a single node's directory, or a shard the directory lacks.
std::vector<LogDir> log_dirs(const std::filesystem::path& data, std::optional<unsigned> shard);

}  // namespace eventsd::cli

// eventctl cluster status: a cluster's shards, their owners and each live node's lag, from NATS
// alone (docs/cluster.md, "Status"; docs/operations.md, "Cluster"). And eventctl cluster nkey:
// a new nkey for a node's NATS user (docs/cluster.md, "Securing NATS").
//
// What it reads, in this order: the number of shards (bucket eventsd_cluster), the leases (bucket
// eventsd_owners) and the node registry (bucket eventsd_nodes); then every registered node's own
// status (cluster/node_status.h), asked of all nodes at once; then each shard stream's last
// sequence. The streams are read last so that a lag (last sequence minus what the node applied)
// is never below what it was when the node answered.
//
// A lease names the node that last took or renewed it; whether that node still renews it is not
// in the bucket. What is shown is the bucket's word, the age of the lease's last write (by this
// machine's clock against the NATS server's), and whether the node it names answers and says it
// owns the shard.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/lease.h"
#include "cluster/nats.h"
#include "cluster/nats_flags.h"
#include "cluster/nkey.h"
#include "cluster/sealed_kv.h"
#include "cluster/node_registry.h"
#include "cluster/node_status.h"
#include "cluster/placement.h"
#include "cluster/shard_replica.h"
#include "common/json_writer.h"
#include "common/flags.h"
#include "common/parse.h"
#include "tools/commands.h"
#include "tools/exit_status.h"
#include "tools/terminal_text.h"

namespace eventsd::cli {

namespace {

using namespace std::chrono_literals;

// The bucket where the first node of a cluster stored the number of shards (cluster/cluster_node.h).
constexpr const char* kClusterBucket = "eventsd_cluster";
// How long a node has to answer.
constexpr auto kAnswerWait = 2s;

// Milliseconds since a server wrote an entry (by this machine's clock); nullopt when unknown.
std::optional<std::int64_t> age_ms(const nats::KvEntry& entry) {
  if (entry.written == std::chrono::system_clock::time_point{}) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() - entry.written)
      .count();
}

struct ShardRow {
  std::uint32_t shard = 0;
  std::optional<std::uint64_t> last_seq{};  // nullopt: no such stream
  std::optional<std::string> owner{};       // nullopt: free, missing or unreadable
  std::optional<std::uint64_t> epoch{};
  std::string lease{};                      // the value as stored ("" when missing)
  std::optional<std::int64_t> lease_age_ms{};
  std::optional<bool> owner_confirms{};     // the owner answered and says it owns the shard
};

struct NodeRow {
  std::string name;
  std::string address;
  std::optional<std::int64_t> entry_age_ms;
  std::optional<NodeStatus> status;  // nullopt: not answering
  std::string error;                 // why not
};

struct ClusterStatus {
  std::string server;
  std::vector<ShardRow> shards;
  std::vector<NodeRow> nodes;
  std::vector<std::string> left;  // registered once, gone since
};

unsigned shard_count(SealedKv& kv) {
  std::optional<nats::KvEntry> entry;
  try {
    entry = kv.get(kClusterBucket, "shards");
  } catch (const nats::Unavailable&) {
    throw;
  } catch (const nats::Error& e) {
    throw std::runtime_error(std::string("no eventsd cluster at these NATS servers: ") + e.what());
  }
  const auto n = entry ? parse_u64(entry->value) : std::nullopt;
  if (!n || *n == 0 || *n > 1024) throw std::runtime_error("the cluster's number of shards is missing or unreadable");
  return static_cast<unsigned>(*n);
}

// A bucket's entries; empty when the bucket does not exist yet (no node got that far): a bucket
// is the stream KV_<name>.
std::map<std::string, nats::KvEntry> bucket(SealedKv& kv, const char* name) {
  try {
    return kv.all(name);
  } catch (const nats::Unavailable&) {
    throw;
  } catch (const nats::Error&) {
    if (!kv.connection().last_seq(std::string("KV_") + name)) return {};
    throw;
  }
}

// The buckets' values are read through their seals (cluster/sealed_kv.h): one not sealed with the
// cluster key reads as "-".
ClusterStatus gather(SealedKv& kv) {
  nats::Connection& nats = kv.connection();
  ClusterStatus out;
  out.server = nats.server();
  const unsigned shards = shard_count(kv);
  const auto leases = bucket(kv, kOwnersBucket);
  const auto registry = bucket(kv, kNodesBucket);

  for (std::uint32_t n = 0; n < shards; ++n) {
    ShardRow row{.shard = n};
    if (auto it = leases.find(lease_key(n)); it != leases.end()) {
      row.lease = it->second.value;
      row.lease_age_ms = age_ms(it->second);
      if (auto lease = parse_lease(row.lease); !lease.node.empty()) {
        row.epoch = lease.epoch;
        if (lease.node != kGivenBack) row.owner = lease.node;
      }
    }
    out.shards.push_back(std::move(row));
  }

  for (const auto& [name, entry] : registry) {
    if (entry.value == NodeRegistry::kLeft) {
      out.left.push_back(name);
      continue;
    }
    out.nodes.push_back(NodeRow{.name = name, .address = entry.value, .entry_age_ms = age_ms(entry),
                                .status = std::nullopt, .error = {}});
  }
  // Every node is asked at once: a node that does not answer costs kAnswerWait, not one each.
  std::vector<std::thread> askers;
  for (auto& node : out.nodes) {
    askers.emplace_back([&nats, &node] {
      if (!is_valid_node_name(node.name)) {
        node.error = "not a valid node name";
        return;
      }
      try {
        const nats::Message answer = nats.request(node_status_subject(node.name), "", kAnswerWait);
        node.status = decode_node_status(answer.data);
      } catch (const nats::Unavailable& e) {
        node.error = e.what();  // no answer within kAnswerWait, or nobody serves the subject
      } catch (const std::exception& e) {
        node.error = e.what();
      }
    });
  }
  for (auto& t : askers) t.join();

  for (auto& row : out.shards) {
    row.last_seq = nats.last_seq(ShardReplica::stream_name(row.shard));
    if (!row.owner) continue;
    for (const auto& node : out.nodes) {
      if (node.name != *row.owner || !node.status) continue;
      row.owner_confirms = false;
      for (const auto& s : node.status->shards) {
        if (s.shard == row.shard) row.owner_confirms = s.owns;
      }
    }
  }
  return out;
}

// The stream's last sequence minus what the node applied; nullopt when the stream is unknown.
std::optional<std::int64_t> lag(const ClusterStatus& status, const NodeShardStatus& s) {
  if (s.shard >= status.shards.size() || !status.shards[s.shard].last_seq) return std::nullopt;
  return static_cast<std::int64_t>(*status.shards[s.shard].last_seq - s.applied_seq);
}

// 0 when every shard has an owner and every answering node's lag is known, else 1.
int outcome(const ClusterStatus& status) {
  for (const auto& row : status.shards) {
    if (!row.owner) return kFailed;
  }
  for (const auto& node : status.nodes) {
    if (!node.status) continue;
    for (const auto& s : node.status->shards) {
      if (!lag(status, s)) return kFailed;
    }
  }
  return kOk;
}

std::string as_json(const ClusterStatus& status) {
  std::string out;
  JsonWriter w(out);
  auto opt_number = [&w](const auto& v) {
    if (v) w.number(*v);
    else w.null();
  };
  w.begin_object().key("nats").string(status.server).key("shards").begin_array();
  for (const auto& row : status.shards) {
    w.begin_object().key("shard").number(row.shard);
    w.key("stream").string(ShardReplica::stream_name(row.shard));
    w.key("last_seq");
    opt_number(row.last_seq);
    w.key("owner");
    if (row.owner) w.string(*row.owner);
    else w.null();
    w.key("epoch");
    opt_number(row.epoch);
    w.key("lease").string(row.lease);
    w.key("lease_age_ms");
    opt_number(row.lease_age_ms);
    w.key("owner_confirms");
    if (row.owner_confirms) w.boolean(*row.owner_confirms);
    else w.null();
    w.end_object();
  }
  w.end_array().key("nodes").begin_array();
  for (const auto& node : status.nodes) {
    w.begin_object().key("node").string(node.name).key("address").string(node.address);
    w.key("entry_age_ms");
    opt_number(node.entry_age_ms);
    w.key("answering").boolean(node.status.has_value());
    if (!node.status) {
      w.key("error").string(node.error).end_object();
      continue;
    }
    w.key("shards").begin_array();
    for (const auto& s : node.status->shards) {
      w.begin_object();
      write_shard_status(w, s);
      w.key("lag");
      opt_number(lag(status, s));
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().key("left").begin_array();
  for (const auto& name : status.left) w.string(name);
  w.end_array().key("ok").boolean(outcome(status) == kOk).end_object();
  return out;
}

// Rows of cells, each column as wide as its widest cell, two spaces apart. The last cell of a row
// shorter than the first (the header) runs on over the columns it lacks and widens none.
void print_table(std::ostream& out, std::vector<std::vector<std::string>> rows) {
  // Names, addresses and errors come from what other nodes wrote to NATS: escaped, never raw.
  for (auto& row : rows) {
    for (auto& cell : row) cell = printable(cell);
  }
  std::vector<std::size_t> width(rows.empty() ? 0 : rows.front().size(), 0);
  for (const auto& row : rows) {
    const std::size_t sized = row.size() < width.size() ? row.size() - 1 : row.size();
    for (std::size_t i = 0; i < sized && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      const std::size_t w = i < width.size() ? width[i] : 0;
      if (i + 1 < row.size()) line += std::string(std::max(w, row[i].size()) - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

std::string seconds(std::int64_t ms) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << static_cast<double>(ms) / 1000.0 << " s";
  return s.str();
}

void print_human(std::ostream& out, const ClusterStatus& status) {
  out << status.shards.size() << " shards, " << status.nodes.size() << " registered node"
      << (status.nodes.size() == 1 ? "" : "s") << " (NATS " << printable(status.server) << ")\n\n";
  std::vector<std::vector<std::string>> shards{{"SHARD", "OWNER", "EPOCH", "LEASE WRITTEN", "STREAM LAST SEQ", ""}};
  for (const auto& row : status.shards) {
    std::string note;
    if (!row.owner) note = row.lease.empty() ? "no owner (no lease)" : "no owner";
    else if (!row.owner_confirms) note = "owner not answering";
    else if (!*row.owner_confirms) note = "owner does not hold it (yet)";
    if (!row.last_seq) note += std::string(note.empty() ? "" : "; ") + "no stream";
    shards.push_back({std::to_string(row.shard), row.owner.value_or("-"),
                      row.epoch ? std::to_string(*row.epoch) : "-",
                      row.lease_age_ms ? seconds(*row.lease_age_ms) + " ago" : "-",
                      row.last_seq ? std::to_string(*row.last_seq) : "-", note});
  }
  print_table(out, shards);
  out << "\n";
  std::vector<std::vector<std::string>> nodes{
      {"NODE", "ADDRESS", "SHARD", "OWNS", "EPOCH", "APPLIED SEQ", "LAG", "LOG POSITION", "READ POSITION"}};
  for (const auto& node : status.nodes) {
    if (!node.status) {
      nodes.push_back({node.name, node.address, "not answering: " + node.error});
      continue;
    }
    bool first = true;
    for (const auto& s : node.status->shards) {
      const auto l = lag(status, s);
      nodes.push_back({first ? node.name : "", first ? node.address : "", std::to_string(s.shard),
                       s.owns ? "yes" : "no", std::to_string(s.epoch), std::to_string(s.applied_seq),
                       l ? std::to_string(*l) : "-", std::to_string(s.log_position),
                       std::to_string(s.read_position)});
      first = false;
    }
  }
  print_table(out, nodes);
  if (!status.left.empty()) {
    out << "\nleft the cluster:";
    for (const auto& name : status.left) out << " " << printable(name);
    out << "\n";
  }
  out << "\nLeases as the bucket eventsd_owners holds them: an owner rewrites its lease every third of\n"
         "the lease time (--lease-ms, 6 s by default); one written longer ago than that has expired.\n"
         "Ages compare this machine's clock with the NATS server's.\n";
}

struct StatusOptions {
  std::string nats;
  std::string key_file;
  nats::Security security;
  bool json = false;
};

int status(const StatusOptions& o) {
  const ClusterKey key = ClusterKey::from_file(o.key_file, system_clock());
  nats::Connection nats(
      nats::ConnectOptions{flags::split_commas(o.nats), "eventctl", std::chrono::seconds(5), o.security});
  SealedKv kv(nats, key, "eventctl");
  const ClusterStatus status = gather(kv);
  if (o.json) std::cout << printable_json(as_json(status)) << "\n";
  else print_human(std::cout, status);
  return outcome(status);
}

struct NkeyOptions {
  std::string seed_file;
};

// A new nkey for a node's NATS user (docs/cluster.md, "Securing NATS"): the seed into a new file
// only its owner may read, the public key on stdout for the servers' configuration.
int nkey(const NkeyOptions& o) {
  const nats::UserNkey key = nats::new_user_nkey();
  const int fd = ::open(o.seed_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) throw Usage("--seed-file: " + o.seed_file + " exists; a seed is never overwritten");
    throw std::runtime_error("cannot create " + o.seed_file + ": " + std::strerror(error));
  }
  const std::string text = key.seed + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!written) {
    ::unlink(o.seed_file.c_str());
    throw std::runtime_error("cannot write " + o.seed_file + ": " + std::strerror(error));
  }
  std::cout << key.public_key << "\n";
  return kOk;
}

}  // namespace

void add_cluster_commands(CLI::App& app, Run& run) {
  auto* cluster = add_group(app, "cluster", "a cluster, from its NATS servers alone");
  auto [status, o] = add_command(*cluster, run, "status",
                                 "each shard's owner, epoch and stream sequence, each live node's lag, as a "
                                 "table or one JSON document; exit 1 when a shard has no owner",
                                 cli::status);
  auto* nats = status->add_option("--nats", o->nats, "the cluster's NATS servers")
                   ->type_name("URL[,URL...]")
                   ->required()
                   ->check(flags::nats_urls());
  nats::add_security_flags(*status, o->security, nats);
  status->add_option("--cluster-key-file", o->key_file, "the cluster key the nodes hold (eventsd --cluster-key-file)")
      ->type_name("PATH")
      ->required()
      ->check(CLI::ExistingFile);
  status->add_flag("--json", o->json, "print one JSON document instead of the tables");

  auto [nkey, k] = add_command(*cluster, run, "nkey",
                               "make a new nkey for a node's NATS user: its seed into a new file (mode 0600; "
                               "eventsd --nats-nkey-seed), its public key on stdout (the NATS servers' "
                               "configuration lists it)",
                               cli::nkey);
  nkey->add_option("--seed-file", k->seed_file, "where to write the seed; it must not exist")
      ->type_name("FILE")
      ->required();
}

}  // namespace eventsd::cli

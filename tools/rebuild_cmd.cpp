// eventctl rebuild (replay): fold the log into a new read-model generation and switch to it.
// eventctl verify: the hash chain, the write model and the served read models against fresh folds,
// and one digest of the served read models to compare between nodes.
// Both work on each log directory of a data directory (tools/log_dirs.h): a single node's log, or each
// shard of a cluster node.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/encoding.h"
#include "commands/write_model.h"
#include "eventlog/data_dir.h"
#include "eventlog/dir_lock.h"
#include "common/json_writer.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/bulk_fold.h"
#include "projections/digest.h"
#include "projections/fold.h"
#include "projections/generations.h"
#include "tools/commands.h"
#include "tools/data_option.h"
#include "tools/log_dirs.h"
#include "tools/exit_status.h"
#include "tools/progress.h"

namespace eventsd::cli {

namespace fs = std::filesystem;

namespace {

constexpr FoldLimits kBulk{20'000, 100'000};

// Folds the log into `generation` up to `until` (or the end), with progress on stderr.
void fold_all(Generation& generation, const Store& log_store, const Log& log, const char* what,
              std::uint64_t until = UINT64_MAX) {
  Progress progress(what);
  std::uint64_t events = 0;
  FoldLimits limits = kBulk;
  limits.until = until;
  if (generation.checkpoint() == 0) {
    // An empty generation: the bulk of the log in one pass (projections/bulk_fold.h).
    const std::uint64_t target = std::min(until, log.head().position);
    BulkLimits bulk_limits;
    bulk_limits.until = until;
    events = bulk_fold(generation, log_store, log, bulk_limits, [&](std::uint64_t position, std::uint64_t n) {
      progress.update(position, target, n, "events");
    }).events;
  }
  for (;;) {
    const Folded f = fold_step(generation, log_store, log, limits);
    events += f.events;
    progress.update(f.checkpoint, std::min(until, log.head().position), events, "events");
    if (f.at_end) {
      progress.finish(std::to_string(f.checkpoint) + " records, " + std::to_string(events) + " events");
      return;
    }
  }
}

// Folds a new generation of one part and switches to it: this process when no eventsd holds the
// node, else the running eventsd (the projector of the part's read directory adopts what is named
// in its OFFER file).
int rebuild_part(const LogDir& part) {
  const fs::path& dir = part.dir;
  const std::string& prefix = part.prefix();
  auto store = open_log_store(dir, false);
  const fs::path read_dir = data_dir::read_dir(dir);
  if (!Store::exists(data_dir::log_dir(dir))) throw Usage("start eventsd once to upgrade " + dir.string() + " first");
  fs::create_directories(read_dir);
  auto rebuilding = DirLock::try_acquire(read_dir, "rebuild.lock");
  if (!rebuilding) {
    std::cerr << "eventctl: " << prefix << "a rebuild of " << dir << " is under way already\n";
    return kBusy;
  }
  Log log(*store);
  const std::uint64_t number = generations::next_number(read_dir);
  auto generation = std::make_unique<Generation>(read_dir, number, log, true);
  fold_all(*generation, *store, log, (prefix + "rebuild").c_str());
  generation->flush();
  for (;;) {
    if (auto server = DirLock::try_acquire(part.node_dir)) {
      // No server: this process switches (and nothing writes the log meanwhile).
      Log now(*store);
      fold_all(*generation, *store, now, (prefix + "rebuild: catch up").c_str());
      generation->flush();
      generations::make_current(read_dir, number);
      generation.reset();
      generations::remove_all_but(read_dir, number);
      generations::withdraw_offer(read_dir);
      std::cerr << prefix << "read models: generation " << number << " is served from now on\n";
      return kOk;
    }
    // A running eventsd adopts the generation: it catches it up to its head and switches.
    generation.reset();
    generations::offer(read_dir, number);
    std::cerr << prefix << "read models: generation " << number << " offered to the running eventsd\n";
    while (generations::current(read_dir) != number) {
      if (!generations::offered(read_dir)) {
        if (generations::current(read_dir) == number) break;
        std::cerr << "eventctl: " << prefix << "eventsd refused generation " << number << " (see its log)\n";
        return kFailed;
      }
      if (auto server = DirLock::try_acquire(part.node_dir)) break;  // it stopped before adopting
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (generations::current(read_dir) == number) {
      std::cerr << prefix << "read models: generation " << number << " is served from now on\n";
      return kOk;
    }
    generation = std::make_unique<Generation>(read_dir, number, log, false);
  }
}

// What verify found in one part.
struct Verified {
  std::uint64_t records = 0;                   // in the log
  std::optional<std::uint64_t> broken_at;      // where the hash chain breaks
  std::vector<std::string> write_model_differs;
  std::optional<std::uint64_t> generation;     // the served one (none yet: nullopt)
  std::uint64_t position = 0;                  // its checkpoint
  Sha256 digest{};                             // of its databases at the checkpoint
  std::vector<std::string> read_models_differ;
  std::string error;                           // verify itself failed

  int status() const {
    if (!error.empty()) return kFailed;
    if (broken_at) return kChainBroken;
    if (!write_model_differs.empty() || !read_models_differ.empty()) return kModelsDiffer;
    return kOk;
  }
};

Verified verify_part(const LogDir& part, const fs::path& scratch) {
  const fs::path& dir = part.dir;
  const std::string& prefix = part.prefix();
  Verified out;
  auto store = open_log_store(dir, false);
  Log log(*store);
  {
    auto reader = store->read();
    const ChainCheck chain = verify_chain(reader.txn(), log);
    out.records = chain.records;
    if (!chain.ok) {
      std::cerr << "eventctl: " << prefix << "log: hash chain broken at position " << chain.bad_position << ": "
                << chain.problem << "\n";
      out.broken_at = chain.bad_position;
      return out;
    }
    std::cerr << prefix << "log: " << chain.records << " records, hash chain intact\n";
  }
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{scratch};

  // The write model: a consistent copy of the log's environment (a read snapshot, so a running
  // server is no obstacle), its write model digested, folded again from its own log, and compared.
  {
    const fs::path copy_dir = scratch / "log";
    fs::create_directories(copy_dir);
    lmdb::check(mdb_env_copy2(store->env().get(), copy_dir.c_str(), MDB_CP_COMPACT), "mdb_env_copy2");
    Store copy(copy_dir);
    Log copy_log(copy);
    WriteModel model(copy, copy_log);
    const auto& dbs = model.all_dbs();
    std::vector<Sha256> before;
    {
      auto reader = copy.read();
      for (auto db : dbs) before.push_back(digest_db(reader.txn(), db));
    }
    copy.write([&](lmdb::Txn& txn) {
      for (auto db : dbs) txn.clear(db);
    });
    model.catch_up(copy);
    auto reader = copy.read();
    for (std::size_t i = 0; i < dbs.size(); ++i) {
      if (digest_db(reader.txn(), dbs[i]) != before[i]) {
        std::cerr << "eventctl: " << prefix << "write model " << model.db_names()[i] << " differs from a fresh fold\n";
        out.write_model_differs.push_back(model.db_names()[i]);
      }
    }
    if (out.write_model_differs.empty()) {
      std::cerr << prefix << "write model: " << dbs.size() << " databases equal a fresh fold\n";
    }
  }

  // The served read models, in one snapshot, against a fresh fold of the log up to their
  // checkpoint. Their digest is the served one's: everything in a generation is folded from the
  // log alone (read_models.h: apply() is a pure fold; rm_meta holds the checkpoint, the layout
  // version and the next tenant number, all given by the log), so nodes that folded the same log
  // to the same position print the same digest. What is node-specific (the generation's number,
  // its sidecar with the boot id, its path) is outside its databases and not digested.
  const fs::path read_dir = data_dir::read_dir(dir);
  if (auto number = generations::current(read_dir)) {
    Generation live(read_dir, *number, log, false, true);
    auto reader = live.store().read();
    out.generation = *number;
    out.position = live.models().checkpoint(reader.txn());
    Generation fresh(scratch / "read", 1, log, true);
    fold_all(fresh, *store, log, (prefix + "verify: fold").c_str(), out.position);
    auto fresh_reader = fresh.store().read();
    const auto& names = live.models().db_names();
    std::vector<Sha256> served;
    for (std::size_t i = 0; i < names.size(); ++i) {
      served.push_back(digest_db(reader.txn(), live.models().all_dbs()[i]));
      if (served.back() != digest_db(fresh_reader.txn(), fresh.models().all_dbs()[i])) {
        std::cerr << "eventctl: " << prefix << "read model " << names[i] << " differs from a fresh fold\n";
        out.read_models_differ.push_back(names[i]);
      }
    }
    out.digest = combine_digests(names, served);
    if (out.read_models_differ.empty()) {
      std::cerr << prefix << "read models: generation " << *number << ", " << names.size()
                << " databases equal a fresh fold of the log up to position " << out.position << "\n";
    }
  } else {
    std::cerr << prefix << "read models: none yet\n";
  }
  return out;
}

void write_json(JsonWriter& w, const LogDir& part, const Verified& v) {
  w.begin_object();
  if (part.shard) w.key("shard").number(*part.shard);
  if (!v.error.empty()) {
    w.key("status").string("failed").key("error").string(v.error);
    w.end_object();
    return;
  }
  w.key("status").string(v.status() == kOk ? "ok" : v.status() == kChainBroken ? "chain_broken" : "models_differ");
  w.key("records").number(v.records);
  w.key("chain").string(v.broken_at ? "broken" : "intact");
  if (v.broken_at) {
    w.key("broken_at").number(*v.broken_at);
    w.end_object();
    return;
  }
  auto names = [&w](const char* key, const std::vector<std::string>& list) {
    w.key(key).begin_array();
    for (const auto& n : list) w.string(n);
    w.end_array();
  };
  names("write_model_differs", v.write_model_differs);
  if (v.generation) {
    w.key("generation").number(*v.generation);
    w.key("position").number(v.position);
    w.key("digest").string(to_hex(v.digest));
    names("read_models_differ", v.read_models_differ);
  } else {
    w.key("generation").null().key("position").null().key("digest").null();
  }
  w.end_object();
}

std::string human_line(const LogDir& part, const Verified& v) {
  std::string line = part.prefix();
  if (!v.error.empty()) return line + "verify failed: " + v.error;
  if (v.broken_at) return line + "hash chain broken at position " + std::to_string(*v.broken_at);
  line += v.status() == kOk ? "ok" : "DIFFERS";
  line += ", " + std::to_string(v.records) + " records";
  if (!v.generation) return line + ", no read models yet";
  return line + ", read models at position " + std::to_string(v.position) + ", digest " + to_hex(v.digest);
}

struct PartOptions {
  std::string data;
  std::optional<unsigned> shard;
};

int rebuild(const PartOptions& o) {
  int status = kOk;
  for (const auto& part : log_dirs(o.data, o.shard)) {
    const int s = rebuild_part(part);
    if (status == kOk) status = s;
  }
  return status;
}

struct VerifyOptions : PartOptions {
  std::string scratch;
  bool json = false;
};

int verify(const VerifyOptions& o) {
  const auto parts = log_dirs(o.data, o.shard);
  std::vector<Verified> results;
  for (const auto& part : parts) {
    fs::path scratch = part.dir / "verify.scratch";
    if (!o.scratch.empty()) {
      scratch = part.shard ? fs::path(o.scratch) / ("shard-" + std::to_string(*part.shard)) : fs::path(o.scratch);
    }
    try {
      results.push_back(verify_part(part, scratch));
    } catch (const Usage&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "eventctl: " << part.prefix() << e.what() << "\n";
      Verified failed;
      failed.error = e.what();
      results.push_back(std::move(failed));
    }
  }
  // Each part's result on stdout, one line each, or one JSON document: {"shards":[...]} for a
  // cluster node, the part's object for a single node.
  if (o.json) {
    std::string out;
    JsonWriter w(out);
    const bool cluster = parts.front().shard.has_value();
    if (cluster) w.begin_object().key("shards").begin_array();
    for (std::size_t i = 0; i < parts.size(); ++i) write_json(w, parts[i], results[i]);
    if (cluster) w.end_array().end_object();
    std::cout << out << "\n";
  } else {
    for (std::size_t i = 0; i < parts.size(); ++i) std::cout << human_line(parts[i], results[i]) << "\n";
  }
  // The gravest finding decides the exit status.
  int status = kOk;
  for (int grave : {kChainBroken, kModelsDiffer, kFailed}) {
    for (const auto& r : results) {
      if (status == kOk && r.status() == grave) status = grave;
    }
  }
  std::cout.flush();
  return status;
}

}  // namespace

void add_rebuild_commands(CLI::App& app, Run& run) {
  auto [rebuild, part] = add_data_command(app, run, "rebuild",
                                          "fold the log into a new generation of the read models and switch to it, "
                                          "while eventsd serves or not; on a cluster node's directory, each shard's",
                                          cli::rebuild);
  rebuild->alias("replay");
  add_shard_option(*rebuild, part->shard);

  auto [verify, o] = add_data_command(
      app, run, "verify", "the log's hash chain, and the write model and every read model against a fresh fold of the "
                "log; print the read models' position and digest (equal on nodes at the same position). Exit 3: "
                "the chain is broken; 4: a model differs",
      cli::verify);
  add_shard_option(*verify, o->shard);
  verify->add_flag("--json", o->json, "print one JSON document instead of a line per part");
  verify->add_option("--scratch", o->scratch, "where the copies are made and removed afterwards (default: "
                                              "DIR/verify.scratch); room for a compacted copy of the log")
      ->type_name("DIR");
}

}  // namespace eventsd::cli

// eventctl rebuild (replay): fold the log into a new read-model generation and switch to it.
// eventctl verify: the hash chain, the write model and the served read models against fresh folds.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "commands/write_model.h"
#include "eventlog/data_dir.h"
#include "eventlog/dir_lock.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/bulk_fold.h"
#include "projections/digest.h"
#include "projections/fold.h"
#include "projections/generations.h"
#include "tools/cli.h"

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

void write_offer(const fs::path& read_dir, std::uint64_t number) {
  const fs::path tmp = read_dir / "OFFER.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "gen-" << number << "\n";
  }
  fs::rename(tmp, read_dir / "OFFER");
}

}  // namespace

int rebuild(const Args& args) {
  args.only({"data"});
  const fs::path dir = args.need("data");
  auto store = open_log_store(dir, false);
  const fs::path read_dir = data_dir::read_dir(dir);
  if (!Store::exists(data_dir::log_dir(dir))) throw Usage("start eventsd once to upgrade " + dir.string() + " first");
  fs::create_directories(read_dir);
  auto rebuilding = DirLock::try_acquire(read_dir, "rebuild.lock");
  if (!rebuilding) {
    std::cerr << "eventctl: a rebuild of " << dir << " is under way already\n";
    return kBusy;
  }
  Log log(*store);
  const std::uint64_t number = generations::next_number(read_dir);
  auto generation = std::make_unique<Generation>(read_dir, number, log, true);
  fold_all(*generation, *store, log, "rebuild");
  generation->flush();
  for (;;) {
    if (auto server = DirLock::try_acquire(dir)) {
      // No server: this process switches (and nothing writes the log meanwhile).
      Log now(*store);
      fold_all(*generation, *store, now, "rebuild: catch up");
      generation->flush();
      generations::make_current(read_dir, number);
      generation.reset();
      generations::remove_all_but(read_dir, number);
      std::error_code ec;
      fs::remove(read_dir / "OFFER", ec);
      std::cerr << "read models: generation " << number << " is served from now on\n";
      return kOk;
    }
    // A running eventsd adopts the generation: it catches it up to its head and switches.
    generation.reset();
    write_offer(read_dir, number);
    std::cerr << "read models: generation " << number << " offered to the running eventsd\n";
    while (generations::current(read_dir) != number) {
      if (!fs::exists(read_dir / "OFFER")) {
        if (generations::current(read_dir) == number) break;
        std::cerr << "eventctl: eventsd refused generation " << number << " (see its log)\n";
        return kFailed;
      }
      if (auto server = DirLock::try_acquire(dir)) break;  // it stopped before adopting
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (generations::current(read_dir) == number) {
      std::cerr << "read models: generation " << number << " is served from now on\n";
      return kOk;
    }
    generation = std::make_unique<Generation>(read_dir, number, log, false);
  }
}

int verify(const Args& args) {
  args.only({"data", "scratch"});
  const fs::path dir = args.need("data");
  auto store = open_log_store(dir, false);
  Log log(*store);
  {
    auto reader = store->read();
    const ChainCheck chain = verify_chain(reader.txn(), log);
    if (!chain.ok) {
      std::cerr << "eventctl: log: hash chain broken at position " << chain.bad_position << ": "
                << chain.problem << "\n";
      return kChainBroken;
    }
    std::cerr << "log: " << chain.records << " records, hash chain intact\n";
  }
  const fs::path scratch = args.get("scratch").value_or((dir / "verify.scratch").string());
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{scratch};
  int differing = 0;

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
        std::cerr << "eventctl: write model " << model.db_names()[i] << " differs from a fresh fold\n";
        ++differing;
      }
    }
    if (!differing) std::cerr << "write model: " << dbs.size() << " databases equal a fresh fold\n";
  }

  // The served read models, in one snapshot, against a fresh fold of the log up to their checkpoint.
  const fs::path read_dir = data_dir::read_dir(dir);
  if (auto number = generations::current(read_dir)) {
    Generation live(read_dir, *number, log, false, true);
    auto reader = live.store().read();
    const std::uint64_t checkpoint = live.models().checkpoint(reader.txn());
    Generation fresh(scratch / "read", 1, log, true);
    fold_all(fresh, *store, log, "verify: fold", checkpoint);
    auto fresh_reader = fresh.store().read();
    const auto& names = live.models().db_names();
    int models_differing = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (digest_db(reader.txn(), live.models().all_dbs()[i]) !=
          digest_db(fresh_reader.txn(), fresh.models().all_dbs()[i])) {
        std::cerr << "eventctl: read model " << names[i] << " differs from a fresh fold\n";
        ++models_differing;
      }
    }
    if (!models_differing) {
      std::cerr << "read models: generation " << *number << ", " << names.size()
                << " databases equal a fresh fold of the log up to position " << checkpoint << "\n";
    }
    differing += models_differing;
  } else {
    std::cerr << "read models: none yet\n";
  }
  return differing ? kModelsDiffer : kOk;
}

}  // namespace eventsd::cli

// eventctl replay: drop every read model and fold the log again.
// eventctl verify: the hash chain, and every read model against a fresh replay.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "eventlog/dir_lock.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/catch_up.h"
#include "projections/digest.h"
#include "projections/read_models.h"
#include "tools/cli.h"

namespace eventsd::cli {

namespace {

std::uint64_t rebuild(Store& store, const Log& log, const ReadModels& models, const char* what) {
  store.write([&](lmdb::Txn& txn) { models.reset(txn); });
  Progress progress(what);
  const std::uint64_t applied = catch_up(store, log, models, [&](std::uint64_t at, std::uint64_t head, std::uint64_t events) {
    progress.update(at, head, events, "events");
  });
  progress.finish(std::to_string(applied) + " records");
  return applied;
}

}  // namespace

int replay(const Args& args) {
  args.only({"data"});
  const std::filesystem::path dir = args.need("data");
  if (!std::filesystem::exists(dir / "data.mdb")) throw Usage(dir.string() + " holds no eventsd data");
  // Replay rewrites the read models in place: nobody may serve from them meanwhile.
  auto lock = DirLock::try_acquire(dir);
  if (!lock) {
    std::cerr << "eventctl: " << dir << " is in use by a running eventsd; stop it first (SIGTERM), "
                 "replay, then start it again\n";
    return kBusy;
  }
  Store store(dir);
  Log log(store);
  ReadModels models(store, log);
  rebuild(store, log, models, "replay");
  return kOk;
}

int verify(const Args& args) {
  args.only({"data", "scratch"});
  const std::filesystem::path dir = args.need("data");
  if (!std::filesystem::exists(dir / "data.mdb")) throw Usage(dir.string() + " holds no eventsd data");
  Store store(dir);
  Log log(store);
  ReadModels models(store, log);
  {
    auto reader = store.read();
    const ChainCheck chain = verify_chain(reader.txn(), log);
    if (!chain.ok) {
      std::cerr << "eventctl: log: hash chain broken at position " << chain.bad_position << ": "
                << chain.problem << "\n";
      return kChainBroken;
    }
    std::cerr << "log: " << chain.records << " records, hash chain intact\n";
  }
  // A consistent copy (a read snapshot, so a running server is no obstacle), whose read models are
  // digested, rebuilt from its own log, and digested again.
  const std::filesystem::path scratch = args.get("scratch").value_or((dir / "verify.scratch").string());
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{scratch};
  lmdb::check(mdb_env_copy2(store.env().get(), scratch.c_str(), MDB_CP_COMPACT), "mdb_env_copy2");
  Store copy(scratch);
  Log copy_log(copy);
  ReadModels copy_models(copy, copy_log);
  const auto dbs = copy_models.all_dbs();
  std::vector<Sha256> before;
  {
    auto reader = copy.read();
    for (auto db : dbs) before.push_back(digest_db(reader.txn(), db));
  }
  rebuild(copy, copy_log, copy_models, "verify: replay");
  int differing = 0;
  auto reader = copy.read();
  for (std::size_t i = 0; i < dbs.size(); ++i) {
    if (digest_db(reader.txn(), dbs[i]) != before[i]) {
      std::cerr << "eventctl: read model " << copy_models.db_names()[i] << " differs from a fresh replay\n";
      ++differing;
    }
  }
  if (differing) return kModelsDiffer;
  std::cerr << "read models: " << dbs.size() << " databases equal a fresh replay\n";
  return kOk;
}

}  // namespace eventsd::cli

// A batch of commands through the writer, and what happens when its transaction fails: a refused
// replication or a storage failure is every command's answer; anything else (a bug in a decider
// or a fold, a command too large for a transaction) runs the commands again one per transaction,
// so that only the culprit fails (docs/architecture.md, "The write path").
#include <cerrno>
#include <cstdio>

#include "commands/writer.h"

namespace eventsd {

namespace {

// No space on the device, over quota, over the file-size limit, or a map as large as the volume
// filled: the store cannot grow. (A short write on a full disk reaches us as EIO; the store looks
// at the disk to tell.)
bool storage_full(const Store& store, const lmdb::Error& e) {
  return e.code() == ENOSPC || e.code() == EDQUOT || e.code() == EFBIG || e.map_full() ||
         store.out_of_space();
}

Rejection storage_failure(const Store& store, const lmdb::Error& e) {
  if (storage_full(store, e)) return {507, "storage_full", "the data volume is full; nothing was recorded", ""};
  return {503, "storage_error", std::string("the store failed: ") + e.what(), ""};
}

Rejection not_replicated(const NotReplicated& e) {
  return {503, "unavailable", std::string("the write could not be replicated: ") + e.what() + "; retry later", "", 1};
}

}  // namespace

void Writer::process(std::vector<Pending>& batch) {
  std::vector<Step> steps;
  try {
    steps = commit(batch, 0, batch.size());
  } catch (const NotReplicated& e) {
    // Nothing was committed; retrying one by one would meet the same refusal.
    for (std::size_t i = 0; i < batch.size(); ++i) steps.push_back({not_replicated(e), {}});
  } catch (const std::exception& e) {
    const auto* storage = dynamic_cast<const lmdb::Error*>(&e);
    if (storage && (batch.size() == 1 || storage_full(store_, *storage))) {
      for (std::size_t i = 0; i < batch.size(); ++i) steps.push_back({storage_failure(store_, *storage), {}});
      return finish(batch, std::move(steps));
    }
    // A bug in a decider or a fold, or one command too large for a transaction (MDB_TXN_FULL).
    // Run the commands alone so that only the culprit fails.
    std::fprintf(stderr, "eventsd: writer: %s; retrying the batch one command at a time\n", e.what());
    steps.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        steps.push_back(std::move(commit(batch, i, i + 1).front()));
      } catch (const NotReplicated& e2) {
        steps.push_back({not_replicated(e2), {}});
      } catch (const lmdb::Error& e2) {
        steps.push_back({storage_failure(store_, e2), {}});
      } catch (const std::exception& e2) {
        std::fprintf(stderr, "eventsd: writer: command failed: %s\n", e2.what());
        steps.push_back({Rejection{500, "internal_error", "the command could not be applied", ""}, {}});
      }
    }
  }
  finish(batch, std::move(steps));
}

}  // namespace eventsd

// The layout of a data directory (docs/architecture.md, "Data directory"):
//
//   DIR/eventsd.lock         flock held by the serving process (dir_lock.h)
//   DIR/log/                 the log environment: the log, the write model, tokens — durable,
//                            every commit flushed; the only truth
//   DIR/read/CURRENT         names the read-model generation being served ("gen-N")
//   DIR/read/gen-N/          a read-model generation: derived from the log, not flushed per commit
//   DIR/read/gen-N.synced    what of generation N is known to be on disk (generations.h)
//
// Versions before the split kept everything in one environment at DIR/data.mdb; upgrade() moves
// that environment to DIR/log/, where it goes on as the log environment.
//
// Thread safety: the path functions are pure; upgrade() and drop_legacy_read_models() run at
// start-up, before anything else opens the directory.
#pragma once

#include <filesystem>

namespace eventsd {
class Store;
}

namespace eventsd::data_dir {

namespace fs = std::filesystem;

inline fs::path log_dir(const fs::path& dir) { return dir / "log"; }
inline fs::path read_dir(const fs::path& dir) { return dir / "read"; }

// Whether `dir` holds eventsd data (in either layout).
bool holds_data(const fs::path& dir);

// Moves a single-environment directory to the current layout; a no-op for any other. Safe to
// repeat after a crash at any point. The caller holds the directory lock.
void upgrade(const fs::path& dir);

// Versions before the split kept the read models in the log's environment: their databases
// (rm_*) are dead weight there now. Drops them; a no-op when there are none. Start-up only.
void drop_legacy_read_models(Store& log_store);

}  // namespace eventsd::data_dir

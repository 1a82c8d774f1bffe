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
#include <optional>

namespace eventsd {
class Store;
}

namespace eventsd::data_dir {

namespace fs = std::filesystem;

inline fs::path log_dir(const fs::path& dir) { return dir / "log"; }
inline fs::path read_dir(const fs::path& dir) { return dir / "read"; }

// The data directory is its user's alone (docs/security.md, "Files and metadata"): mode 0700,
// and the files in it 0600 (LMDB's are opened so; eventsd and eventctl run with umask 077).
// Makes `dir` 0700 when it grants anything to group or others — the directory is what lets
// another user reach the files in it, whatever their modes — and returns the mode it had then
// (for a warning); nullopt when it was private already. Throws std::filesystem::filesystem_error
// when it cannot be read or changed.
std::optional<fs::perms> make_private(const fs::path& dir);

// Whether `dir` holds eventsd data (in either layout).
bool holds_data(const fs::path& dir);

// Moves a single-environment directory to the current layout; a no-op for any other. Safe to
// repeat after a crash at any point. The caller holds the directory lock.
void upgrade(const fs::path& dir);

// Versions before the split kept the read models in the log's environment: their databases
// (rm_*) are dead weight there now. Drops them; a no-op when there are none. Start-up only.
void drop_legacy_read_models(Store& log_store);

}  // namespace eventsd::data_dir

// Read-model generations: each a read-model environment of its own under DIR/read/ (data_dir.h),
// folded from the log. CURRENT names the one served; a rebuild folds a new one beside it and the
// switch is one atomic rename of CURRENT.
//
// A generation is written without a flush per commit (it can always be folded again). What of it
// is known to be on disk is recorded in its sidecar, gen-N.synced, after each Generation::flush():
// the machine's boot id, the environment's last transaction id and the checkpoint. At start-up a
// generation is trusted when the machine has not rebooted since it was written (a process crash
// loses nothing the kernel had accepted), or when nothing was committed after its last flush;
// otherwise an OS crash may have torn it, and it is folded again rather than served.
//
// Thread safety: a Generation's store and models follow Store's and ReadModels' rules; flush()
// may be called from any thread, while another commits (calls are serialized), and retire() from
// any thread. The free functions are for one
// thread at a time (the projector, or a tool holding the directory).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/read_models.h"

namespace eventsd {

class Generation {
 public:
  // Opens generation `number` under `read_dir`, creating it (empty, stamped with the current
  // layout) when `create`.
  Generation(const std::filesystem::path& read_dir, std::uint64_t number, const Log& log,
             bool create, bool read_only = false);
  // A retired generation removes its files when the last holder lets it go.
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  std::uint64_t number() const { return number_; }
  Store& store() { return store_; }
  const Store& store() const { return store_; }
  const ReadModels& models() const { return models_; }
  // The last log position folded (read in a fresh snapshot).
  std::uint64_t checkpoint() const;

  // Flushes to disk every commit made before it started (commits may go on meanwhile) and
  // records the last of them in the sidecar.
  void flush();
  // Marks the generation for removal once no one holds it.
  void retire() { retired_ = true; }

 private:
  std::filesystem::path read_dir_;
  std::uint64_t number_;
  Store store_;
  ReadModels models_;
  std::atomic<bool> retired_{false};
  std::mutex flush_mutex_;  // one flush at a time: the sidecar is written whole
};

namespace generations {

std::filesystem::path dir_of(const std::filesystem::path& read_dir, std::uint64_t number);
// The generation CURRENT names (nullopt: none yet).
std::optional<std::uint64_t> current(const std::filesystem::path& read_dir);
// Names `number` in CURRENT, durably (a new file, flushed, renamed over the old, directory flushed).
void make_current(const std::filesystem::path& read_dir, std::uint64_t number);
// The OFFER file: a generation that `eventctl rebuild` folded while a server held the data
// directory, for that server's projector to catch up and serve (docs/operations.md, "Rebuild").
// Written durably, like CURRENT; withdrawn by whoever adopts or refuses it.
void offer(const std::filesystem::path& read_dir, std::uint64_t number);
std::optional<std::uint64_t> offered(const std::filesystem::path& read_dir);
void withdraw_offer(const std::filesystem::path& read_dir);
// A number above every generation present.
std::uint64_t next_number(const std::filesystem::path& read_dir);
// Removes every generation but `keep` (and its sidecar), e.g. what a crash left half-built.
void remove_all_but(const std::filesystem::path& read_dir, std::uint64_t keep);

// Whether generation `number` can be served as it is. It must exist, be whole (its file as long
// as its pages say), be trusted (see above), have this version's layout, and have folded no more
// than the log holds (`log_head`) — a generation ahead of its log means the log lost records or
// was replaced by an older copy, which a fold must not paper over.
struct Verdict {
  bool usable = false;
  bool ahead_of_log = false;
  std::string problem;  // why not, for the operator
};
Verdict check(const std::filesystem::path& read_dir, std::uint64_t number, std::uint64_t log_head);

// The machine's boot id (a new one after every reboot).
std::string boot_id();

}  // namespace generations

}  // namespace eventsd

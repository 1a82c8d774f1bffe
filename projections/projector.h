// The projector: the thread that folds the log into the live read-model generation, behind the
// writer. The writer commits batch N+1 while the projector folds batch N; a write is answered once
// the projector has folded it (when_applied), so a client that reads after its 2xx sees its write.
//
// It also owns the generations' life: at start-up it serves CURRENT's generation when it can be
// trusted (generations.h), else it folds a new one on a rebuild thread while the log keeps taking
// writes (reads answer 503 `rebuilding` meanwhile). A rebuild asked for while a generation is live
// (rebuild(), or eventctl rebuild, which offers its generation through DIR/read/OFFER) is folded
// beside it; the projector catches the new generation up to the log's head, flushes it, names it in
// CURRENT and serves it from then on; readers still holding the old one finish with it, and its
// files go with the last of them.
//
// The live generation is flushed to disk every Options::flush_interval by a thread of its own, so
// that folding never waits for the disk, and at stop; not per commit: its sidecar says what is on
// disk (generations.h).
//
// The fold loop is in projector.cpp, which generation is served and rebuilds in
// projector_generations.cpp, the flush thread in projector_flush.cpp.
//
// Thread safety: every public member may be called from any thread, except open() and start()
// (start-up) and the setters (before start()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/generations.h"

namespace eventsd {

struct RebuildStatus {
  bool running = false;
  std::uint64_t generation = 0;  // the generation being folded
  std::uint64_t folded = 0;      // its checkpoint
  std::uint64_t target = 0;      // the log's head when it was last looked at
  std::uint64_t events = 0;      // events folded so far
};

class Projector {
 public:
  struct Options {
    // The writer waits while the live generation is this many records behind.
    std::uint64_t max_lag_records = 2'000;
    std::chrono::milliseconds flush_interval{1'000};
  };

  Projector(Store& log_store, const Log& log, std::filesystem::path read_dir, Options options);
  Projector(Store& log_store, const Log& log, std::filesystem::path read_dir)
      : Projector(log_store, log, std::move(read_dir), Options{}) {}
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  // Opens CURRENT's generation if it can be served, else starts a rebuild. Throws when the
  // generation has folded more than the log holds (the log lost records: refuse to serve).
  // Returns what it found, for the start-up log.
  std::string open();
  void set_applied_listener(std::function<void(std::uint64_t)> listener) { listener_ = std::move(listener); }
  void start();
  // Folds everything committed into the live generation, flushes it, and joins the threads.
  void stop();

  // The generation readers use; null while none can be served.
  std::shared_ptr<Generation> current() const;
  // The last position folded into the live generation.
  std::uint64_t applied() const { return applied_.load(); }
  // Wakes the projector: the log reached `head`.
  void notify(std::uint64_t head);
  // Runs `callback` once the live generation has folded `position`: at once when it has, or when
  // no generation is live. On the caller's thread or the projector's.
  void when_applied(std::uint64_t position, std::function<void()> callback);
  // Blocks while the live generation lags more than Options::max_lag_records behind `head`.
  void wait_for_room(std::uint64_t head);

  // Starts folding a new generation beside the live one; false when a rebuild is under way.
  bool rebuild();
  RebuildStatus rebuild_status() const;
  // Whether folding waits for room on a full volume.
  bool stalled() const { return stalled_.load(); }

 private:
  void run();
  void run_until_stopped();
  void flush_until_stopped();
  void rebuild_thread(std::shared_ptr<Generation> generation);
  bool fold_live();
  // Catches `next` up to the log's head and serves it from then on.
  void adopt(std::shared_ptr<Generation> next);
  // An eventctl rebuild's generation named in DIR/read/OFFER, if one is ready.
  std::shared_ptr<Generation> offered();
  void deliver(std::uint64_t applied);

  Store& log_store_;
  const Log& log_;
  std::filesystem::path read_dir_;
  Options options_;
  std::function<void(std::uint64_t)> listener_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;       // the projector thread: work to do
  std::condition_variable room_;       // the writer: lag went down
  std::condition_variable flush_wake_;  // the flush thread: stopping
  std::shared_ptr<Generation> live_;   // guarded by mutex_
  std::shared_ptr<Generation> ready_;  // a rebuilt generation waiting to be adopted (mutex_)
  std::deque<std::pair<std::uint64_t, std::function<void()>>> waiting_;  // by position (mutex_)
  std::vector<std::shared_ptr<Generation>> released_;  // adopt's old generations, for the flush thread (mutex_)
  std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> applied_{0};
  std::atomic<bool> stalled_{false};
  bool stopping_ = false;  // mutex_
  std::chrono::steady_clock::time_point last_offer_check_;

  mutable std::mutex rebuild_mutex_;
  RebuildStatus rebuild_;            // rebuild_mutex_
  std::thread rebuild_thread_;
  std::atomic<bool> rebuild_stop_{false};
  std::thread thread_;
  std::thread flush_thread_;  // flushes the live generation every flush_interval, apart from folding
};

}  // namespace eventsd

#include "projections/projector.h"

#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "eventlog/dir_lock.h"
#include "projections/bulk_fold.h"
#include "projections/fold.h"

namespace eventsd {

namespace fs = std::filesystem;

namespace {

// A live generation folds in small steps (each ack waits for one); a rebuild in large ones.
constexpr FoldLimits kLiveStep{1'000, 20'000};
constexpr FoldLimits kRebuildStep{20'000, 100'000};
// A rebuild hands its generation over once it is this close to the log's head.
constexpr std::uint64_t kHandOverLag = 2'000;
constexpr auto kOfferCheck = std::chrono::seconds(1);

[[noreturn]] void fatal(const char* what, const std::string& message) {
  std::fprintf(stderr, "eventsd: fatal: %s: %s; exiting so that a supervisor restarts the service\n", what,
               message.c_str());
  std::fflush(stderr);
  std::_Exit(70);
}

}  // namespace

Projector::Projector(Store& log_store, const Log& log, fs::path read_dir, Options options)
    : log_store_(log_store), log_(log), read_dir_(std::move(read_dir)), options_(options) {}

Projector::~Projector() { stop(); }

std::string Projector::open() {
  head_ = log_.committed_position();
  fs::create_directories(read_dir_);
  std::string found;
  if (auto number = generations::current(read_dir_)) {
    const auto verdict = generations::check(read_dir_, *number, head_);
    if (verdict.ahead_of_log) {
      throw std::runtime_error("read models: " + verdict.problem +
                               ": the log lost records or is an older copy; refusing to serve "
                               "(run eventctl verify; eventctl rebuild folds the log as it is)");
    }
    if (verdict.usable) {
      live_ = std::make_shared<Generation>(read_dir_, *number, log_, false);
      applied_ = live_->checkpoint();
      if (auto lock = DirLock::try_acquire(read_dir_, "rebuild.lock")) generations::remove_all_but(read_dir_, *number);
      return "read models: generation " + std::to_string(*number) + " at position " +
             std::to_string(applied_.load()) + " of " + std::to_string(head_.load());
    }
    found = verdict.problem;
  } else if (head_ == 0) {
    // A new store: nothing to fold, the first generation is served at once.
    if (auto lock = DirLock::try_acquire(read_dir_, "rebuild.lock")) {
      const std::uint64_t number = generations::next_number(read_dir_);
      auto first = std::make_shared<Generation>(read_dir_, number, log_, true);
      first->flush();
      generations::make_current(read_dir_, number);
      live_ = std::move(first);
      return "read models: generation " + std::to_string(number) + " (new)";
    }
    found = "no read models yet";
  } else {
    found = "no read models yet";
  }
  if (!rebuild()) return "read models: " + found + "; a rebuild by another process is under way";
  return "read models: " + found + "; rebuilding them from the log (reads answer 503 until done)";
}

void Projector::start() {
  last_offer_check_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "projector");
    run();
  });
  flush_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "flush");
    flush_until_stopped();
  });
}

// The flush is an fdatasync of every page written since the last one: done here, folding (and
// so the answers to writes) does not wait for it.
void Projector::flush_until_stopped() {
  for (;;) {
    std::vector<std::shared_ptr<Generation>> released;
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      flush_wake_.wait_for(lock, options_.flush_interval, [&] { return stopping_ || !released_.empty(); });
      released.swap(released_);
      stop = stopping_;
    }
    released.clear();  // a retired generation no reader holds is removed here
    if (stop) return;
    try {
      if (auto live = current()) live->flush();
    } catch (const std::exception& e) {
      // Not fatal: the generation is only less known to be on disk; the next flush tries again.
      std::fprintf(stderr, "eventsd: read models: flush failed: %s\n", e.what());
    }
  }
}

void Projector::stop() {
  rebuild_stop_ = true;
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  room_.notify_all();
  flush_wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (flush_thread_.joinable()) flush_thread_.join();
}

std::shared_ptr<Generation> Projector::current() const {
  std::lock_guard lock(mutex_);
  return live_;
}

void Projector::notify(std::uint64_t head) {
  std::uint64_t seen = head_.load();
  while (seen < head && !head_.compare_exchange_weak(seen, head)) {
  }
  wake_.notify_one();
}

void Projector::when_applied(std::uint64_t position, std::function<void()> callback) {
  {
    std::lock_guard lock(mutex_);
    if (live_ && applied_.load() < position) {
      waiting_.emplace_back(position, std::move(callback));
      return;
    }
  }
  callback();
}

void Projector::wait_for_room(std::uint64_t head) {
  std::unique_lock lock(mutex_);
  room_.wait(lock, [&] {
    return stopping_ || !live_ || head <= applied_.load() + options_.max_lag_records;
  });
}

void Projector::deliver(std::uint64_t applied) {
  std::vector<std::function<void()>> due;
  {
    std::lock_guard lock(mutex_);
    // Positions arrive in order (one writer, one transaction after another).
    while (!waiting_.empty() && waiting_.front().first <= applied) {
      due.push_back(std::move(waiting_.front().second));
      waiting_.pop_front();
    }
  }
  room_.notify_all();
  // Streams and min_position reads learn of the position first: a client answered below and then
  // opening a stream from the head must not be shown what it just wrote.
  if (listener_) listener_(applied);
  for (auto& callback : due) {
    try {
      callback();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventsd: projector: a completion failed: %s\n", e.what());
    }
  }
}

bool Projector::fold_live() {
  auto live = current();
  if (!live) return false;
  const Folded f = fold_step(*live, log_store_, log_, kLiveStep);
  if (stalled_.exchange(false)) std::fprintf(stderr, "eventsd: read models: folding again\n");
  if (f.records > 0) {
    applied_ = f.checkpoint;
    deliver(f.checkpoint);
  }
  return !f.at_end;
}

void Projector::adopt(std::shared_ptr<Generation> next) {
  for (;;) {
    const Folded f = fold_step(*next, log_store_, log_, kRebuildStep);
    if (f.at_end) break;
  }
  next->flush();
  generations::make_current(read_dir_, next->number());
  std::shared_ptr<Generation> old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(live_, next);
    applied_ = next->checkpoint();
  }
  if (old && old->number() != next->number()) old->retire();
  // Its files go with its last reader; if that is this thread, the flush thread removes them
  // (gigabytes take a while to unlink, and the writes waiting for this thread would wait too).
  if (old) {
    std::lock_guard lock(mutex_);
    released_.push_back(std::move(old));
  }
  flush_wake_.notify_all();
  generations::withdraw_offer(read_dir_);
  {
    std::lock_guard lock(rebuild_mutex_);
    if (rebuild_.generation == next->number()) rebuild_.running = false;
  }
  std::fprintf(stderr, "eventsd: read models: serving generation %llu (position %llu)\n",
               static_cast<unsigned long long>(next->number()), static_cast<unsigned long long>(applied_.load()));
  deliver(applied_);
}

std::shared_ptr<Generation> Projector::offered() {
  const auto number = generations::offered(read_dir_);
  if (!number) return nullptr;
  auto live = current();
  if (live && live->number() == *number) return nullptr;
  const auto verdict = generations::check(read_dir_, *number, log_.committed_position());
  if (!verdict.usable) {
    std::fprintf(stderr, "eventsd: read models: offered generation refused: %s\n", verdict.problem.c_str());
    generations::withdraw_offer(read_dir_);
    return nullptr;
  }
  return std::make_shared<Generation>(read_dir_, *number, log_, false);
}

namespace {
// A full volume (or file-size limit) stops the fold, not the service: the log keeps what was
// committed, readers keep the last consistent models, and the fold goes on once there is room.
bool out_of_room(const std::exception& e, const Store& store) {
  const auto* error = dynamic_cast<const lmdb::Error*>(&e);
  if (!error) return false;
  const int code = error->code();
  return code == ENOSPC || code == EDQUOT || code == EFBIG || error->map_full() || store.out_of_space();
}
}  // namespace

void Projector::run() {
  for (;;) {
    try {
      run_until_stopped();
      return;
    } catch (const std::exception& e) {
      auto live = current();
      if (!live || !out_of_room(e, live->store())) {
        // A fold that fails otherwise is a bug or a damaged store: serving on would answer from
        // stale models and hold every write's answer back.
        fatal("projector", e.what());
      }
      if (!stalled_.exchange(true)) {
        std::fprintf(stderr, "eventsd: read models: %s; folding waits for room on the volume\n", e.what());
      }
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      if (stopping_) return;
    }
  }
}

void Projector::run_until_stopped() {
  {
    for (;;) {
      std::shared_ptr<Generation> next;
      bool stop = false;
      {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, options_.flush_interval, [&] {
          return stopping_ || ready_ || (live_ && head_.load() > applied_.load());
        });
        next = std::move(ready_);
        stop = stopping_;
      }
      const auto now = std::chrono::steady_clock::now();
      if (!next && !stop && now - last_offer_check_ >= kOfferCheck) {
        last_offer_check_ = now;
        next = offered();
      }
      if (next) adopt(std::move(next));
      bool more = fold_live();
      while (more && stop) more = fold_live();
      if (auto live = current(); live && stop) live->flush();
      if (stop) return;
      if (more) wake_.notify_one();
    }
  }
}

bool Projector::rebuild() {
  std::lock_guard lock(rebuild_mutex_);
  if (rebuild_.running) return false;
  auto file_lock = DirLock::try_acquire(read_dir_, "rebuild.lock");
  if (!file_lock) return false;
  if (rebuild_thread_.joinable()) rebuild_thread_.join();
  const std::uint64_t number = generations::next_number(read_dir_);
  auto generation = std::make_shared<Generation>(read_dir_, number, log_, true);
  rebuild_ = {true, number, 0, head_.load(), 0};
  rebuild_stop_ = false;
  rebuild_thread_ = std::thread([this, generation, held = std::make_shared<DirLock>(std::move(*file_lock))] {
    pthread_setname_np(pthread_self(), "rebuild");
    rebuild_thread(generation);
  });
  return true;
}

RebuildStatus Projector::rebuild_status() const {
  std::lock_guard lock(rebuild_mutex_);
  return rebuild_;
}

void Projector::rebuild_thread(std::shared_ptr<Generation> generation) {
  try {
    // The bulk of the log in one pass (bulk_fold.h), then record by record up to the head.
    const Folded bulk = bulk_fold(*generation, log_store_, log_, {}, [&](std::uint64_t position, std::uint64_t events) {
      std::lock_guard lock(rebuild_mutex_);
      rebuild_.folded = position;
      rebuild_.target = std::max(head_.load(), position);
      rebuild_.events = events;
    });
    {
      std::lock_guard lock(rebuild_mutex_);
      rebuild_.folded = bulk.checkpoint;
      rebuild_.events = bulk.events;
    }
    // Record by record until close to the head; false when asked to stop.
    auto catch_up = [&] {
      for (;;) {
        if (rebuild_stop_) {
          generation->retire();
          std::lock_guard lock(rebuild_mutex_);
          rebuild_.running = false;
          return false;
        }
        const Folded f = fold_step(*generation, log_store_, log_, kRebuildStep);
        const std::uint64_t head = head_.load();
        {
          std::lock_guard lock(rebuild_mutex_);
          rebuild_.folded = f.checkpoint;
          rebuild_.target = std::max(head, f.checkpoint);
          rebuild_.events += f.events;
        }
        if (f.at_end || head <= f.checkpoint + kHandOverLag) return true;
      }
    };
    // Flushed here, then caught up again: the projector, which stops folding the live generation
    // while it adopts this one, then flushes only the little folded since (not gigabytes).
    if (!catch_up()) return;
    generation->flush();
    if (!catch_up()) return;
    {
      std::lock_guard lock(mutex_);
      ready_ = std::move(generation);
    }
    wake_.notify_one();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eventsd: read models: rebuild failed: %s\n", e.what());
    generation->retire();
    std::lock_guard lock(rebuild_mutex_);
    rebuild_.running = false;
  }
}

}  // namespace eventsd

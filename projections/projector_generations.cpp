// Which generation the projector serves: the one CURRENT names when it can be trusted, else a
// new one folded on the rebuild thread (bulk_fold.h, then record by record) while the log keeps
// taking writes; a generation rebuilt beside the live one, by rebuild() or offered by eventctl
// rebuild through DIR/read/OFFER, is caught up, flushed, named in CURRENT and served (adopt).
#include <pthread.h>

#include <cstdio>

#include "eventlog/dir_lock.h"
#include "projections/bulk_fold.h"
#include "projections/fold.h"
#include "projections/projector.h"

namespace eventsd {

namespace fs = std::filesystem;

namespace {

// A rebuild folds in large steps (the live generation in small ones: projector.cpp).
constexpr FoldLimits kRebuildStep{20'000, 100'000};
// A rebuild hands its generation over once it is this close to the log's head.
constexpr std::uint64_t kHandOverLag = 2'000;

}  // namespace

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

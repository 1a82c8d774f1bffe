// The projector's life and its fold loop: starting and stopping its threads, folding the live
// generation behind the writer and answering the writes waiting for what it folded. Which
// generation is served, and rebuilds, are in projector_generations.cpp; the flush thread in
// projector_flush.cpp.
#include "projections/projector.h"

#include <pthread.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "projections/fold.h"

namespace eventsd {

namespace fs = std::filesystem;

namespace {

// A live generation folds in small steps (each ack waits for one); a rebuild in large ones
// (projector_generations.cpp).
constexpr FoldLimits kLiveStep{1'000, 20'000};
// How often the fold loop looks for a generation eventctl rebuild offers.
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

}  // namespace eventsd

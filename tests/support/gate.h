// A gate that work waits at until the test opens it: how a test holds a worker busy at a known
// point (a password check, a job in a pool) without sleeping. Thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>

namespace eventsd::test {

class Gate {
 public:
  // Blocks until open() (at once if it was opened already).
  void wait() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    cv_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  // How many calls of wait() have begun.
  int waiting() {
    std::lock_guard lock(mutex_);
    return waiting_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

}  // namespace eventsd::test

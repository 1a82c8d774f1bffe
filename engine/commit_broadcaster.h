// Tells coroutines waiting for a position that the read models reached it: the engine calls
// published() after each fold (on the projector's thread); an event stream or a read with
// min_position awaits wait_beyond() on its own executor.
// Thread safety: every member may be called from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

namespace eventsd {

class CommitBroadcaster {
 public:
  explicit CommitBroadcaster(std::uint64_t head) : head_(head) {}

  void published(std::uint64_t head);
  std::uint64_t head() const { return head_.load(); }

  enum class Wake { moved, timeout, closed };
  // Returns when the log head passes `position`, after `timeout`, or when the broadcaster closes.
  boost::asio::awaitable<Wake> wait_beyond(std::uint64_t position, std::chrono::milliseconds timeout);
  // Wakes every waiter for good (the server is draining).
  void close();
  // Serves waiters again after close() (a test harness that ends every wait after each request).
  void reopen() { closed_.store(false); }
  bool closed() const { return closed_.load(); }

 private:
  std::atomic<std::uint64_t> head_;
  std::atomic<bool> closed_{false};
  std::mutex mutex_;
  std::set<std::shared_ptr<boost::asio::steady_timer>> waiting_;
};

}  // namespace eventsd

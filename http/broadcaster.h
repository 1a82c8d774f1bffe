// Tells waiting event streams that the log moved on. The writer calls published() after each
// commit (on its thread); a stream's coroutine awaits wait_beyond() on its own executor.
// Thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

#include "http/stream_slots.h"

namespace eventsd::http {

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
  bool closed() const { return closed_.load(); }

  // Streams being served (for /metrics), and the slots they hold.
  std::atomic<std::int64_t> subscribers{0};
  StreamSlots slots{&subscribers};

 private:
  std::atomic<std::uint64_t> head_;
  std::atomic<bool> closed_{false};
  std::mutex mutex_;
  std::set<std::shared_ptr<boost::asio::steady_timer>> waiting_;
};

}  // namespace eventsd::http

#include "engine/commit_broadcaster.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace eventsd {

namespace asio = boost::asio;

namespace {
void wake(const std::shared_ptr<asio::steady_timer>& timer) {
  // A timer is only touched on its own executor.
  asio::post(timer->get_executor(), [timer] { timer->cancel(); });
}
}  // namespace

void CommitBroadcaster::published(std::uint64_t head) {
  head_.store(head);
  std::lock_guard lock(mutex_);
  for (const auto& t : waiting_) wake(t);
}

void CommitBroadcaster::close() {
  closed_.store(true);
  std::lock_guard lock(mutex_);
  for (const auto& t : waiting_) wake(t);
}

asio::awaitable<CommitBroadcaster::Wake> CommitBroadcaster::wait_beyond(std::uint64_t position,
                                                                        std::chrono::milliseconds timeout) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, timeout);
  {
    // Registered before looking, so a commit between the look and the wait is not missed.
    std::lock_guard lock(mutex_);
    waiting_.insert(timer);
  }
  struct Leave {
    CommitBroadcaster* self;
    std::shared_ptr<asio::steady_timer> timer;
    ~Leave() {
      std::lock_guard lock(self->mutex_);
      self->waiting_.erase(timer);
    }
  } leave{this, timer};
  if (closed_) co_return Wake::closed;
  if (head_ > position) co_return Wake::moved;
  auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  if (closed_) co_return Wake::closed;
  if (head_ > position) co_return Wake::moved;
  co_return ec ? Wake::moved : Wake::timeout;
}

}  // namespace eventsd

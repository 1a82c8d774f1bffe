// The workers requests hand CPU-heavy work to (http/api/work_pool.h): the awaiting coroutine gets
// the result or the exception, and work past the threads and the queue is refused at once.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <stdexcept>
#include <string>
#include <thread>

#include "http/api/work_pool.h"
#include "tests/support/eventually.h"
#include "tests/support/gate.h"

namespace eventsd::http {
namespace {

namespace asio = boost::asio;

using test::Gate;

TEST(WorkPool, ResumesWithTheResultOrTheException) {
  WorkPool pool(2, 4);
  asio::io_context io;
  const auto caller = std::this_thread::get_id();
  auto result = asio::co_spawn(io, [&]() -> asio::awaitable<std::optional<std::thread::id>> {
    co_return co_await pool.run([] { return std::this_thread::get_id(); });
  }, asio::use_future);
  auto failure = asio::co_spawn(io, [&]() -> asio::awaitable<std::optional<int>> {
    co_return co_await pool.run([]() -> int { throw std::runtime_error("hash failed"); });
  }, asio::use_future);
  io.run();  // returns once both coroutines are done: the work in the pool kept it running
  const auto worker = result.get();
  ASSERT_TRUE(worker);
  EXPECT_NE(*worker, caller) << "the work ran on a worker, not the I/O thread";
  EXPECT_THROW(failure.get(), std::runtime_error);
  EXPECT_EQ(pool.pending(), 0u);
}

TEST(WorkPool, TheWorkOwnsWhatItCaptures) {
  WorkPool pool(1, 0);
  asio::io_context io;
  auto answer = asio::co_spawn(io, [&]() -> asio::awaitable<std::optional<std::string>> {
    std::string text(1000, 'x');  // on the heap: a double free or a dangling read would show
    auto work = [text = std::move(text)] { return text + "!"; };
    co_return co_await pool.run(std::move(work));
  }, asio::use_future);
  io.run();
  EXPECT_EQ(answer.get(), std::string(1000, 'x') + "!");
}

TEST(WorkPool, PastItsThreadsAndQueueWorkIsRefusedAtOnce) {
  WorkPool pool(1, 1);
  Gate gate;
  asio::io_context io;
  auto run = [&] {
    return asio::co_spawn(io, [&]() -> asio::awaitable<std::optional<int>> {
      co_return co_await pool.run([&gate] {
        gate.wait();
        return 7;
      });
    }, asio::use_future);
  };
  auto running = run();
  auto queued = run();
  std::thread io_thread([&] { io.run(); });
  ASSERT_TRUE(test::eventually([&] { return gate.waiting() == 1 && pool.pending() == 2; }));
  // The third is answered at once, while the other two are held.
  asio::io_context other;
  auto refused = asio::co_spawn(other, [&]() -> asio::awaitable<std::optional<int>> {
    co_return co_await pool.run([] { return 8; });
  }, asio::use_future);
  other.run();
  EXPECT_EQ(refused.get(), std::nullopt);
  gate.open();
  io_thread.join();
  EXPECT_EQ(running.get(), 7);
  EXPECT_EQ(queued.get(), 7);
  EXPECT_EQ(pool.pending(), 0u);
}

}  // namespace
}  // namespace eventsd::http

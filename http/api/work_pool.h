// A small pool of worker threads for the CPU-heavy work a request needs (a password check:
// Argon2id over 64 MiB, tens of milliseconds), so that it never runs on an I/O thread. The
// request's coroutine hands the work over and suspends — its I/O thread serves other connections
// meanwhile — and resumes on its own executor when the work is done, as a write route awaits the
// writer (http/api/submit.h; the io_context counts the work as outstanding, so it keeps running).
// The queue is bounded: past `threads` running and `queue` waiting, run() refuses at once and the
// caller answers 503, so a flood costs neither memory nor anyone else's latency.
//
// Thread safety: run() and pending() from any thread at once. Lifetime: the pool outlives every
// coroutine awaiting it (main() destroys the server, and with it those coroutines, first); its
// destructor waits for the work running.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace eventsd::http {

class WorkPool {
 public:
  WorkPool(std::size_t threads, std::size_t queue)
      : pool_(std::max<std::size_t>(1, threads)), capacity_(std::max<std::size_t>(1, threads) + queue) {}
  ~WorkPool() { pool_.join(); }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Runs f() on a worker and completes with what it returns (or the exception it throws); with
  // nullopt, at once, when the pool is full. f is moved to the worker: it must not refer to the
  // caller's frame. The completion runs on the caller's executor (the awaiting coroutine's), which
  // counts as busy until then, as async_submit does for the writer (submit.h).
  template <class F, class CompletionToken = boost::asio::use_awaitable_t<>>
  auto run(F f, CompletionToken&& token = {}) {
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F&>;
    return asio::async_initiate<CompletionToken, void(std::exception_ptr, std::optional<R>)>(
        [this](auto handler, F f) {
          auto ex = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
          if (pending_.fetch_add(1) >= capacity_) {
            --pending_;
            asio::post(ex, [handler = std::move(handler)]() mutable { std::move(handler)(nullptr, std::nullopt); });
            return;
          }
          asio::post(pool_, [this, f = std::move(f), handler = std::move(handler), ex]() mutable {
            yield_to_io_threads();
            std::exception_ptr failure;
            std::optional<R> result;
            try {
              result.emplace(f());
            } catch (...) {
              failure = std::current_exception();
            }
            --pending_;
            asio::post(ex, [handler = std::move(handler), failure, result = std::move(result)]() mutable {
              std::move(handler)(failure, std::move(result));
            });
          });
        },
        token, std::move(f));
  }

  // The work running and waiting, and whether run() would refuse now (it may still refuse
  // what this allowed: others may take the room first).
  std::size_t pending() const { return pending_.load(); }
  bool full() const { return pending_.load() >= capacity_; }

 private:
  // Lowers the calling worker's scheduling priority (nice 10, once per thread): when the cores
  // are busy, the I/O threads run first and the work waits (work_pool.cpp).
  static void yield_to_io_threads();

  boost::asio::thread_pool pool_;
  const std::size_t capacity_;
  std::atomic<std::size_t> pending_{0};
};

}  // namespace eventsd::http

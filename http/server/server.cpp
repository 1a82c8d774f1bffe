#include "http/server/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>
#include <vector>

#include "http/server/fd_limit.h"

namespace eventsd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

Server::Server(Service& service, ServerOptions options)
    : service_(service),
      options_(std::move(options)),
      control_(asio::make_strand(ioc_)),
      acceptor_(control_),
      signals_(control_),
      drain_deadline_(control_) {}

Server::~Server() = default;

void Server::listen() {
  tcp::endpoint endpoint(asio::ip::make_address(options_.host), options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  // Connections are capped to what the open-file limit leaves: beyond it accept() fails and new
  // clients would wait unanswered.
  const FdBudget fds = raise_open_file_limit();
  connection_cap_ = std::min(options_.max_connections, fds.connections);
  overflow_ = fds.connections + fds.overflow - connection_cap_;
  if (connection_cap_ < options_.max_connections) {
    std::fprintf(stderr,
                 "eventsd: open-file limit %zu (soft limit was %zu), %zu in use: serving at most %zu "
                 "connections (--max-connections %zu)\n",
                 fds.limit, fds.raised_from, fds.in_use, connection_cap_, options_.max_connections);
  }
  asio::co_spawn(control_, accept_loop(), asio::detached);
}

void Server::run(unsigned threads) {
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([this] {
      pthread_setname_np(pthread_self(), "io");
      ioc_.run();
    });
  }
  ioc_.run();
  for (auto& t : pool) t.join();
}

void Server::drain_on_signals() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.async_wait([this](const beast::error_code& ec, int) {
    if (!ec) drain();
  });
}

void Server::every(std::chrono::milliseconds period, std::function<void()> task) {
  auto timer = std::make_shared<asio::steady_timer>(control_);
  periodic_.push_back(timer);
  asio::co_spawn(
      control_,
      [this, timer, period, task = std::move(task)]() -> asio::awaitable<void> {
        for (;;) {
          timer->expires_after(period);
          auto [ec] = co_await timer->async_wait(use_tuple);
          // A wait that ended just before the drain cancelled it: its end was already queued.
          if (ec || draining_) co_return;
          task();
        }
      },
      asio::detached);
}

void Server::drain(std::chrono::milliseconds grace) {
  asio::post(control_, [this, grace] {
    if (draining_.exchange(true)) return;
    beast::error_code ec;
    acceptor_.close(ec);
    signals_.cancel(ec);
    for (auto& timer : periodic_) timer->cancel();
    if (on_drain_) on_drain_();
    std::lock_guard lock(connections_mutex_);
    if (connections_.empty()) return;
    drain_deadline_.expires_after(grace);
    drain_deadline_.async_wait([this](const beast::error_code& ec) {
      if (!ec) ioc_.stop();  // connections that outlived the grace period are cut
    });
    for (const auto& c : connections_) close_if_idle(c);
  });
}

void Server::forget(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(connections_mutex_);
  connections_.erase(connection);
  if (draining_ && connections_.empty()) {
    asio::post(control_, [this] { drain_deadline_.cancel(); });
  }
}

asio::awaitable<void> Server::accept_loop() {
  std::size_t failures = 0;  // accept() failures since the last log line
  auto last_log = std::chrono::steady_clock::now() - std::chrono::hours(1);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), use_tuple);
    if (draining_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors (EMFILE, ENFILE) or memory: the clients wait in the listen backlog
      // until descriptors are given back. Say so, at most every ten seconds, and go on accepting.
      ++failures;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_log >= std::chrono::seconds(10)) {
        std::fprintf(stderr, "eventsd: accept failed %zu time(s): %s; %zu connections open\n", failures,
                     ec.message().c_str(), open_connections_.load());
        failures = 0;
        last_log = now;
      }
      asio::steady_timer pause(ioc_, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    auto connection = make_connection(std::move(socket));
    {
      std::lock_guard lock(connections_mutex_);
      connections_.insert(connection);
    }
    asio::co_spawn(executor_of(*connection), serve(connection), asio::detached);
  }
}

}  // namespace eventsd::http

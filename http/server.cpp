#include "http/server.h"

#include "http/metrics.h"
#include "http/router.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>
#include <tuple>
#include <vector>

namespace eventsd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Server::Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool idle = true;  // waiting for the first byte of a request (guarded by the strand)
};

Server::Server(App& app, Router router)
    : app_(app), router_(std::move(router)), acceptor_(ioc_), signals_(ioc_),
      drain_deadline_(ioc_) {}

Server::~Server() = default;

void Server::listen() {
  tcp::endpoint endpoint(asio::ip::make_address(app_.options.host), app_.options.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(ioc_, accept_loop(), asio::detached);
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
  auto timer = std::make_shared<asio::steady_timer>(ioc_);
  periodic_.push_back(timer);
  asio::co_spawn(
      ioc_,
      [timer, period, task = std::move(task)]() -> asio::awaitable<void> {
        for (;;) {
          timer->expires_after(period);
          auto [ec] = co_await timer->async_wait(use_tuple);
          if (ec) co_return;
          task();
        }
      },
      asio::detached);
}

void Server::drain(std::chrono::milliseconds grace) {
  asio::post(ioc_, [this, grace] {
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
    for (const auto& c : connections_) {
      asio::dispatch(c->stream.get_executor(), [c] {
        if (c->idle) c->stream.socket().close();
      });
    }
  });
}

void Server::forget(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(connections_mutex_);
  connections_.erase(connection);
  if (draining_ && connections_.empty()) {
    asio::post(ioc_, [this] { drain_deadline_.cancel(); });
  }
}

asio::awaitable<void> Server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), use_tuple);
    if (draining_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors or similar: back off briefly instead of spinning.
      asio::steady_timer pause(ioc_, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(connections_mutex_);
      connections_.insert(connection);
    }
    asio::co_spawn(connection->stream.get_executor(), serve(connection), asio::detached);
  }
}

namespace {

// An error found before the router saw the request (framing, limits): in the dialect of the
// target when the request line got that far. The connection ends after it.
Response plain_error(std::string_view target, unsigned status, std::string code, std::string message) {
  Response res = error_response(dialect_of_target(target), ApiError(status, std::move(code), std::move(message)));
  res.keep_alive(false);
  return res;
}

Response read_error(const bhttp::request_parser<bhttp::string_body>& parser, beast::error_code ec) {
  const std::string_view target = parser.get().target();
  if (ec == bhttp::error::header_limit) {
    return plain_error(target, 431, "header_too_large", "request headers exceed 8 KiB");
  }
  if (ec == bhttp::error::body_limit) {
    return plain_error(target, 413, "payload_too_large", "request body exceeds 1 MiB");
  }
  return plain_error(target, 400, "invalid_request", "malformed HTTP request");
}

bool expects_continue(const RawRequest& req) {
  auto it = req.find(bhttp::field::expect);
  return it != req.end() && beast::iequals(it->value(), "100-continue");
}

}  // namespace

asio::awaitable<bool> Server::write_chunked(beast::tcp_stream& stream, Reply& reply) {
  const auto& opt = app_.options;
  Response& res = reply.response;
  // HTTP/1.0 has no chunked encoding: the body is the bytes until the connection closes.
  const bool until_close = res.version() < 11;
  if (until_close) res.keep_alive(false);
  else res.chunked(true);
  bhttp::response_serializer<bhttp::string_body> header(res);
  stream.expires_after(opt.write_timeout);
  if (auto [ec, n] = co_await bhttp::async_write_header(stream, header, use_tuple); ec) co_return false;
  for (;;) {
    // No deadline while the source waits (an event stream waits for commits); one per write.
    stream.expires_never();
    std::optional<std::string> piece;
    try {
      piece = co_await reply.chunks();
    } catch (const std::exception& e) {
      // Too late for an error response: end the connection so the client sees a broken body.
      std::fprintf(stderr, "eventsd: streamed body failed: %s\n", e.what());
      co_return false;
    }
    stream.expires_after(opt.write_timeout);
    if (!piece) break;
    if (piece->empty()) continue;
    auto [ec, n] = until_close
                       ? co_await asio::async_write(stream, asio::buffer(*piece), use_tuple)
                       : co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(*piece)), use_tuple);
    if (ec) co_return false;
  }
  if (until_close) co_return false;
  auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), use_tuple);
  co_return !ec;
}

asio::awaitable<void> Server::serve(std::shared_ptr<Connection> c) {
  struct Unregister {
    Server* server;
    std::shared_ptr<Connection> c;
    ~Unregister() { server->forget(c); }
  } unregister{this, c};
  const std::size_t open = ++open_connections_;
  if (app_.metrics) ++app_.metrics->open_connections;
  struct Count {
    Server* server;
    ~Count() {
      --server->open_connections_;
      if (server->app_.metrics) --server->app_.metrics->open_connections;
    }
  } count{this};

  auto& stream = c->stream;
  beast::flat_buffer buffer;
  const auto& opt = app_.options;
  if (open > opt.max_connections) {
    stream.expires_after(opt.write_timeout);
    auto res = plain_error("", 503, "overloaded", "too many open connections; retry later");
    co_await bhttp::async_write(stream, res, use_tuple);
    co_return;
  }
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    parser.body_limit(opt.body_limit);
    c->idle = buffer.size() == 0;
    if (draining_ && c->idle) break;
    stream.expires_after(opt.read_timeout);
    // Wait for the first byte before reading, so that an idle keep-alive connection can be told
    // apart from one in the middle of a request when the server drains.
    if (buffer.size() == 0) {
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec) break;  // closed, timed out, or closed by drain()
      buffer.commit(n);
    }
    c->idle = false;
    // The header first: a client that sent "Expect: 100-continue" waits for the go-ahead before
    // its body (a body over the limit is refused by its Content-Length, without reading it).
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (!ec && !parser.is_done()) {
      if (expects_continue(parser.get())) {
        bhttp::response<bhttp::empty_body> go_ahead(bhttp::status::continue_, parser.get().version());
        stream.expires_after(opt.write_timeout);
        std::tie(ec, n) = co_await bhttp::async_write(stream, go_ahead, use_tuple);
        stream.expires_after(opt.read_timeout);
      }
      if (!ec) std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    }
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted) {
        break;
      }
      auto res = read_error(parser, ec);
      stream.expires_after(opt.write_timeout);
      co_await bhttp::async_write(stream, res, use_tuple);
      break;
    }
    const RawRequest& req = parser.get();
    const auto started = std::chrono::steady_clock::now();
    Reply reply = co_await router_.handle(app_, req);
    auto observe = [&] {
      if (!app_.metrics) return;
      app_.metrics->observe(reply.route, reply.response.result_int(),
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };
    Response& res = reply.response;
    const bool keep_alive = req.keep_alive() && !draining_;
    res.keep_alive(keep_alive);
    res.version(req.version());
    res.set(bhttp::field::server, "eventsd");
    if (reply.chunks) {
      observe();
      if (!co_await write_chunked(stream, reply) || !keep_alive) break;
      continue;
    }
    stream.expires_after(opt.write_timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, res, use_tuple);
    observe();
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace eventsd::http

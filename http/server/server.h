// The HTTP server: an acceptor and one coroutine per connection (Boost.Beast over Boost.Asio),
// all on one io_context run by as many threads as the machine has cores. What it serves is a
// Service (message.h): the server only reads requests and writes answers.
//
// Each connection (connection.cpp) waits for a request's first byte under the idle deadline
// (ServerOptions::idle_timeout), then reads that request under its own deadline (read_timeout,
// from the first byte), with an 8 KiB header limit (431) and a 1 MiB body limit (413); a gzip
// body is inflated within the same limit (body.h). The Service answers; the server frames the
// answer (framing.h): gzip when the client accepts it, no body for HEAD, chunks for streamed
// bodies, each write under a deadline. Malformed HTTP gets a 400 and the connection is closed;
// other connections never notice. An answer sent before the request was read whole (413, 431,
// 400, the 503 beyond the connection cap) is followed by a lingering close, so it is not lost to
// a reset.
//
// listen() raises the soft open-file limit to the hard one and caps connections to what the
// limit leaves (ServerOptions::max_connections; connection_cap() says what it became).
//
// drain() (SIGTERM) stops accepting, closes idle connections, lets in-flight requests finish and
// be answered with "Connection: close"; run() returns when the last connection is gone.
//
// Thread safety: drain() from any thread; the rest from the thread that owns the server, before
// run() (every(), on_drain(), listen()) or after it returned. Inside, the acceptor, the signal
// set, the periodic tasks and the drain run on one strand (control_): an Asio object is not safe
// to use from two threads at once, and I/O threads would otherwise close the acceptor while
// another starts its next accept.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "http/server/message.h"

namespace eventsd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0: one per core
  std::chrono::milliseconds idle_timeout{30'000};   // waiting for the next request's first byte
  std::chrono::milliseconds read_timeout{30'000};   // one request, from its first byte to its last
  std::chrono::milliseconds write_timeout{30'000};  // a whole response
  std::size_t max_connections = 10'000;
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = 1024 * 1024;       // as sent, and again once decompressed
  // An answer sent before the request was read whole (413, 431, 400, 503 overloaded) is followed
  // by a lingering close: what the client still sends is read and discarded, up to these bounds,
  // so that its TCP stack does not turn the answer into a reset.
  std::chrono::milliseconds linger_time{5'000};
  std::size_t linger_bytes = 8 * 1024 * 1024;
};

class Server {
 public:
  // `service` outlives the server.
  Server(Service& service, ServerOptions options);
  ~Server();

  // Binds the listening socket (port 0 picks a free port). Throws on failure.
  void listen();
  std::uint16_t port() const { return port_; }
  // The connections served at once, after listen() capped them to the open-file limit.
  std::size_t connection_cap() const { return connection_cap_; }
  // Runs the io_context on `threads` threads (this one included) until drained.
  void run(unsigned threads);
  // Thread-safe, callable from any thread. Connections still busy after `grace` are cut.
  void drain(std::chrono::milliseconds grace = std::chrono::seconds(30));
  // Drains when one of the signals arrives (SIGTERM, SIGINT).
  void drain_on_signals();
  // Called (once) when the server starts draining: streams that never end by themselves stop.
  void on_drain(std::function<void()> hook) { on_drain_ = std::move(hook); }
  // Runs `task` on an I/O thread every `period` until the server drains. The task must not block.
  void every(std::chrono::milliseconds period, std::function<void()> task);

  // The executor requests are served on (cluster mode serves the requests other nodes forward
  // with it).
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

  struct Connection;

 private:
  boost::asio::awaitable<void> accept_loop();
  // One connection's requests, one after the other (connection.cpp).
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  // Shuts the sending side, reads and discards what the client still sends (up to
  // ServerOptions::linger_time and linger_bytes), then closes.
  boost::asio::awaitable<void> linger_close(Connection& connection);
  // (connection.cpp, which defines Connection.)
  static std::shared_ptr<Connection> make_connection(boost::asio::ip::tcp::socket socket);
  static void close_if_idle(const std::shared_ptr<Connection>& connection);
  boost::asio::any_io_executor executor_of(Connection& connection);
  void forget(const std::shared_ptr<Connection>& connection);

  Service& service_;
  ServerOptions options_;
  boost::asio::io_context ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> control_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_deadline_;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> open_connections_{0};
  std::size_t connection_cap_ = 0;  // set by listen(): served connections
  std::size_t overflow_ = 0;        // set by listen(): connections beyond the cap that get a 503
  std::mutex connections_mutex_;
  std::set<std::shared_ptr<Connection>> connections_;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> periodic_;
  std::function<void()> on_drain_;
};

}  // namespace eventsd::http

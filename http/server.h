// The HTTP server: an acceptor and one coroutine per connection (Boost.Beast over Boost.Asio),
// all on one io_context run by as many threads as the machine has cores.
//
// Each connection waits for a request's first byte under the idle deadline
// (ServerOptions::idle_timeout), then reads that request under its own deadline (read_timeout,
// from the first byte), with an 8 KiB header limit (431) and a 1 MiB body limit (413); a gzip
// body is inflated within the same limit (http/gzip.h). The Router answers; the server frames the
// answer: gzip when the client accepts it, no body for HEAD, chunks for streamed bodies, each
// write under a deadline. Malformed HTTP gets a 400 and the connection is closed; other
// connections never notice. An answer sent before the request was read whole (413, 431, 400, the
// 503 beyond the connection cap) is followed by a lingering close, so it is not lost to a reset.
//
// listen() raises the soft open-file limit to the hard one and caps connections and streams
// (ServerOptions::max_connections, max_streams) to what the limit leaves.
//
// drain() (SIGTERM) stops accepting, closes idle connections, lets in-flight requests finish and
// be answered with "Connection: close"; run() returns when the last connection is gone.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <functional>
#include <set>
#include <vector>

#include "http/api.h"
#include "http/router.h"

namespace eventsd::http {

class Server {
 public:
  Server(App& app, Router router);
  ~Server();

  // Binds the listening socket (port 0 picks a free port). Throws on failure.
  void listen();
  std::uint16_t port() const { return port_; }
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

  // The routes, and the executor requests are served on (cluster mode serves requests other
  // nodes forward with them, http/forward.h).
  const Router& router() const { return router_; }
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

  struct Connection;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  // Writes a reply whose body comes from a ChunkSource (gzip-compressed piece by piece when
  // `gzip_body`); false when the connection failed or the client left.
  boost::asio::awaitable<bool> write_chunked(boost::beast::tcp_stream& stream, Reply& reply, bool gzip_body);
  // Writes the header alone (HEAD, or a streamed body's header); false when that failed.
  boost::asio::awaitable<bool> write_head(boost::beast::tcp_stream& stream, Response& res);
  // The whole answer, or only its header to a HEAD request; false when it could not be sent.
  boost::asio::awaitable<bool> write_whole(boost::beast::tcp_stream& stream, Response& res, bool head);
  // Shuts the sending side, reads and discards what the client still sends (up to
  // ServerOptions::linger_time and linger_bytes), then closes.
  boost::asio::awaitable<void> linger_close(Connection& connection);
  void forget(const std::shared_ptr<Connection>& connection);

  App& app_;
  Router router_;
  boost::asio::io_context ioc_;
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

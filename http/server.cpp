#include "http/server.h"

#include "http/fd_limit.h"
#include "http/forward.h"
#include "http/gzip.h"
#include "http/metrics.h"
#include "http/router.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
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
using namespace asio::experimental::awaitable_operators;
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
  // Connections (and streams) are capped to what the open-file limit leaves: beyond it accept()
  // fails and new clients would wait unanswered.
  auto& opt = app_.options;
  const FdBudget fds = raise_open_file_limit();
  connection_cap_ = std::min(opt.max_connections, fds.connections);
  overflow_ = fds.connections + fds.overflow - connection_cap_;
  const std::size_t streams = std::min(opt.max_streams, connection_cap_);
  if (connection_cap_ < opt.max_connections || streams < opt.max_streams) {
    std::fprintf(stderr,
                 "eventsd: open-file limit %zu (soft limit was %zu), %zu in use: serving at most %zu "
                 "connections (--max-connections %zu) and %zu event streams (--max-streams %zu)\n",
                 fds.limit, fds.raised_from, fds.in_use, connection_cap_, opt.max_connections, streams,
                 opt.max_streams);
  }
  opt.max_connections = connection_cap_;
  opt.max_streams = streams;
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
// target (mounts included) when the request line got that far. The connection ends after it.
Response plain_error(Dialect dialect, unsigned status, std::string code, std::string message) {
  Response res = error_response(dialect, ApiError(status, std::move(code), std::move(message)));
  res.keep_alive(false);
  return res;
}

Response read_error(const Router& router, const bhttp::request_parser<bhttp::string_body>& parser,
                    beast::error_code ec) {
  const Dialect dialect = router.dialect_of(parser.get().target());
  if (ec == bhttp::error::header_limit) {
    return plain_error(dialect, 431, "header_too_large", "request headers exceed 8 KiB");
  }
  if (ec == bhttp::error::body_limit) {
    return plain_error(dialect, 413, "payload_too_large", "request body exceeds 1 MiB");
  }
  return plain_error(dialect, 400, "invalid_request", "malformed HTTP request");
}

bool expects_continue(const RawRequest& req) {
  auto it = req.find(bhttp::field::expect);
  // HTTP/1.0 has no 100 Continue: the expectation is ignored (RFC 9110 §10.1.1).
  return req.version() >= 11 && it != req.end() && beast::iequals(it->value(), "100-continue");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A body sent with Content-Encoding is decoded before routing, so that every route sees the
// body as sent; the decoded size is bounded like the body itself. An answer when it cannot be.
std::optional<Response> decode_body(const Router& router, RawRequest& req, std::size_t limit) {
  auto it = req.find(bhttp::field::content_encoding);
  if (it == req.end()) return std::nullopt;
  const std::string_view coding = trim(it->value());
  const Dialect dialect = router.dialect_of(req.target());
  if (beast::iequals(coding, "identity") || req.body().empty()) {
    req.erase(bhttp::field::content_encoding);
    return std::nullopt;
  }
  if (!beast::iequals(coding, "gzip") && !beast::iequals(coding, "x-gzip")) {
    Response res = error_response(dialect, ApiError(415, "unsupported_encoding",
                                                    "Content-Encoding must be gzip or identity"));
    res.set(bhttp::field::accept_encoding, "gzip");
    return res;
  }
  std::string body;
  switch (gunzip(req.body(), limit, body)) {
    case Gunzip::too_large:
      return error_response(dialect, ApiError(413, "payload_too_large", "request body exceeds 1 MiB once decompressed"));
    case Gunzip::corrupt:
      return error_response(dialect, ApiError(400, "invalid_request", "the body is not valid gzip"));
    case Gunzip::ok:
      break;
  }
  req.body() = std::move(body);
  req.erase(bhttp::field::content_encoding);
  req.content_length(req.body().size());
  return std::nullopt;
}

bool is_event_stream(const Response& res) {
  auto it = res.find(bhttp::field::content_type);
  return it != res.end() && beast::iequals(trim(it->value().substr(0, it->value().find(';'))), "text/event-stream");
}

void add_vary_accept_encoding(Response& res) {
  auto it = res.find(bhttp::field::vary);
  if (it == res.end()) {
    res.set(bhttp::field::vary, "Accept-Encoding");
    return;
  }
  std::string value(it->value());
  std::string lower = value;
  for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.find("accept-encoding") == std::string::npos && value != "*") res.set(bhttp::field::vary, value + ", Accept-Encoding");
}

// Whether the answer to `req` goes out gzip-compressed (the body is not touched here). An event
// stream is compressed only when the client names gzip itself: `*` is not asking for it.
bool negotiate_gzip(const RawRequest& req, Response& res, bool event_stream) {
  auto type = res.find(bhttp::field::content_type);
  if (type == res.end() || !compressible(type->value()) || res.count(bhttp::field::content_encoding)) return false;
  add_vary_accept_encoding(res);
  auto accept = req.find(bhttp::field::accept_encoding);
  return accept != req.end() && accepts_gzip(accept->value(), !event_stream);
}

// Completes when the client closes its side of the connection (or it fails). Whatever the client
// sends meanwhile is discarded: nothing can follow a response without end.
asio::awaitable<void> hangup(tcp::socket& socket) {
  char discard[512];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(discard), use_tuple);
    if (ec) co_return;
  }
}

// The next piece of a streamed body, with a failure as a value (never an exception), so that it
// can race the hangup watch: an exception would make the race wait for the other side.
struct Piece {
  std::optional<std::string> text;
  bool failed = false;
};

asio::awaitable<Piece> next_piece(const ChunkSource& chunks) {
  try {
    // (Awaited apart from the initializer: GCC 12 miscompiles co_await inside one.)
    std::optional<std::string> text = co_await chunks();
    co_return Piece{std::move(text), false};
  } catch (const boost::system::system_error& e) {
    // Cancelled because the client left (the hangup watch won the race): nothing to report.
    if (e.code() != asio::error::operation_aborted) {
      std::fprintf(stderr, "eventsd: streamed body failed: %s\n", e.what());
    }
  } catch (const std::exception& e) {
    // Too late for an error response: end the connection so the client sees a broken body.
    std::fprintf(stderr, "eventsd: streamed body failed: %s\n", e.what());
  }
  co_return Piece{std::nullopt, true};
}

}  // namespace

asio::awaitable<void> Server::linger_close(Connection& c) {
  auto& stream = c.stream;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  c.idle = true;  // a drain may close it at once
  if (draining_) co_return;
  stream.expires_after(app_.options.linger_time);
  auto discard = std::make_unique<char[]>(16 * 1024);
  std::size_t taken = 0;
  while (taken < app_.options.linger_bytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(discard.get(), 16 * 1024), use_tuple);
    if (ec) break;  // the client closed (it has the answer), the time is up, or a drain closed it
    taken += n;
  }
  stream.socket().close(ignored);
}

asio::awaitable<bool> Server::write_head(beast::tcp_stream& stream, Response& res) {
  bhttp::response_serializer<bhttp::string_body> serializer(res);
  stream.expires_after(app_.options.write_timeout);
  auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
  co_return !ec;
}

asio::awaitable<bool> Server::write_whole(beast::tcp_stream& stream, Response& res, bool head) {
  // To HEAD: Content-Length as for GET, and no body on the wire (RFC 9110 §9.3.2).
  if (head) co_return co_await write_head(stream, res);
  stream.expires_after(app_.options.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
  co_return !ec;
}

asio::awaitable<bool> Server::write_chunked(beast::tcp_stream& stream, Reply& reply, bool gzip_body) {
  const auto& opt = app_.options;
  Response& res = reply.response;
  const bool event_stream = is_event_stream(res);
  // HTTP/1.0 has no chunked encoding: the body is the bytes until the connection closes.
  const bool until_close = res.version() < 11;
  if (until_close) res.keep_alive(false);
  else res.chunked(true);
  std::optional<GzipStream> deflate;
  if (gzip_body) {
    res.set(bhttp::field::content_encoding, "gzip");
    // A stream lives long and there may be many: a smaller window keeps each one's state small.
    if (event_stream) deflate.emplace(13, 5);
    else deflate.emplace();
  }
  if (!co_await write_head(stream, res)) co_return false;
  for (bool last = false; !last;) {
    // No deadline while the source waits (an event stream waits for commits); one per write.
    stream.expires_never();
    Piece piece;
    if (event_stream) {
      // Watch the read side meanwhile, so that a client that left gives its stream slot back at
      // once rather than at the next heartbeat.
      auto first = co_await (next_piece(reply.chunks) || hangup(stream.socket()));
      if (first.index() == 1) co_return false;
      piece = std::move(std::get<0>(first));
    } else {
      piece = co_await next_piece(reply.chunks);
    }
    if (piece.failed) co_return false;
    last = !piece.text;
    std::string out;
    if (deflate) out = last ? deflate->finish() : deflate->flush(*piece.text);
    else if (!last) out = std::move(*piece.text);
    if (out.empty()) continue;
    stream.expires_after(opt.write_timeout);
    auto [ec, n] = until_close
                       ? co_await asio::async_write(stream, asio::buffer(out), use_tuple)
                       : co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(out)), use_tuple);
    if (ec) co_return false;
  }
  if (until_close) co_return false;
  stream.expires_after(opt.write_timeout);
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
  if (open > connection_cap_) {
    stream.expires_after(opt.write_timeout);
    auto res = plain_error(Dialect::org_unit, 503, "overloaded", "too many open connections; retry later");
    res.set(bhttp::field::retry_after, "1");
    auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
    // Within the headroom the answer is kept from becoming a reset; beyond it, descriptors are
    // too scarce to wait for the client.
    if (!ec && open <= connection_cap_ + overflow_) co_await linger_close(*c);
    co_return;
  }
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
    parser.body_limit(opt.body_limit);
    c->idle = buffer.size() == 0;
    if (draining_ && c->idle) break;
    // Wait for the first byte before reading, so that an idle keep-alive connection can be told
    // apart from one in the middle of a request (when the server drains, and for the deadline).
    if (buffer.size() == 0) {
      stream.expires_after(opt.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      if (ec) break;  // closed, idle too long, or closed by drain()
      buffer.commit(n);
    }
    c->idle = false;
    // The request's own deadline starts at its first byte: time spent idle is not taken from it.
    const auto deadline = std::chrono::steady_clock::now() + opt.read_timeout;
    stream.expires_at(deadline);
    // The header first: a client that sent "Expect: 100-continue" waits for the go-ahead before
    // its body (a body over the limit is refused by its Content-Length, without reading it).
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
    if (!ec && !parser.is_done()) {
      if (expects_continue(parser.get())) {
        bhttp::response<bhttp::empty_body> go_ahead(bhttp::status::continue_, parser.get().version());
        stream.expires_after(opt.write_timeout);
        std::tie(ec, n) = co_await bhttp::async_write(stream, go_ahead, use_tuple);
        stream.expires_at(deadline);
      }
      if (!ec) std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    }
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted) {
        break;
      }
      // Answered before the request was read whole: the rest is read and dropped while closing.
      auto res = read_error(router_, parser, ec);
      res.set(bhttp::field::server, "eventsd");
      if (co_await write_whole(stream, res, parser.get().method() == bhttp::verb::head)) co_await linger_close(*c);
      co_return;
    }
    RawRequest req = parser.release();
    // Only another node marks a request as forwarded, over NATS (http/forward.h): a client's
    // mark would only make a node refuse to forward its write.
    req.erase(kForwardedBy);
    const bool head = req.method() == bhttp::verb::head;
    const auto started = std::chrono::steady_clock::now();
    std::optional<Response> refused = decode_body(router_, req, opt.body_limit);
    // (Not a conditional expression: GCC 12 miscompiles co_await inside one.)
    Reply reply(Response{});
    if (refused) reply = Reply(std::move(*refused));
    else reply = co_await router_.handle(app_, req);
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
    const bool gzip_body = negotiate_gzip(req, res, reply.chunks && is_event_stream(res));
    if (reply.chunks && head) {
      // The header a GET would get, without the framing only its body decides: no body follows.
      if (gzip_body) res.set(bhttp::field::content_encoding, "gzip");
      observe();
      if (!co_await write_head(stream, res) || !keep_alive) break;
      continue;
    }
    if (reply.chunks) {
      observe();
      if (!co_await write_chunked(stream, reply, gzip_body) || !keep_alive) break;
      continue;
    }
    if (gzip_body && res.body().size() >= kGzipMinBytes) {
      res.body() = gzip(res.body());
      res.set(bhttp::field::content_encoding, "gzip");
    }
    const unsigned status = res.result_int();
    if (status >= 200 && status != 204 && status != 304) res.prepare_payload();
    const bool written = co_await write_whole(stream, res, head);
    observe();
    if (!written || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace eventsd::http

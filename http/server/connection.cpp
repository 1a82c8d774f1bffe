// One connection's life (server.h): requests read one after the other under their deadlines,
// each handed to the Service and its answer framed back, until the client leaves, a deadline
// passes, the server drains, or a request cannot be read.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <memory>
#include <tuple>

#include "http/server/body.h"
#include "http/server/framing.h"
#include "http/server/gzip.h"
#include "http/server/server.h"

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

std::shared_ptr<Server::Connection> Server::make_connection(tcp::socket socket) {
  return std::make_shared<Connection>(std::move(socket));
}

asio::any_io_executor Server::executor_of(Connection& c) { return c.stream.get_executor(); }

void Server::close_if_idle(const std::shared_ptr<Connection>& c) {
  asio::dispatch(c->stream.get_executor(), [c] {
    if (c->idle) c->stream.socket().close();
  });
}

asio::awaitable<void> Server::linger_close(Connection& c) {
  auto& stream = c.stream;
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  c.idle = true;  // a drain may close it at once
  if (draining_) co_return;
  stream.expires_after(options_.linger_time);
  auto discard = std::make_unique<char[]>(16 * 1024);
  std::size_t taken = 0;
  while (taken < options_.linger_bytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(discard.get(), 16 * 1024), use_tuple);
    if (ec) break;  // the client closed (it has the answer), the time is up, or a drain closed it
    taken += n;
  }
  stream.socket().close(ignored);
}

asio::awaitable<void> Server::serve(std::shared_ptr<Connection> c) {
  struct Unregister {
    Server* server;
    std::shared_ptr<Connection> c;
    ~Unregister() { server->forget(c); }
  } unregister{this, c};
  const std::size_t open = ++open_connections_;
  service_.connections_changed(+1);
  struct Count {
    Server* server;
    ~Count() {
      --server->open_connections_;
      server->service_.connections_changed(-1);
    }
  } count{this};

  auto& stream = c->stream;
  beast::flat_buffer buffer;
  beast::error_code peer_error;
  const asio::ip::address peer = stream.socket().remote_endpoint(peer_error).address();  // (unspecified if gone)
  const auto& opt = options_;
  // An answer the server gives itself; the connection ends after it.
  auto refusal = [&](std::string_view target, const Refusal& r) {
    Response res = service_.refuse(target, r.status, r.code, r.message);
    res.keep_alive(false);
    res.set(bhttp::field::server, "eventsd");
    return res;
  };
  if (open > connection_cap_) {
    stream.expires_after(opt.write_timeout);
    auto res = refusal("", {503, "overloaded", "too many open connections; retry later"});
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
      auto res = refusal(parser.get().target(), read_refusal(ec));
      if (co_await write_whole(stream, res, parser.get().method() == bhttp::verb::head, opt.write_timeout)) {
        co_await linger_close(*c);
      }
      co_return;
    }
    RawRequest req = parser.release();
    const bool head = req.method() == bhttp::verb::head;
    const auto started = std::chrono::steady_clock::now();
    std::optional<Refusal> undecodable = decode_body(req, opt.body_limit);
    // (Not a conditional expression: GCC 12 miscompiles co_await inside one.)
    Reply reply(Response{});
    if (undecodable) {
      reply = Reply(service_.refuse(req.target(), undecodable->status, undecodable->code, undecodable->message));
      if (undecodable->status == 415) reply.response.set(bhttp::field::accept_encoding, "gzip");
    } else {
      reply = co_await service_.handle(req, peer);
    }
    auto observe = [&] {
      service_.answered(reply.route, reply.response.result_int(),
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
      if (!co_await write_head(stream, res, opt.write_timeout) || !keep_alive) break;
      continue;
    }
    if (reply.chunks) {
      observe();
      if (!co_await write_chunked(stream, reply, gzip_body, opt.write_timeout) || !keep_alive) break;
      continue;
    }
    if (gzip_body && res.body().size() >= kGzipMinBytes) {
      res.body() = gzip(res.body());
      res.set(bhttp::field::content_encoding, "gzip");
    }
    const unsigned status = res.result_int();
    if (status >= 200 && status != 204 && status != 304) res.prepare_payload();
    const bool written = co_await write_whole(stream, res, head, opt.write_timeout);
    observe();
    if (!written || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace eventsd::http

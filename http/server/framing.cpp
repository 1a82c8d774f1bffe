#include "http/server/framing.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <cstdio>
#include <optional>
#include <string>

#include "http/server/gzip.h"

namespace eventsd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
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

bool is_event_stream(const Response& res) {
  auto it = res.find(bhttp::field::content_type);
  return it != res.end() && beast::iequals(trim(it->value().substr(0, it->value().find(';'))), "text/event-stream");
}

bool negotiate_gzip(const RawRequest& req, Response& res, bool event_stream) {
  auto type = res.find(bhttp::field::content_type);
  if (type == res.end() || !compressible(type->value()) || res.count(bhttp::field::content_encoding)) return false;
  add_vary_accept_encoding(res);
  auto accept = req.find(bhttp::field::accept_encoding);
  return accept != req.end() && accepts_gzip(accept->value(), !event_stream);
}

asio::awaitable<bool> write_head(beast::tcp_stream& stream, Response& res, std::chrono::milliseconds timeout) {
  bhttp::response_serializer<bhttp::string_body> serializer(res);
  stream.expires_after(timeout);
  auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
  co_return !ec;
}

asio::awaitable<bool> write_whole(beast::tcp_stream& stream, Response& res, bool head,
                                  std::chrono::milliseconds timeout) {
  // To HEAD: Content-Length as for GET, and no body on the wire (RFC 9110 §9.3.2).
  if (head) co_return co_await write_head(stream, res, timeout);
  stream.expires_after(timeout);
  auto [ec, n] = co_await bhttp::async_write(stream, res, use_tuple);
  co_return !ec;
}

asio::awaitable<bool> write_chunked(beast::tcp_stream& stream, Reply& reply, bool gzip_body,
                                    std::chrono::milliseconds timeout) {
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
  if (!co_await write_head(stream, res, timeout)) co_return false;
  for (bool last = false; !last;) {
    // No deadline while the source waits (an event stream waits for commits); one per write.
    stream.expires_never();
    Piece piece;
    if (event_stream) {
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
    stream.expires_after(timeout);
    auto [ec, n] = until_close
                       ? co_await asio::async_write(stream, asio::buffer(out), use_tuple)
                       : co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(out)), use_tuple);
    if (ec) co_return false;
  }
  if (until_close) co_return false;
  stream.expires_after(timeout);
  auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), use_tuple);
  co_return !ec;
}

}  // namespace eventsd::http

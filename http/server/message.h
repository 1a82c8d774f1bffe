// What travels between the server and what it serves: a request read whole, and the answer — a
// whole response, or a header with a body produced piece by piece (ChunkSource).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace eventsd::http {

namespace bhttp = boost::beast::http;
using RawRequest = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// A body sent in pieces after the header, with chunked transfer encoding (export, the event
// stream): each call returns the next piece, or nullopt at the end. Pieces are produced only as
// fast as the client takes them, so a slow client never makes the server buffer more than one.
using ChunkSource = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

// An answer: a whole response, or a header and a ChunkSource.
struct Reply {
  Reply(Response r) : response(std::move(r)) {}  // NOLINT: a Response is a Reply
  Reply(Response head, ChunkSource source) : response(std::move(head)), chunks(std::move(source)) {}
  Response response;
  ChunkSource chunks;
  std::string_view route = "unmatched";  // the route's "METHOD /pattern", for metrics
};

// What the server serves (docs/architecture.md, "Seams"): the API layer implements it. The
// server reads requests and writes answers; everything a request means is decided here.
// Thread safety: called from every I/O thread at once.
class Service {
 public:
  virtual ~Service() = default;
  // The answer to a request read whole (its body decoded) from the TCP peer `peer` (the client,
  // or a proxy in front of it). Never throws but std::bad_alloc.
  virtual boost::asio::awaitable<Reply> handle(const RawRequest& request, const boost::asio::ip::address& peer) = 0;
  // The error answer to a request the server refuses before handing it over (malformed, over a
  // limit, an unknown Content-Encoding), shaped as the API shapes errors for `target` (which may
  // be empty or not a path at all).
  virtual Response refuse(std::string_view target, unsigned status, std::string code, std::string message) const = 0;
  // A request was answered (`route` as Reply::route), in `seconds` from its last byte.
  virtual void answered(std::string_view route, unsigned status, double seconds) = 0;
  // Connections opened (+1) or closed (-1).
  virtual void connections_changed(int delta) = 0;
};

}  // namespace eventsd::http

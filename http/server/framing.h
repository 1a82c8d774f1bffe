// Writing an answer on a connection: the header alone (HEAD), a whole body, or a streamed body in
// chunks (gzip-compressed piece by piece when negotiated), each write under a deadline.
// Functions of one connection: used by its coroutine only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>

#include "http/server/message.h"

namespace eventsd::http {

// Whether the answer is a Server-Sent Events stream (text/event-stream).
bool is_event_stream(const Response& res);

// Whether the answer to `req` goes out gzip-compressed (the body is not touched here; Vary is
// set). An event stream is compressed only when the client names gzip itself: `*` is not asking
// for it.
bool negotiate_gzip(const RawRequest& req, Response& res, bool event_stream);

// Each returns false when the connection failed or the client left.
// The header alone (HEAD, or a streamed body's header).
boost::asio::awaitable<bool> write_head(boost::beast::tcp_stream& stream, Response& res,
                                        std::chrono::milliseconds timeout);
// The whole answer, or only its header to a HEAD request.
boost::asio::awaitable<bool> write_whole(boost::beast::tcp_stream& stream, Response& res, bool head,
                                         std::chrono::milliseconds timeout);
// A reply whose body comes from its ChunkSource: chunked on HTTP/1.1, until the connection closes
// on HTTP/1.0 (then false: the connection cannot go on). An event stream also watches the read
// side, so a client that left gives its stream up at once rather than at the next heartbeat.
boost::asio::awaitable<bool> write_chunked(boost::beast::tcp_stream& stream, Reply& reply, bool gzip_body,
                                           std::chrono::milliseconds timeout);

}  // namespace eventsd::http

// Reading a request: what the server refuses before the Service sees it — a request it could not
// read (framing, limits), an expectation to answer first, a body it cannot decode.
// Pure functions of their arguments; thread-safe.
#pragma once

#include <boost/beast/core/error.hpp>

#include <cstddef>
#include <optional>
#include <string>

#include "http/server/message.h"

namespace eventsd::http {

// An answer the server gives itself: the Service shapes it (Service::refuse).
struct Refusal {
  unsigned status = 400;
  std::string code;
  std::string message;
};

// Why reading a request failed with `ec` (431 headers too large, 413 body too large, 400).
Refusal read_refusal(boost::beast::error_code ec);

// Whether the client waits for "100 Continue" before sending its body (HTTP/1.1 only).
bool expects_continue(const RawRequest& req);

// A body sent with Content-Encoding is decoded in place before routing, so that every route sees
// the body as sent; the decoded size is bounded by `limit` like the body itself. The refusal when
// it cannot be (415 for an unknown coding: answer it with Accept-Encoding: gzip).
std::optional<Refusal> decode_body(RawRequest& req, std::size_t limit);

}  // namespace eventsd::http

#include "http/server/body.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "http/server/gzip.h"

namespace eventsd::http {

namespace beast = boost::beast;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Refusal read_refusal(beast::error_code ec) {
  if (ec == bhttp::error::header_limit) return {431, "header_too_large", "request headers exceed 8 KiB"};
  if (ec == bhttp::error::body_limit) return {413, "payload_too_large", "request body exceeds 1 MiB"};
  return {400, "invalid_request", "malformed HTTP request"};
}

bool expects_continue(const RawRequest& req) {
  auto it = req.find(bhttp::field::expect);
  // HTTP/1.0 has no 100 Continue: the expectation is ignored (RFC 9110 §10.1.1).
  return req.version() >= 11 && it != req.end() && beast::iequals(it->value(), "100-continue");
}

std::optional<Refusal> decode_body(RawRequest& req, std::size_t limit) {
  auto it = req.find(bhttp::field::content_encoding);
  if (it == req.end()) return std::nullopt;
  const std::string_view coding = trim(it->value());
  if (beast::iequals(coding, "identity") || req.body().empty()) {
    req.erase(bhttp::field::content_encoding);
    return std::nullopt;
  }
  if (!beast::iequals(coding, "gzip") && !beast::iequals(coding, "x-gzip")) {
    return Refusal{415, "unsupported_encoding", "Content-Encoding must be gzip or identity"};
  }
  std::string body;
  switch (gunzip(req.body(), limit, body)) {
    case Gunzip::too_large:
      return Refusal{413, "payload_too_large", "request body exceeds 1 MiB once decompressed"};
    case Gunzip::corrupt:
      return Refusal{400, "invalid_request", "the body is not valid gzip"};
    case Gunzip::ok:
      break;
  }
  req.body() = std::move(body);
  req.erase(bhttp::field::content_encoding);
  req.content_length(req.body().size());
  return std::nullopt;
}

}  // namespace eventsd::http

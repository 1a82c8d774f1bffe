#include "cluster/forward.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <vector>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "http/api/auth.h"
#include "http/api/metrics.h"
#include "http/api/router.h"

namespace eventsd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

std::string forward_subject(std::string_view node) {
  return "eventsd.node." + std::string(node) + ".http";
}

namespace {

// Room for what encoding adds to a request's header: Eventsd-Forwarded-By and a Content-Length
// (hop-by-hop headers, which are removed, only make it smaller).
constexpr std::size_t kForwardHeaderRoom = 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Removes the hop-by-hop fields (RFC 9110 §7.6.1): the fixed ones, and every field Connection
// names. Content-Length goes too: the encoder frames the body itself.
void strip_hop_by_hop(bhttp::fields& fields) {
  std::vector<std::string> named;
  for (auto it = fields.find(bhttp::field::connection); it != fields.end() && it->name() == bhttp::field::connection;
       ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      const auto comma = value.find(',');
      const std::string_view token = trim(value.substr(0, comma));
      if (!token.empty()) named.emplace_back(token);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  for (const auto& name : named) fields.erase(name);
  for (auto f : {bhttp::field::connection, bhttp::field::keep_alive, bhttp::field::proxy_connection,
                 bhttp::field::proxy_authenticate, bhttp::field::proxy_authorization, bhttp::field::te,
                 bhttp::field::trailer, bhttp::field::transfer_encoding, bhttp::field::upgrade}) {
    fields.erase(f);
  }
}

template <bool isRequest>
std::string serialize(bhttp::message<isRequest, bhttp::string_body>& msg) {
  std::string out;
  out.reserve(msg.body().size() + 512);
  bhttp::serializer<isRequest, bhttp::string_body> sr(msg);
  beast::error_code ec;
  do {
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
    if (ec) throw std::invalid_argument("the HTTP message cannot be serialized: " + ec.message());
  } while (!sr.is_done());
  return out;
}

// Feeds the whole of `bytes` to `parser`: it must hold exactly one complete message.
template <class Parser>
void parse_whole(Parser& parser, std::string_view bytes) {
  parser.eager(true);
  beast::error_code ec;
  std::size_t used = 0;
  while (used < bytes.size() && !parser.is_done()) {
    const std::size_t n = parser.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == bhttp::error::need_more) {
      // Nothing more will come: a message delimited by the end of the bytes ends here.
      ec = {};
      if (n == 0) break;
      continue;
    }
    if (ec) throw MalformedMessage("malformed HTTP message: " + ec.message());
  }
  if (!parser.is_done() && parser.is_header_done()) {
    parser.put_eof(ec);
    if (ec) throw MalformedMessage("truncated HTTP message: " + ec.message());
  }
  if (!parser.is_done()) throw MalformedMessage("truncated HTTP message");
  if (used != bytes.size()) throw MalformedMessage("bytes after the HTTP message");
}

template <bool isRequest>
void set_length(bhttp::message<isRequest, bhttp::string_body>& msg) {
  const std::string length = std::to_string(msg.body().size());
  if (msg.count(bhttp::field::content_length) != 1 || msg[bhttp::field::content_length] != length) {
    msg.set(bhttp::field::content_length, length);
  }
}

bool has_body(unsigned status) { return !(status / 100 == 1 || status == 204 || status == 304); }

}  // namespace

std::string encode_request(const RawRequest& raw, std::string_view node) {
  RawRequest copy = raw;
  const bool framed = copy.has_content_length() || copy.chunked() || !copy.body().empty();
  strip_hop_by_hop(copy);
  // A request without a body and without a length stays without one (GET); any other says how
  // long its body is (a length it had already stays where it was).
  if (framed) set_length(copy);
  copy.set(kForwardedBy, node);
  return serialize(copy);
}

RawRequest decode_request(std::string_view bytes, std::size_t header_limit, std::size_t body_limit) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(header_limit + kForwardHeaderRoom, UINT32_MAX)));
  parser.body_limit(body_limit);
  parse_whole(parser, bytes);
  RawRequest req = parser.release();
  if (req.chunked()) throw MalformedMessage("a forwarded request is framed by its Content-Length");
  return req;
}

std::string encode_response(const Response& res) {
  Response copy = res;
  strip_hop_by_hop(copy);
  if (has_body(copy.result_int())) {
    set_length(copy);
  } else if (!copy.body().empty()) {
    throw std::invalid_argument("a " + std::to_string(copy.result_int()) + " response has no body");
  }
  return serialize(copy);
}

Response decode_response(std::string_view bytes) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(bytes.size(), UINT32_MAX)));
  parser.body_limit(bytes.size());
  parse_whole(parser, bytes);
  Response res = parser.release();
  if (res.chunked()) throw MalformedMessage("a forwarded response is framed by its Content-Length");
  return res;
}

RawRequest without_credentials(const RawRequest& raw, const Principal& principal) {
  RawRequest copy = raw;
  copy.erase(bhttp::field::authorization);
  copy.erase(bhttp::field::cookie);
  copy.erase(kCsrfHeader);
  if (auto target = boost::urls::parse_origin_form(raw.target())) {
    boost::urls::url url(*target);
    if (url.params().contains("key")) {
      url.params().erase("key");
      copy.target(url.buffer());
    }
  }
  copy.set(kPrincipalHeader, encode_principal(principal));
  return copy;
}

std::string join_sealed(std::string_view seal, std::string_view bytes) {
  std::string out;
  out.reserve(seal.size() + 1 + bytes.size());
  out.append(seal).push_back('\n');
  out.append(bytes);
  return out;
}

std::optional<std::pair<std::string_view, std::string_view>> split_sealed(std::string_view message) {
  const auto newline = message.find('\n');
  if (newline == std::string_view::npos || newline > 256) return std::nullopt;
  return std::pair{message.substr(0, newline), message.substr(newline + 1)};
}

std::optional<std::string_view> forwarded_by(const RawRequest& raw) {
  auto it = raw.find(kForwardedBy);
  if (it == raw.end()) return std::nullopt;
  return it->value();
}

Response refuse_forwarded(Dialect dialect) {
  ApiError error(503, "unavailable", "the node this request was forwarded to cannot serve it; retry shortly");
  error.retry_after = 1;
  return error_response(dialect, error);
}

namespace {

Response forward_unavailable(Dialect dialect, const std::string& node) {
  ApiError error(503, "unavailable", "node " + node + " did not answer in time; retry shortly");
  error.retry_after = 1;
  return error_response(dialect, error);
}

Response forward_failed(Dialect dialect, const std::string& node, const std::string& why) {
  return error_response(dialect, ApiError(502, "forward_failed", "forwarding to node " + node + " failed: " + why));
}

}  // namespace

Forwarder::Forwarder(nats::Connection& nats, const ClusterKey& key, std::string node, const Router& router, App& app,
                     asio::any_io_executor executor, ForwarderOptions options)
    : nats_(nats), key_(key), served_(key), node_(std::move(node)), router_(router), app_(app), executor_(std::move(executor)),
      timeout_(options.timeout),
      pool_(std::max(1u, options.threads)) {}

Forwarder::~Forwarder() {
  service_.reset();  // no new requests served
  pool_.join();      // forwarded requests in flight end within their timeout
}

void Forwarder::serve() {
  service_ = nats_.serve(forward_subject(node_), [this](nats::Message request, nats::Connection::Reply reply) {
    // On a cnats thread, which must not block: the work goes to the executor.
    asio::co_spawn(executor_, answer(std::move(request.data)),
                   [reply = std::move(reply)](std::exception_ptr failure, std::string bytes) {
                     if (failure) {
                       // answer() renders every failure itself; this is the last resort.
                       bytes = encode_response(error_response(
                           Dialect::native, ApiError(500, "internal", "the forwarded request failed")));
                     }
                     reply(std::move(bytes));
                   });
  });
}

std::variant<Forwarder::Opened, Refusal> Forwarder::open_request(std::string_view message) {
  const auto parts = split_sealed(message);
  if (!parts) return Refusal::unsealed;
  const auto opened = key_.open("forward/" + node_, parts->first, {parts->second});
  if (const auto* why = std::get_if<Refusal>(&opened)) return *why;
  const auto& info = std::get<SealInfo>(opened);
  if (!key_.fresh(info.at, key_.clock().now_millis())) return Refusal::stale;
  RawRequest raw;
  std::optional<Principal> principal;
  try {
    raw = decode_request(parts->second, app_.options.header_limit, app_.options.body_limit);
    const auto header = raw.find(kPrincipalHeader);
    if (header != raw.end()) principal = decode_principal(header->value());
  } catch (const MalformedMessage&) {
  }
  const auto by = forwarded_by(raw);
  if (!principal || !by || *by != info.node) return Refusal::malformed;
  // Last: a seal counts as served only once the request is known to be good.
  if (!served_.first_time(parts->first)) return Refusal::replayed;
  return Opened{std::string(parts->first), std::move(raw), Forwarded{info.node, std::move(*principal)}};
}

asio::awaitable<std::string> Forwarder::answer(std::string bytes) {
  auto opened = open_request(bytes);
  bytes = {};
  if (const auto* why = std::get_if<Refusal>(&opened)) {
    // Not from a node of this cluster (or not now, or not once): refused, unsealed.
    key_.refused().count(Sealed::forward, *why);
    std::fprintf(stderr, "eventsd: refused a forwarded request: %s\n", name_of(*why));
    co_return encode_response(error_response(
        Dialect::native, ApiError(401, "unsealed", "not a request sealed by a node of this cluster")));
  }
  auto& request = std::get<Opened>(opened);
  const RawRequest& req = request.raw;
  // (Not a conditional expression: GCC 12 miscompiles co_await inside one.)
  Reply reply = co_await router_.handle(app_, req, std::move(request.forwarded));
  if (reply.chunks) {
    reply = Reply(error_response(router_.dialect_of(req.target()),
                                 ApiError(502, "not_forwardable", "a streamed answer cannot be forwarded")));
  }
  std::string answer;
  try {
    answer = encode_response(reply.response);
  } catch (const std::invalid_argument& e) {
    answer = encode_response(error_response(router_.dialect_of(req.target()), ApiError(502, "not_forwardable", e.what())));
  }
  co_return join_sealed(key_.seal("reply", node_, {request.seal, answer}), answer);
}

void Forwarder::count_failure() {
  if (app_.metrics) ++app_.metrics->forward_failures;
}

asio::awaitable<Response> Forwarder::forward(std::string node, const RawRequest& raw, Principal principal) {
  const Dialect dialect = router_.dialect_of(raw.target());
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  if (app_.metrics) ++app_.metrics->forwarded;
  std::string request;
  std::string seal;
  try {
    request = encode_request(without_credentials(raw, principal), node_);
    seal = key_.seal("forward/" + node, node_, {request});
    request = join_sealed(seal, request);
  } catch (const std::invalid_argument& e) {
    count_failure();
    co_return forward_failed(dialect, node, e.what());
  }
  // cnats' request call blocks until the answer or the timeout: it runs on the pool, and this
  // coroutine resumes on its own executor when it returns. The time a request waits for a free
  // thread counts against its timeout.
  const std::string subject = forward_subject(node);
  nats::Message answer;
  std::optional<Response> failure;
  try {
    answer = co_await asio::co_spawn(
        pool_,
        [this, &subject, &request, deadline]() -> asio::awaitable<nats::Message> {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
          if (left.count() <= 0) throw nats::Unavailable("no thread free to forward the request in time");
          co_return nats_.request(subject, request, left);
        },
        asio::use_awaitable);
  } catch (const nats::Unavailable&) {
    failure = forward_unavailable(dialect, node);
  } catch (const nats::Error& e) {
    failure = forward_failed(dialect, node, e.what());
  }
  if (failure) {
    count_failure();
    co_return std::move(*failure);
  }
  // Only an answer sealed for this request is relayed.
  const auto parts = split_sealed(answer.data);
  const auto opened = parts ? key_.open("reply", parts->first, {seal, parts->second})
                            : std::variant<SealInfo, Refusal>(Refusal::unsealed);
  if (const auto* why = std::get_if<Refusal>(&opened)) {
    key_.refused().count(Sealed::reply, *why);
    count_failure();
    co_return forward_failed(dialect, node, std::string("its answer is not sealed with this node's cluster key (") +
                                                name_of(*why) + "; do both hold the same --cluster-key-file?)");
  }
  try {
    co_return decode_response(parts->second);
  } catch (const MalformedMessage& e) {
    count_failure();
    co_return forward_failed(dialect, node, e.what());
  }
}

}  // namespace eventsd::http

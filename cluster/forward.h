// Forwarding HTTP requests between the nodes of a cluster (docs/cluster.md, "Any node answers
// any request"): a node that cannot serve a request (a write for a shard another node owns) sends
// it to the node that can over NATS request/reply, on the subject eventsd.node.<name>.http, and
// relays the answer unchanged.
//
// On the wire a request and a response are HTTP/1.1 messages as Beast serializes them. What the
// message says is kept exactly (method, target, version, status, reason, every end-to-end header
// in order, the body byte for byte); the framing is the wire's own: hop-by-hop headers
// (Connection and what it names, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade,
// Proxy-Connection, Proxy-Authenticate, Proxy-Authorization) are not forwarded, and the body is
// framed by a Content-Length. A forwarded request carries `Eventsd-Forwarded-By: <node>`, so that
// it is never forwarded again: a node given a forwarded request it cannot serve answers
// `refuse_forwarded()` (503 `unavailable` with Retry-After) instead.
//
// Credentials stay where they were sent. The node a client sent a request to authenticates it
// and forwards the principal it found (`Eventsd-Principal`, encode_principal()), without the
// client's Authorization, Cookie, X-CSRF-Token or `key` query parameter (without_credentials()).
// A NATS message between nodes is a seal (cluster/seal.h) on its first line, then the HTTP
// message: the request sealed by the sending node in the context "forward/<receiving node>", its
// answer in the context "reply" over the request's seal and the answer (so an answer fits one
// request only). A node serves a forwarded request only when its seal opens, was made within the
// window of its own clock and was not served before (ReplayGuard); else it answers 401
// `unsealed` unsealed, and the sender reports 502 `forward_failed`. Forwarded requests are not
// rate-limited again: the node they arrived at took them from the client's limits.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "cluster/nats.h"
#include "cluster/seal.h"
#include "http/api/request.h"
#include "http/api/api.h"

namespace eventsd::http {

class Router;

// The header that marks a forwarded request; its value is the node that forwarded it.
inline constexpr std::string_view kForwardedBy = "Eventsd-Forwarded-By";

// The subject a node serves forwarded requests on: "eventsd.node.<node>.http".
std::string forward_subject(std::string_view node);

// The header that carries the forwarded principal.
inline constexpr std::string_view kPrincipalHeader = "Eventsd-Principal";
// `raw` as it is forwarded for `principal`: without the client's credentials, with the principal.
RawRequest without_credentials(const RawRequest& raw, const Principal& principal);
// A sealed message: the seal, a newline, the bytes. split_sealed: nullopt without a first line.
std::string join_sealed(std::string_view seal, std::string_view bytes);
std::optional<std::pair<std::string_view, std::string_view>> split_sealed(std::string_view message);

// Bytes that are not one whole HTTP message (truncated, malformed, over a limit, followed by
// more bytes).
struct MalformedMessage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A request as bytes, marked as forwarded by `node` (an Eventsd-Forwarded-By the request had
// already is replaced). Throws std::invalid_argument when the request cannot be written (a
// method or field Beast refuses to serialize).
std::string encode_request(const RawRequest& raw, std::string_view node);
// The request back. `header_limit` bounds the request line and headers, `body_limit` the body
// (as the server bounds what a client sends). Throws MalformedMessage.
RawRequest decode_request(std::string_view bytes, std::size_t header_limit, std::size_t body_limit);

// A response as bytes. A status that has no body (1xx, 204, 304) keeps its headers as they are
// and must have an empty body (std::invalid_argument otherwise). The answer to a HEAD request is
// encoded like GET's, body included: the server that relays it sends the header alone, with the
// length GET's body has, as it does for an answer of its own.
std::string encode_response(const Response& res);
// The response back; its body and headers are bounded by the bytes' size only (they are in
// memory already and nothing is decompressed). Throws MalformedMessage.
Response decode_response(std::string_view bytes);

// The node that forwarded `raw`, if it was forwarded.
std::optional<std::string_view> forwarded_by(const RawRequest& raw);
// The answer to a forwarded request this node cannot serve either (it does not own the shard
// any more, or not yet): 503 `unavailable` with Retry-After, in `dialect`.
Response refuse_forwarded(Dialect dialect);

struct ForwarderOptions {
  // How long forward() waits for the owner's answer (eventsd gives its --read-timeout-ms).
  std::chrono::milliseconds timeout{30'000};
  // Requests forwarded at once: each waits for its answer on a thread of the Forwarder's own
  // (the NATS client's request call blocks); more wait for a free thread, their timeout running.
  unsigned threads = 16;
};

// Sends requests to other nodes and serves the requests other nodes send to this one.
//
// Lifetime: the connection, router, app and the executor's execution context outlive the
// Forwarder; the Forwarder outlives every coroutine it started on the executor, so it is
// destroyed after the executor's threads stopped running (as main() destroys the server's
// parts after Server::run returned). Thread safety: forward() may be called from any number of
// coroutines at once; serve() once.
class Forwarder {
 public:
  Forwarder(nats::Connection& nats, const ClusterKey& key, std::string node, const Router& router, App& app,
            boost::asio::any_io_executor executor, ForwarderOptions options = {});
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Serves forwarded requests on forward_subject(node) until the Forwarder is destroyed: each
  // is decoded, handled by the router on the executor and its answer sent back encoded. A
  // request that cannot be decoded is answered 400 `invalid_request`; one without
  // Eventsd-Forwarded-By too (only forward() sends there); an answer with a streamed body (an
  // export, an event stream: reads, which are served where they arrive) cannot be relayed and
  // is answered 502 `not_forwardable`. Throws nats::Error when the subscription fails.
  void serve();
  // Stops serving forwarded requests (the server is draining): other nodes' requests then fail
  // at once (no responders) instead of waiting for an answer that will not come.
  void stop_serving() { service_.reset(); }

  // Sends `raw` to `node` and returns its answer as the node produced it. When no answer comes
  // within the timeout (the node is down, or nobody serves its subject): 503 `unavailable` with
  // Retry-After in the request's dialect; when NATS refuses the request (e.g. larger than the
  // servers' max_payload) or the answer is not an HTTP response: 502 `forward_failed`. Never
  // throws but for std::bad_alloc. Counted in App::metrics (forwarded, and forward_failures for
  // the unanswered) when there are metrics. `raw` is read until the awaitable completes (the
  // caller keeps it); `node` is a copy, as the coroutine may start after a temporary is gone.
  // `principal` is who the client was found to be here.
  boost::asio::awaitable<Response> forward(std::string node, const RawRequest& raw, Principal principal);

  const std::string& node() const { return node_; }

 private:
  boost::asio::awaitable<std::string> answer(std::string request);
  // A forwarded request whose seal opened.
  struct Opened {
    std::string seal;
    RawRequest raw;
    Forwarded forwarded;
  };
  // The request in a sealed message, when it may be served; else why not (counted).
  std::variant<Opened, Refusal> open_request(std::string_view message);
  void count_failure();

  nats::Connection& nats_;
  const ClusterKey& key_;
  ReplayGuard served_;
  std::string node_;
  const Router& router_;
  App& app_;
  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds timeout_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<nats::Connection::Service> service_;
};

}  // namespace eventsd::http

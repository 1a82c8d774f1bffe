// Forwarding between nodes (cluster/forward.h): requests and responses as bytes and back, and two
// Forwarders on two NATS connections to a real nats-server, one serving through a router over a
// real write path, the other forwarding to it.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "accounts/tokens.h"
#include "common/time.h"
#include "cluster/forward.h"
#include "cluster/nats.h"
#include "http/api/metrics.h"
#include "http/api/rate_limit.h"
#include "http/api/router.h"
#include "http/dialects/routes.h"
#include "tests/support/cluster_key.h"
#include "tests/support/eventually.h"
#include "tests/support/in_process.h"
#include "tests/support/manual_clock.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/temp_dir.h"

namespace eventsd {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using http::bhttp::field;
using http::bhttp::verb;
using http::RawRequest;
using http::Response;

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields fields_of(const http::bhttp::fields& f, std::initializer_list<std::string_view> except = {}) {
  Fields out;
  for (const auto& h : f) {
    bool skip = false;
    for (auto e : except) skip = skip || boost::beast::iequals(h.name_string(), e);
    if (!skip) out.emplace_back(std::string(h.name_string()), std::string(h.value()));
  }
  return out;
}

// Every byte value, and UTF-8 text with multi-byte sequences.
std::string binary_body() {
  std::string body;
  for (int i = 0; i < 256; ++i) body.push_back(static_cast<char>(i));
  body += "\r\n\r\nGET / HTTP/1.1\r\n\0 \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  return body;
}

RawRequest post(std::string target, std::string body) {
  RawRequest req{verb::post, target, 11};
  req.set(field::host, "node-a:8080");
  req.set(field::content_type, "application/json");
  req.body() = std::move(body);
  req.content_length(req.body().size());
  return req;
}

TEST(ForwardEncoding, RequestKeepsEveryEndToEndHeaderAndTheBody) {
  RawRequest req = post("/v1/events?x=%C3%A9&y=1", binary_body());
  req.insert("X-Trace", "one");
  req.insert(field::accept, "application/json");
  req.insert("X-Trace", "two, three");  // a field given twice stays twice, in order
  req.set(field::authorization, "Bearer tok_abc");
  req.set(field::connection, "keep-alive, X-Hop");
  req.set("X-Hop", "named by Connection");
  req.set(field::keep_alive, "timeout=5");
  req.set(field::te, "trailers");
  req.set(field::upgrade, "websocket");
  req.set(field::proxy_authorization, "Basic eA==");
  req.set(http::kForwardedBy, "spoofed");  // replaced by the node that forwards

  const std::string bytes = http::encode_request(req, "node-a");
  const RawRequest back = http::decode_request(bytes, 8 * 1024, 1024 * 1024);

  EXPECT_EQ(back.method(), verb::post);
  EXPECT_EQ(back.target(), "/v1/events?x=%C3%A9&y=1");
  EXPECT_EQ(back.version(), 11);
  EXPECT_EQ(back.body(), req.body());
  const Fields expected = {{"Host", "node-a:8080"},
                           {"Content-Type", "application/json"},
                           {"Content-Length", std::to_string(req.body().size())},
                           {"X-Trace", "one"},
                           {"X-Trace", "two, three"},  // (Beast keeps a field's instances together)
                           {"Accept", "application/json"},
                           {"Authorization", "Bearer tok_abc"},
                           {"Eventsd-Forwarded-By", "node-a"}};
  EXPECT_EQ(fields_of(back), expected);
  EXPECT_EQ(http::forwarded_by(back), "node-a");
  EXPECT_EQ(http::forwarded_by(req), "spoofed");
}

TEST(ForwardEncoding, AChunkedRequestIsForwardedWithItsLength) {
  // As the server's parser leaves a chunked request: the body whole, the header still there.
  RawRequest req{verb::post, "/v1/events", 11};
  req.set(field::transfer_encoding, "chunked");
  req.body() = "{\"event\":\"view\"}";
  const RawRequest back = http::decode_request(http::encode_request(req, "n"), 8 * 1024, 1024);
  EXPECT_EQ(back.body(), req.body());
  EXPECT_FALSE(back.chunked());
  EXPECT_EQ(back.count(field::transfer_encoding), 0u);
  EXPECT_EQ(back[field::content_length], std::to_string(req.body().size()));
}

TEST(ForwardEncoding, EmptyBodiesStayAsTheyWere) {
  RawRequest get{verb::get, "/v1/events", 10};  // HTTP/1.0 stays 1.0
  get.set(field::host, "h");
  const RawRequest get_back = http::decode_request(http::encode_request(get, "n"), 8 * 1024, 1024);
  EXPECT_EQ(get_back.method(), verb::get);
  EXPECT_EQ(get_back.version(), 10);
  EXPECT_TRUE(get_back.body().empty());
  EXPECT_EQ(get_back.count(field::content_length), 0u) << "a GET without a body gets no length";

  RawRequest del = post("/v1/events/batch", "");
  del.method(verb::delete_);
  const RawRequest del_back = http::decode_request(http::encode_request(del, "n"), 8 * 1024, 1024);
  EXPECT_EQ(del_back.method(), verb::delete_);
  EXPECT_TRUE(del_back.body().empty());
  EXPECT_EQ(del_back[field::content_length], "0");

  Response none{http::bhttp::status::ok, 11};
  none.set(field::content_type, "application/json");
  const Response none_back = http::decode_response(http::encode_response(none));
  EXPECT_EQ(none_back.result_int(), 200u);
  EXPECT_TRUE(none_back.body().empty());
}

TEST(ForwardEncoding, HeadRequestAndItsAnswer) {
  RawRequest head{verb::head, "/v1/events/e1", 11};
  head.set(field::if_none_match, "\"p12-\"");
  const RawRequest back = http::decode_request(http::encode_request(head, "n"), 8 * 1024, 1024);
  EXPECT_EQ(back.method(), verb::head);
  EXPECT_EQ(back[field::if_none_match], "\"p12-\"");
  // The router answers HEAD with GET's answer; it travels whole, so that the relaying server
  // sends GET's length.
  Response res = http::json_response(200, R"({"id":"e1"})");
  const Response res_back = http::decode_response(http::encode_response(res));
  EXPECT_EQ(res_back.body(), R"({"id":"e1"})");
}

TEST(ForwardEncoding, BodiesUpToTheLimitAndNotBeyond) {
  constexpr std::size_t kLimit = 1024 * 1024;
  std::mt19937 rng(7);
  std::string body(kLimit, '\0');
  for (auto& c : body) c = static_cast<char>(rng());
  const RawRequest at_limit = post("/v1/events", body);
  const RawRequest back = http::decode_request(http::encode_request(at_limit, "n"), 8 * 1024, kLimit);
  EXPECT_EQ(back.body(), body);

  const RawRequest over = post("/v1/events", body + "x");
  EXPECT_THROW(http::decode_request(http::encode_request(over, "n"), 8 * 1024, kLimit), http::MalformedMessage);

  Response big = http::json_response(200, body + body);
  EXPECT_EQ(http::decode_response(http::encode_response(big)).body(), body + body);
}

TEST(ForwardEncoding, ResponseKeepsStatusReasonHeadersAndBody) {
  Response res{http::bhttp::status::too_many_requests, 11};
  res.reason("Slow Down");
  res.set(field::content_type, "application/octet-stream");
  res.insert(field::set_cookie, "a=1; Path=/");
  res.insert(field::vary, "Origin");
  res.insert(field::set_cookie, "b=2; HttpOnly");
  res.set(field::retry_after, "3");
  res.set("Eventsd-Position", "42");
  res.set(field::connection, "close");
  res.set(field::transfer_encoding, "chunked");
  res.body() = binary_body();

  const Response back = http::decode_response(http::encode_response(res));
  EXPECT_EQ(back.result_int(), 429u);
  EXPECT_EQ(back.reason(), "Slow Down");
  EXPECT_EQ(back.body(), res.body());
  const Fields expected = {{"Content-Type", "application/octet-stream"},
                           {"Set-Cookie", "a=1; Path=/"},
                           {"Set-Cookie", "b=2; HttpOnly"},
                           {"Vary", "Origin"},
                           {"Retry-After", "3"},
                           {"Eventsd-Position", "42"}};
  EXPECT_EQ(fields_of(back, {"Content-Length"}), expected);
  EXPECT_EQ(back[field::content_length], std::to_string(res.body().size()));
}

TEST(ForwardEncoding, StatusesWithoutBodyKeepTheirHeaders) {
  Response not_modified{http::bhttp::status::not_modified, 11};
  not_modified.set(field::etag, "\"p7-\"");
  const Response back = http::decode_response(http::encode_response(not_modified));
  EXPECT_EQ(back.result_int(), 304u);
  EXPECT_EQ(fields_of(back), (Fields{{"ETag", "\"p7-\""}}));

  Response no_content{http::bhttp::status::no_content, 11};
  EXPECT_EQ(http::decode_response(http::encode_response(no_content)).result_int(), 204u);
  no_content.body() = "x";
  EXPECT_THROW(http::encode_response(no_content), std::invalid_argument);
}

TEST(ForwardEncoding, RandomMessagesComeBackAsTheyWere) {
  std::mt19937 rng(2024);
  auto text = [&](std::size_t max, bool spaces) {
    std::string s;
    const std::size_t n = 1 + rng() % max;
    for (std::size_t i = 0; i < n; ++i) {
      char c = static_cast<char>('!' + rng() % 94);
      if (spaces && i > 0 && i + 1 < n && rng() % 5 == 0) c = ' ';
      s.push_back(c);
    }
    return s;
  };
  auto token = [&] {
    static constexpr std::string_view kTchar = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~";
    std::string s = "X-";
    for (std::size_t i = 0, n = 1 + rng() % 20; i < n; ++i) s.push_back(kTchar[rng() % kTchar.size()]);
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    RawRequest req{round % 3 == 0 ? verb::put : verb::post, "/v1/" + text(40, false), 11};
    for (std::size_t i = 0, n = rng() % 12; i < n; ++i) req.insert(token(), text(60, true));
    std::string body(rng() % 3000, '\0');
    for (auto& c : body) c = static_cast<char>(rng());
    req.body() = body;
    req.content_length(body.size());
    const RawRequest back = http::decode_request(http::encode_request(req, "n1"), 8 * 1024, 1024 * 1024);
    EXPECT_EQ(back.method(), req.method());
    EXPECT_EQ(back.target(), req.target());
    EXPECT_EQ(fields_of(back, {"Eventsd-Forwarded-By"}), fields_of(req));
    EXPECT_EQ(back.body(), body);

    Response res{static_cast<http::bhttp::status>(200 + rng() % 300), 11};
    if (res.result_int() == 204 || res.result_int() == 304) continue;
    for (std::size_t i = 0, n = rng() % 12; i < n; ++i) res.insert(token(), text(60, true));
    res.body() = body;
    res.content_length(body.size());
    const Response res_back = http::decode_response(http::encode_response(res));
    EXPECT_EQ(res_back.result_int(), res.result_int());
    EXPECT_EQ(fields_of(res_back), fields_of(res));
    EXPECT_EQ(res_back.body(), body);
  }
}

TEST(ForwardEncoding, MalformedBytesAreRefused) {
  const std::string request = http::encode_request(post("/v1/events", R"({"event":"view"})"), "n");
  const std::string response = http::encode_response(http::json_response(201, R"({"ok":true})"));
  // Every proper prefix is a truncated message.
  for (std::size_t n = 0; n < request.size(); ++n) {
    EXPECT_THROW(http::decode_request(std::string_view(request).substr(0, n), 8 * 1024, 1024), http::MalformedMessage)
        << n;
  }
  for (std::size_t n = 0; n < response.size(); ++n) {
    EXPECT_THROW(http::decode_response(std::string_view(response).substr(0, n)), http::MalformedMessage) << n;
  }
  const std::vector<std::string> bad_requests = {
      request + "GET / HTTP/1.1\r\n\r\n",  // a second message after the first
      request + "x",
      "garbage\r\n\r\n",
      "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
      "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nX-Big: " + std::string(10'000, 'a') + "\r\n\r\n",
      std::string("\0\0\0\0", 4),
  };
  for (const auto& bytes : bad_requests) {
    EXPECT_THROW(http::decode_request(bytes, 8 * 1024, 1024), http::MalformedMessage) << bytes.substr(0, 80);
  }
  const std::vector<std::string> bad_responses = {
      response + "x",
      "HTTP/1.1 999999 Nope\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200\r\n",
      "not http at all",
  };
  for (const auto& bytes : bad_responses) {
    EXPECT_THROW(http::decode_response(bytes), http::MalformedMessage) << bytes.substr(0, 80);
  }
}

TEST(ForwardEncoding, RandomBytesNeverCrashTheDecoders) {
  std::mt19937 rng(99);
  const std::string request = http::encode_request(post("/v1/events", R"({"event":"view"})"), "n");
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = request;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    try {
      const RawRequest r = http::decode_request(bytes, 8 * 1024, 1024);
      EXPECT_LE(r.body().size(), 1024u);
    } catch (const http::MalformedMessage&) {
    }
    try {
      http::decode_response(bytes);
    } catch (const http::MalformedMessage&) {
    }
  }
}

TEST(ForwardEncoding, AForwardedRequestIsRefusedRatherThanForwardedAgain) {
  RawRequest req = post("/v1/events", "{}");
  EXPECT_FALSE(http::forwarded_by(req));
  const RawRequest back = http::decode_request(http::encode_request(req, "node-b"), 8 * 1024, 1024);
  EXPECT_EQ(http::forwarded_by(back), "node-b");

  const Response refused = http::refuse_forwarded(http::Dialect::native);
  EXPECT_EQ(refused.result_int(), 503u);
  EXPECT_EQ(refused[field::retry_after], "1");
  const json::value body = json::parse(refused.body());
  EXPECT_EQ(body.at("status"), "error");
  EXPECT_EQ(body.at("error").at("code"), "unavailable");
  const json::value org = json::parse(http::refuse_forwarded(http::Dialect::org_unit).body());
  EXPECT_FALSE(org.as_object().contains("status"));
  EXPECT_EQ(org.at("error").at("code"), "unavailable");
}

// --- Over a real nats-server ---

// A node without a server: its write path, tokens and router, and an io_context with one thread
// running the router's coroutines.
struct Node {
  explicit Node(const std::vector<std::string>& urls, std::string name, http::Router router_in,
                http::ForwarderOptions options = {})
      : p(dir.path()), tokens(p.store), router(std::move(router_in)),
        app(p.store, tokens, {}, {&p.engine}),
        nats(nats::ConnectOptions{urls, name}),
        forwarder(nats, test::cluster_key(), name, router, app, io.get_executor(), options),
        thread([this] { io.run(); }) {
    app.metrics = &metrics;
  }
  ~Node() {
    work.reset();
    thread.join();
  }

  // Forwards `req` as this node would once it authenticated `principal`.
  Response forward(const std::string& to, const RawRequest& req, http::Principal principal = {}) {
    return asio::co_spawn(io, forwarder.forward(to, req, std::move(principal)), asio::use_future).get();
  }
  // What this node's router answers itself.
  Response local(const RawRequest& req) {
    auto handle = [this, &req]() -> asio::awaitable<Response> {
      http::Reply reply = co_await router.handle(app, req);
      co_return std::move(reply.response);
    };
    return asio::co_spawn(io, handle, asio::use_future).get();
  }

  test::TempDir dir;
  test::InProcess p;
  TokenStore tokens;
  http::Metrics metrics;
  http::Router router;
  http::App app;
  nats::Connection nats;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  http::Forwarder forwarder;
  std::thread thread;
};

// A route that answers what a handler can: unusual headers, a binary body.
http::Router router_with_test_routes() {
  http::Router router = http::make_router();
  router.add(verb::get, "/v1/test/echo", http::Dialect::native, "",
             [](http::App&, http::Request& req) -> asio::awaitable<http::Reply> {
               Response res{http::bhttp::status::ok, 11};
               res.set(field::content_type, "application/octet-stream");
               res.insert("X-Seen-Forwarded-By", std::string(http::forwarded_by(req.raw).value_or("-")));
               res.insert(field::set_cookie, "a=1");
               res.insert(field::set_cookie, "b=2");
               res.body() = binary_body();
               co_return res;
             });
  router.add(verb::post, "/v1/test/echo", http::Dialect::native, "",
             [](http::App&, http::Request& req) -> asio::awaitable<http::Reply> {
               Response res{http::bhttp::status::ok, 11};
               res.set(field::content_type, "application/octet-stream");
               res.body() = req.raw.body();
               co_return res;
             });
  router.add(verb::get, "/v1/test/stream", http::Dialect::native, "",
             [](http::App&, http::Request&) -> asio::awaitable<http::Reply> {
               Response head{http::bhttp::status::ok, 11};
               co_return http::Reply(std::move(head), []() -> asio::awaitable<std::optional<std::string>> {
                 co_return std::nullopt;
               });
             });
  return router;
}

RawRequest with_token(RawRequest req, const std::string& token) {
  req.set(field::authorization, "Bearer " + token);
  return req;
}

// Who the node a request arrived at found its token to be.
http::Principal principal_of(const std::string& token, const std::string& tenant = "acme") {
  return {TokenStore::id_of(token), tenant};
}

class ForwardOverNats : public ::testing::Test {
 protected:
  test::NatsCluster cluster{1};
  Node owner{cluster.urls(), "owner", router_with_test_routes()};
  Node edge{cluster.urls(), "edge", router_with_test_routes()};
  void SetUp() override { owner.forwarder.serve(); }
};

TEST_F(ForwardOverNats, AWriteIsAnsweredByTheOwnerAndReadsBackTheSame) {
  const std::string token = owner.tokens.create("acme", {"events:read", "events:write"});
  RawRequest write = with_token(post("/v1/events", R"({"id":"e1","event":"view","contact_id":"ct_1","data":{"n":1.50}})"), token);
  const Response written = edge.forward("owner", write, principal_of(token));
  ASSERT_EQ(written.result_int(), 201u) << written.body();
  EXPECT_EQ(json::parse(written.body()).at("ids").at(0), "e1") << written.body();
  EXPECT_TRUE(written.count("Eventsd-Position"));

  // The event is in the owner's log, not in the edge's (it has no such tenant at all).
  RawRequest read{verb::get, "/v1/events/e1", 11};
  read = with_token(std::move(read), token);
  const Response at_owner = owner.local(read);
  ASSERT_EQ(at_owner.result_int(), 200u) << at_owner.body();
  EXPECT_NE(edge.local(read).result_int(), 200u);

  // A forwarded GET comes back as the owner answers it itself (Date aside: it is the clock's).
  const Response forwarded = edge.forward("owner", read, principal_of(token));
  EXPECT_EQ(forwarded.result_int(), at_owner.result_int());
  EXPECT_EQ(forwarded.body(), at_owner.body());
  EXPECT_EQ(fields_of(forwarded, {"Date", "Content-Length"}), fields_of(at_owner, {"Date", "Content-Length"}));
  EXPECT_TRUE(forwarded.count(field::date));
  EXPECT_EQ(forwarded[field::content_length], std::to_string(at_owner.body().size()));
}

TEST_F(ForwardOverNats, AForwardedWriteIsNotRateLimitedAgainByTheOwner) {
  // One request per ten seconds per token at the owner: its own clients feel it...
  test::ManualClock clock;  // standing still: the bucket never refills
  http::RateLimiter limiter(clock, 0.1);
  owner.app.limiter = &limiter;
  const std::string token = owner.tokens.create("acme", {"events:read", "events:write"});
  auto write = [&](int n) {
    return with_token(post("/v1/events", R"({"event":"view","data":{"n":)" + std::to_string(n) + "}}"), token);
  };
  EXPECT_EQ(owner.local(write(0)).result_int(), 201u);
  const Response limited = owner.local(write(1));
  EXPECT_EQ(limited.result_int(), 429u) << limited.body();
  // ...but writes forwarded to it were counted by the node they arrived at, not again here.
  for (int n = 2; n < 6; ++n) {
    const Response forwarded = edge.forward("owner", write(n), principal_of(token));
    EXPECT_EQ(forwarded.result_int(), 201u) << forwarded.body();
  }
}

TEST_F(ForwardOverNats, TheAnswerComesBackByteForByte) {
  RawRequest req{verb::get, "/v1/test/echo", 11};
  req.set(field::connection, "keep-alive");
  const Response res = edge.forward("owner", req);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res.body(), binary_body());
  EXPECT_EQ(res["X-Seen-Forwarded-By"], "edge");
  const Fields expected = {{"Content-Type", "application/octet-stream"},
                           {"X-Seen-Forwarded-By", "edge"},
                           {"Set-Cookie", "a=1"},
                           {"Set-Cookie", "b=2"}};
  EXPECT_EQ(fields_of(res, {"Date", "Content-Length"}), expected);
}

TEST_F(ForwardOverNats, ABodyAsLargeAsTheServerTakesTravelsBothWays) {
  std::mt19937 rng(5);
  std::string body(http::ApiOptions{}.body_limit, '\0');
  for (auto& c : body) c = static_cast<char>(rng());
  const Response res = edge.forward("owner", post("/v1/test/echo", body));
  ASSERT_EQ(res.result_int(), 200u) << res.body().substr(0, 200);
  EXPECT_EQ(res.body(), body);
}

TEST_F(ForwardOverNats, ErrorsOfTheOwnerAreRelayedInTheirDialect) {
  // A body the owner refuses: its 400 in the native shape, and in a seed's shape for its route.
  const std::string token = owner.tokens.create("acme", {"events:read", "events:write"});
  const Response native = edge.forward("owner", post("/v1/events", "{}"), principal_of(token));
  EXPECT_EQ(native.result_int(), 400u) << native.body();
  EXPECT_EQ(json::parse(native.body()).at("status"), "error");
  const Response org = edge.forward("owner", post("/ingest", "{}"), principal_of(token));
  EXPECT_EQ(org.result_int(), 400u) << org.body();
  EXPECT_FALSE(json::parse(org.body()).as_object().contains("status"));
}

TEST_F(ForwardOverNats, NobodyServingTheSubjectIsUnavailable) {
  Node lonely{cluster.urls(), "lonely", http::make_router(), http::ForwarderOptions{std::chrono::milliseconds(500), 2}};
  const Response res = lonely.forward("nobody", post("/v1/events", "{}"));
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(res[field::retry_after], "1");
  const json::value body = json::parse(res.body());
  EXPECT_EQ(body.at("status"), "error");
  EXPECT_EQ(body.at("error").at("code"), "unavailable");
  // In the request's dialect.
  const Response org = lonely.forward("nobody", post("/ingest", "{}"));
  EXPECT_EQ(org.result_int(), 503u);
  EXPECT_FALSE(json::parse(org.body()).as_object().contains("status"));
  EXPECT_EQ(lonely.metrics.forward_failures.load(), 2u);
}

TEST_F(ForwardOverNats, AStreamedAnswerIsNotRelayed) {
  const Response res = edge.forward("owner", RawRequest{verb::get, "/v1/test/stream", 11});
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_EQ(json::parse(res.body()).at("error").at("code"), "not_forwardable");
}

TEST_F(ForwardOverNats, TheOwnerRefusesBytesThatAreNotAForwardedRequest) {
  auto ask = [&](std::string_view bytes) {
    const nats::Message m = edge.nats.request(http::forward_subject("owner"), bytes, std::chrono::seconds(30));
    return http::decode_response(m.data);
  };
  const Response garbage = ask("not http\r\n\r\n");
  EXPECT_EQ(garbage.result_int(), 401u);
  EXPECT_EQ(json::parse(garbage.body()).at("error").at("code"), "unsealed");
  // A well-formed request without a seal did not come from a node of this cluster.
  const Response unmarked = ask("GET /v1/test/echo HTTP/1.1\r\nEventsd-Forwarded-By: edge\r\n\r\n");
  EXPECT_EQ(unmarked.result_int(), 401u);
}

// What a stranger on the NATS bus sees and can do with forwarded requests: it reads no client
// credential on the subject, and a request it sends straight to a node's subject is refused —
// made without the cluster key, sealed with it but for another node, too old, or a node's real
// request sent again.
TEST_F(ForwardOverNats, NoCredentialCrossesTheBusAndOnlySealedFreshRequestsAreServed) {
  std::mutex mu;
  std::vector<std::string> seen;
  nats::Connection stranger(nats::ConnectOptions{cluster.urls(), "stranger"});
  auto tap = stranger.serve(http::forward_subject("owner"), [&](nats::Message m, nats::Connection::Reply) {
    std::lock_guard lock(mu);
    seen.push_back(std::move(m.data));
  });
  const std::string token = owner.tokens.create("acme", {"events:read", "events:write"});
  RawRequest write = with_token(post("/v1/events?key=edp_visible", R"({"event":"view"})"), token);
  write.set(field::cookie, "eventsd_session=s3cret-session");
  write.set("X-CSRF-Token", "csrf-value");
  // (The stranger's subscription reaches the owner's server before the next request is sent.)
  ASSERT_TRUE(test::eventually([&] {
    const Response probe = edge.forward("owner", write, principal_of(token));
    std::lock_guard lock(mu);
    return probe.result_int() == 201u && !seen.empty();
  }));
  std::string captured;
  {
    std::lock_guard lock(mu);
    captured = seen.back();
  }
  for (const std::string& secret : {token, std::string("s3cret-session"), std::string("csrf-value"),
                                   std::string("edp_visible"), std::string("Bearer")}) {
    EXPECT_EQ(captured.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(captured.find("Eventsd-Principal"), std::string::npos);

  auto ask = [&](const std::string& bytes) {
    const nats::Message m = stranger.request(http::forward_subject("owner"), bytes, std::chrono::seconds(30));
    return http::decode_response(m.data);
  };
  auto refused = [&](Refusal why) { return test::cluster_key().refused().get(Sealed::forward, why); };
  const auto split = http::split_sealed(captured);
  ASSERT_TRUE(split);
  const std::string http_bytes(split->second);
  // Sent again as it was: served once already.
  const auto replays = refused(Refusal::replayed);
  EXPECT_EQ(ask(captured).result_int(), 401u);
  EXPECT_EQ(refused(Refusal::replayed), replays + 1);
  // Sealed with another key, or for another node, or too long ago.
  const ClusterKey other("not this cluster's key, though long enough", system_clock());
  const auto bad = refused(Refusal::bad_seal);
  EXPECT_EQ(ask(http::join_sealed(other.seal("forward/owner", "edge", {http_bytes}), http_bytes)).result_int(), 401u);
  EXPECT_EQ(ask(http::join_sealed(test::cluster_key().seal("forward/edge", "edge", {http_bytes}), http_bytes)).result_int(), 401u);
  EXPECT_EQ(refused(Refusal::bad_seal), bad + 2);
  const auto stale = refused(Refusal::stale);
  const std::int64_t long_ago = now_millis() - 10 * 60 * 1000;
  EXPECT_EQ(ask(http::join_sealed(test::cluster_key().seal_at("forward/owner", "edge", long_ago, {http_bytes}), http_bytes))
                .result_int(),
            401u);
  EXPECT_EQ(refused(Refusal::stale), stale + 1);
}

TEST_F(ForwardOverNats, ManyRequestsAtOnceAllGetTheirOwnAnswer) {
  Node busy{cluster.urls(), "busy", http::make_router(), http::ForwarderOptions{std::chrono::seconds(30), 3}};
  const std::string token = owner.tokens.create("acme", {"events:read", "events:write"});
  constexpr int kRequests = 40;
  std::vector<RawRequest> requests;
  for (int i = 0; i < kRequests; ++i) {
    requests.push_back(with_token(post("/v1/events", R"({"id":"e)" + std::to_string(i) + R"(","event":"view"})"), token));
  }
  std::vector<std::future<Response>> answers;
  for (const auto& r : requests) {
    answers.push_back(asio::co_spawn(busy.io, busy.forwarder.forward("owner", r, principal_of(token)), asio::use_future));
  }
  for (int i = 0; i < kRequests; ++i) {
    const Response res = answers[i].get();
    ASSERT_EQ(res.result_int(), 201u) << res.body();
    EXPECT_NE(res.body().find("\"e" + std::to_string(i) + "\""), std::string::npos) << res.body();
  }
  EXPECT_EQ(busy.metrics.forwarded.load(), static_cast<std::uint64_t>(kRequests));
  EXPECT_EQ(busy.metrics.forward_failures.load(), 0u);
}

}  // namespace
}  // namespace eventsd

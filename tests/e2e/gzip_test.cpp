// gzip over real HTTP: compressed answers on every kind of read, streamed exports and event
// streams decodable as they arrive, compressed ingest bodies, bombs and corrupt bodies — each
// checked with zlib used directly (tests/support/zlib_reference.h).
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/json.hpp>

#include <functional>
#include <random>
#include <thread>

#include "http/server/gzip.h"
#include "tests/support/e2e.h"
#include "tests/support/zlib_reference.h"

namespace eventsd {
namespace {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using test::E2E;
using test::HttpClient;
using test::deflate_all;
using test::inflate_all;
using test::Inflater;
using test::sample_json;

// ------------------------------------------------------------------------------ over HTTP

test::HttpResponse get_with(HttpClient& c, const std::string& target, const std::string& accept_encoding) {
  return c.request(bhttp::verb::get, target, "", {{"Accept-Encoding", accept_encoding}});
}

class Gzipped : public E2E {
 protected:
  void SetUp() override {
    E2E::SetUp();
    auto c = client();
    std::string batch = R"({"batch":[)";
    for (int i = 0; i < 300; ++i) {
      batch += std::string(i ? "," : "") + R"({"event":"page_view","contact_id":"ct_)" + std::to_string(i % 7) +
               R"(","url":"https://example.com/pricing?plan=)" + std::to_string(i) +
               R"(","campaign_id":"cmp_1","step_id":"s1","email":"a@example.com","data":{"i":)" +
               std::to_string(i) + "}}";
    }
    ASSERT_EQ(c.post("/v1/events", batch + "]}").status, 201);
  }
};

TEST_F(Gzipped, EveryReadIsCompressedForAClientThatAcceptsIt) {
  auto c = client();
  for (const std::string target :
       {"/v1/events?limit=100", "/v1/events/export?format=jsonl", "/v1/events/export?format=csv", "/events?limit=100",
        "/v1/campaigns/cmp_1/events?per_page=100", "/api/workspaces/acme/events", "/openapi.yaml"}) {
    SCOPED_TRACE(target);
    const auto plain = get_with(c, target, "identity");
    ASSERT_EQ(plain.status, 200) << plain.body;
    EXPECT_EQ(plain.header("Content-Encoding"), "");
    EXPECT_NE(plain.header("Vary").find("Accept-Encoding"), std::string::npos);
    const auto packed = get_with(c, target, "gzip, deflate, br");
    ASSERT_EQ(packed.status, 200);
    EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
    EXPECT_NE(packed.header("Vary").find("Accept-Encoding"), std::string::npos);
    EXPECT_EQ(packed.header("Content-Type"), plain.header("Content-Type"));
    EXPECT_LT(packed.body.size(), plain.body.size() / 2);
    EXPECT_EQ(inflate_all(packed.body), plain.body);
  }
  // The client's preferences: refused, outweighed, or by the wildcard.
  EXPECT_EQ(get_with(c, "/v1/events", "gzip;q=0").header("Content-Encoding"), "");
  EXPECT_EQ(get_with(c, "/v1/events", "gzip;q=0.5, identity").header("Content-Encoding"), "");
  EXPECT_EQ(get_with(c, "/v1/events", "*").header("Content-Encoding"), "gzip");
  EXPECT_EQ(c.get("/v1/events").header("Content-Encoding"), "");
  // Small answers stay identity.
  HttpClient anonymous(server_->port());
  const auto small = get_with(anonymous, "/healthz", "gzip");
  EXPECT_EQ(small.header("Content-Encoding"), "");
  EXPECT_EQ(small.json().at("status"), "ok");
}

TEST_F(Gzipped, TheExportIsCompressedPieceByPiece) {
  auto c = client();
  ASSERT_EQ(c.post("/v1/events", [] {
              std::string b = R"({"batch":[)";
              for (int i = 0; i < 1000; ++i) b += std::string(i ? "," : "") + R"({"event":"bulk","data":{"i":)" + std::to_string(i) + "}}";
              return b + "]}";
            }()).status, 201);
  // Read the raw chunks: the first page (500 events) decodes before the export ends.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
  boost::asio::write(socket, boost::asio::buffer("GET /v1/events/export?format=jsonl&sort_dir=asc HTTP/1.1\r\nHost: x\r\n"
                                                 "Authorization: Bearer " + token_ + "\r\nAccept-Encoding: gzip\r\n\r\n"));
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.body_limit(boost::none);
  std::vector<std::string> chunks;
  std::function<void(std::uint64_t, std::string_view, boost::system::error_code&)> on_header =
      [&](std::uint64_t, std::string_view, boost::system::error_code&) { chunks.emplace_back(); };
  std::function<std::size_t(std::uint64_t, std::string_view, boost::system::error_code&)> on_chunk =
      [&](std::uint64_t, std::string_view data, boost::system::error_code&) {
        chunks.back().append(data);
        return data.size();
      };
  parser.on_chunk_header(on_header);
  parser.on_chunk_body(on_chunk);
  bhttp::read(socket, buffer, parser);
  EXPECT_EQ(parser.get()[bhttp::field::content_encoding], "gzip");
  EXPECT_EQ(parser.get()[bhttp::field::transfer_encoding], "chunked");
  ASSERT_GE(chunks.size(), 3u);  // three pages and the end of the gzip stream, at least
  Inflater reader;
  const std::string first = reader.feed(chunks[0]);
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 500) << "the first page, whole, from the first chunk";
  std::string all = first;
  for (std::size_t i = 1; i < chunks.size(); ++i) all += reader.feed(chunks[i]);
  EXPECT_TRUE(reader.ended);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 1300);
}

TEST_F(Gzipped, AnEventStreamIsCompressedOnlyWhenGzipIsNamedAndFlushesEachEvent) {
  auto c = client();
  boost::asio::io_context ioc;
  auto open = [&](const std::string& accept) {
    auto socket = std::make_unique<boost::asio::ip::tcp::socket>(ioc);
    socket->connect({boost::asio::ip::make_address("127.0.0.1"), server_->port()});
    boost::asio::write(*socket, boost::asio::buffer("GET /v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                                    token_ + "\r\nAccept-Encoding: " + accept + "\r\n\r\n"));
    return socket;
  };
  struct Reader {
    bhttp::response_parser<bhttp::empty_body> parser;
    boost::beast::flat_buffer buffer;
    std::string body;
    std::function<std::size_t(std::uint64_t, std::string_view, boost::system::error_code&)> on_chunk;
  };
  auto reader = [](boost::asio::ip::tcp::socket& s) {
    auto r = std::make_unique<Reader>();
    r->parser.body_limit(boost::none);
    r->on_chunk = [raw = r.get()](std::uint64_t, std::string_view data, boost::system::error_code&) {
      raw->body.append(data);
      return data.size();
    };
    r->parser.on_chunk_body(r->on_chunk);
    bhttp::read_header(s, r->buffer, r->parser);
    return r;
  };
  auto wildcard = open("*");
  auto named = open("gzip");
  auto w = reader(*wildcard);
  auto g = reader(*named);
  EXPECT_EQ(w->parser.get()[bhttp::field::content_encoding], "");
  EXPECT_EQ(g->parser.get()[bhttp::field::content_encoding], "gzip");
  ASSERT_EQ(c.post("/v1/events", R"({"id":"live1","event":"view"})").status, 201);
  // The compressed stream yields the event without the stream ending: it was flushed.
  Inflater inflater;
  std::string text;
  while (text.find("live1") == std::string::npos) {
    const std::size_t before = g->body.size();
    bhttp::read_some(*named, g->buffer, g->parser);
    text += inflater.feed(std::string_view(g->body).substr(before));
  }
  EXPECT_NE(text.find("data: {\"position\""), std::string::npos) << text;
  while (w->body.find("live1") == std::string::npos) bhttp::read_some(*wildcard, w->buffer, w->parser);
  EXPECT_NE(w->body.find("retry: 3000"), std::string::npos);
}

TEST_F(E2E, GzipBodiesAreAcceptedOnEveryIngestRoute) {
  auto c = client();
  auto post = [&](const std::string& target, const std::string& body, const std::string& coding = "gzip") {
    return c.request(bhttp::verb::post, target, body, {{"Content-Encoding", coding}});
  };
  EXPECT_EQ(post("/v1/events", deflate_all(R"({"batch":[{"event":"a"},{"event":"b"}]})")).status, 201);
  EXPECT_EQ(post("/ingest", deflate_all(R"({"event_type":"c","lead_id":"l1"})")).status, 201);
  EXPECT_EQ(post("/api/workspaces/acme/events", deflate_all(R"({"type":"d"})"), "x-gzip").status, 201);
  EXPECT_EQ(c.get("/v1/events?count_only=true").json().at("count"), 4);

  // A bomb (50 MB of spaces around one event, about 50 KB sent): 413, nothing stored.
  const std::string bomb = deflate_all(R"({"event":"boom","data":{"pad":")" + std::string(50'000'000, ' ') + "\"}}", 9);
  ASSERT_LT(bomb.size(), 1u << 20);
  auto big = post("/v1/events", bomb);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.json().at("error").at("code"), "payload_too_large");
  // Corrupt: a 400 in the route's dialect.
  auto corrupt = post("/v1/events", deflate_all(R"({"event":"x"})").substr(0, 12));
  EXPECT_EQ(corrupt.status, 400);
  EXPECT_EQ(corrupt.json().at("status"), "error");
  auto corrupt_ou = post("/ingest", "not gzip at all");
  EXPECT_EQ(corrupt_ou.status, 400);
  EXPECT_FALSE(corrupt_ou.json().as_object().contains("status"));
  auto brotli = post("/v1/events", R"({"event":"x"})", "br");
  EXPECT_EQ(brotli.status, 415);
  EXPECT_EQ(brotli.header("Accept-Encoding"), "gzip");
  EXPECT_EQ(c.get("/v1/events?count_only=true").json().at("count"), 4);
}

}  // namespace
}  // namespace eventsd

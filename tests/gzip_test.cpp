// gzip both ways: the module (http/server/gzip.h) checked against zlib used directly, and the server's
// use of it over real HTTP — compressed answers on every kind of read, streamed exports and
// event streams decodable as they arrive, compressed ingest bodies, bombs and corrupt bodies.
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
#include "http/api/stream_slots.h"
#include "tests/support/e2e.h"

namespace eventsd {
namespace {

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using test::E2E;
using test::HttpClient;

// Independent of the code under test: zlib's own gzip reader and writer.
struct Inflater {
  Inflater() { EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK); }
  ~Inflater() { inflateEnd(&z); }
  // Everything `in` decodes to so far; `ended` tells whether the gzip stream ended.
  std::string feed(std::string_view in) {
    std::string out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      const int rc = inflate(&z, Z_SYNC_FLUSH);
      out.append(buf, sizeof buf - z.avail_out);
      if (rc == Z_STREAM_END) {
        ended = true;
        break;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        ADD_FAILURE() << "not gzip: " << rc;
        break;
      }
    } while (z.avail_out == 0 || z.avail_in > 0);
    return out;
  }
  z_stream z{};
  bool ended = false;
};

std::string inflate_all(std::string_view in) {
  Inflater i;
  std::string out = i.feed(in);
  EXPECT_TRUE(i.ended) << "the gzip stream did not end";
  return out;
}

std::string deflate_all(std::string_view in, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

std::string sample_json(std::size_t bytes) {
  std::string s = "[";
  std::mt19937 rng(7);
  while (s.size() < bytes) s += R"({"event":"page_view","n":)" + std::to_string(rng() % 1000) + "},";
  s.back() = ']';
  return s;
}

// ------------------------------------------------------------------------------ the module

TEST(Gzip, AcceptEncodingHonoursQValuesIdentityAndTheWildcard) {
  using http::accepts_gzip;
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, GZIP ;Q=0.5, br"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;q=1, identity;q=0.5"));
  EXPECT_TRUE(accepts_gzip("gzip, identity;q=0"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("br, deflate"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.5, identity;q=1"));
  EXPECT_FALSE(accepts_gzip("gzip;q=2"));     // not a qvalue: the entry is ignored
  EXPECT_FALSE(accepts_gzip("gzip;q=abc"));
  EXPECT_FALSE(accepts_gzip("*", false));      // the wildcard alone does not ask for it here
  EXPECT_TRUE(accepts_gzip("gzip", false));
}

TEST(Gzip, WholeAndStreamedBodiesAreGzipThatZlibReads) {
  const std::string body = sample_json(200'000);
  const std::string whole = http::gzip(body);
  EXPECT_LT(whole.size(), body.size() / 3);
  EXPECT_EQ(inflate_all(whole), body);
  EXPECT_EQ(inflate_all(http::gzip("")), "");

  // Each flushed piece decodes as soon as it arrives, before the stream ends.
  http::GzipStream stream;
  Inflater reader;
  std::string sent;
  for (int i = 0; i < 50; ++i) {
    const std::string piece = "data: {\"n\":" + std::to_string(i) + "}\n\n";
    sent += piece;
    EXPECT_EQ(reader.feed(stream.flush(piece)), piece);
  }
  EXPECT_EQ(reader.feed(stream.finish()), "");
  EXPECT_TRUE(reader.ended);
  http::GzipStream small(13, 5);
  std::string packed = small.flush(body);
  packed += small.finish();
  EXPECT_EQ(inflate_all(packed), body);
}

TEST(Gzip, InflationIsBoundedAndRefusesWhatIsNotGzip) {
  const std::string body = sample_json(100'000);
  std::string out;
  EXPECT_EQ(http::gunzip(deflate_all(body), 1 << 20, out), http::Gunzip::ok);
  EXPECT_EQ(out, body);
  // Two members one after the other are one body (RFC 1952 §2.2).
  EXPECT_EQ(http::gunzip(deflate_all("abc") + deflate_all("def"), 1 << 20, out), http::Gunzip::ok);
  EXPECT_EQ(out, "abcdef");
  // A bomb: 50 MB of zeros in about 50 KB. Refused once the output passes the limit, holding no
  // more than the limit.
  const std::string zeros(50'000'000, '\0');
  const std::string bomb = deflate_all(zeros, 9);
  ASSERT_LT(bomb.size(), 1u << 20);
  EXPECT_EQ(http::gunzip(bomb, 1 << 20, out), http::Gunzip::too_large);
  EXPECT_LE(out.capacity(), (1u << 20) + 64);
  EXPECT_EQ(http::gunzip(deflate_all(std::string(1 << 20, 'a')), 1 << 20, out), http::Gunzip::ok);
  EXPECT_EQ(http::gunzip(deflate_all(std::string((1 << 20) + 1, 'a')), 1 << 20, out), http::Gunzip::too_large);
  // Not gzip, truncated, damaged, or followed by garbage.
  const std::string good = deflate_all(body);
  EXPECT_EQ(http::gunzip("{\"event\":\"a\"}", 1 << 20, out), http::Gunzip::corrupt);
  EXPECT_EQ(http::gunzip(good.substr(0, good.size() / 2), 1 << 20, out), http::Gunzip::corrupt);
  EXPECT_EQ(http::gunzip(good.substr(0, good.size() - 1), 1 << 20, out), http::Gunzip::corrupt);
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x55;
  EXPECT_EQ(http::gunzip(flipped, 1 << 20, out), http::Gunzip::corrupt);
  EXPECT_EQ(http::gunzip(good + "trailing", 1 << 20, out), http::Gunzip::corrupt);
  EXPECT_EQ(http::gunzip("", 1 << 20, out), http::Gunzip::corrupt);
}

TEST(StreamSlots, ConcurrentTakersNeverExceedEitherCap) {
  std::atomic<std::int64_t> gauge{0};
  http::StreamSlots slots(&gauge);
  std::atomic<int> held{0}, most{0}, most_a{0};
  std::atomic<int> held_a{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string tenant = t % 2 ? "a" : "b";
      for (int i = 0; i < 20'000; ++i) {
        auto taken = slots.take(tenant, 5, 3);
        if (!taken.slot) continue;
        const int now = ++held;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {}
        if (tenant == "a") {
          const int mine = ++held_a;
          int seen_a = most_a.load();
          while (mine > seen_a && !most_a.compare_exchange_weak(seen_a, mine)) {}
          --held_a;
        }
        --held;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), 5);
  EXPECT_LE(most_a.load(), 3);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(slots.open(), 0u);
  EXPECT_EQ(gauge.load(), 0);
  auto a1 = slots.take("a", 5, 1);
  ASSERT_TRUE(a1.slot);
  auto a2 = slots.take("a", 5, 1);
  EXPECT_FALSE(a2.slot);
  EXPECT_EQ(a2.refusal, http::StreamSlots::Refusal::tenant);
  EXPECT_EQ(slots.open("a"), 1u);
  EXPECT_EQ(gauge.load(), 1);
}

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
  const auto small = get_with(c, "/healthz", "gzip");
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

// gzip both ways (http/server/gzip.h), checked against zlib used directly.
#include <gtest/gtest.h>

#include "http/server/gzip.h"
#include "tests/support/zlib_reference.h"

namespace eventsd {
namespace {

using test::deflate_all;
using test::inflate_all;
using test::Inflater;
using test::sample_json;

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

}  // namespace
}  // namespace eventsd

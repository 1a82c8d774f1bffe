// zlib used directly, independent of the code under test (http/server/gzip.h): its own gzip
// reader and writer, for tests that check what eventsd compresses or decompresses.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <string_view>

namespace eventsd::test {

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

inline std::string inflate_all(std::string_view in) {
  Inflater i;
  std::string out = i.feed(in);
  EXPECT_TRUE(i.ended) << "the gzip stream did not end";
  return out;
}

inline std::string deflate_all(std::string_view in, int level = Z_DEFAULT_COMPRESSION) {
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

inline std::string sample_json(std::size_t bytes) {
  std::string s = "[";
  std::mt19937 rng(7);
  while (s.size() < bytes) s += R"({"event":"page_view","n":)" + std::to_string(rng() % 1000) + "},";
  s.back() = ']';
  return s;
}

}  // namespace eventsd::test

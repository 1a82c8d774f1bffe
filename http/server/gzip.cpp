#include "http/server/gzip.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <limits>
#include <new>
#include <optional>
#include <stdexcept>

namespace eventsd::http {

namespace {

constexpr int kGzipWrapper = 16;  // added to windowBits: a gzip header and trailer, not zlib's
constexpr int kLevel = 1;  // as nginx: the fastest level; 5 to 20 times smaller JSON (docs/performance.md)

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A qvalue in thousandths (RFC 9110 §12.4.2): "0", "0.5", "1", "1.000"; nullopt when malformed.
std::optional<int> qvalue(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return std::nullopt;
  int whole = v[0] - '0';
  int thousandths = 0;
  if (v.size() > 1) {
    if (v[1] != '.' || v.size() > 5) return std::nullopt;
    int scale = 100;
    for (char c : v.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      thousandths += (c - '0') * scale;
      scale /= 10;
    }
  }
  const int q = whole * 1000 + thousandths;
  if (q > 1000) return std::nullopt;
  return q;
}

}  // namespace

bool accepts_gzip(std::string_view header, bool wildcard_counts) {
  std::optional<int> gzip_q, star_q, identity_q;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto semi = item.find(';');
    const std::string_view coding = trim(item.substr(0, semi));
    std::optional<int> q = 1000;
    if (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      while (!params.empty()) {
        auto next = params.find(';');
        std::string_view param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
        auto eq = param.find('=');
        if (eq != std::string_view::npos && boost::beast::iequals(trim(param.substr(0, eq)), "q")) {
          q = qvalue(trim(param.substr(eq + 1)));
        }
      }
    }
    if (!q) continue;  // a malformed entry is ignored
    if (boost::beast::iequals(coding, "gzip") || boost::beast::iequals(coding, "x-gzip")) {
      gzip_q = std::max(gzip_q.value_or(0), *q);
    } else if (coding == "*") {
      star_q = *q;
    } else if (boost::beast::iequals(coding, "identity")) {
      identity_q = *q;
    }
  }
  const int g = gzip_q ? *gzip_q : (wildcard_counts && star_q ? *star_q : 0);
  if (g == 0) return false;
  return !identity_q || g >= *identity_q;
}

bool compressible(std::string_view type) {
  type = type.substr(0, type.find(';'));
  type = trim(type);
  auto starts = [&](std::string_view p) {
    return type.size() >= p.size() && boost::beast::iequals(type.substr(0, p.size()), p);
  };
  auto ends = [&](std::string_view p) {
    return type.size() >= p.size() && boost::beast::iequals(type.substr(type.size() - p.size()), p);
  };
  return starts("text/") || boost::beast::iequals(type, "application/json") ||
         boost::beast::iequals(type, "application/x-ndjson") || boost::beast::iequals(type, "application/yaml") ||
         ends("+json") || ends("+yaml");
}

GzipStream::GzipStream(int window_bits, int mem_level) {
  if (deflateInit2(&z_, kLevel, Z_DEFLATED, window_bits + kGzipWrapper, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
}

GzipStream::~GzipStream() { deflateEnd(&z_); }

std::string GzipStream::run(std::string_view in, int mode) {
  std::string out;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_.avail_in = static_cast<uInt>(in.size());
  // Room for the whole piece at once in the usual case; more is added if it ever is not.
  std::size_t room = deflateBound(&z_, static_cast<uLong>(in.size())) + 16;
  for (;;) {
    const std::size_t used = out.size();
    out.resize(used + room);
    z_.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z_.avail_out = static_cast<uInt>(room);
    const int rc = deflate(&z_, mode);
    out.erase(used + (room - z_.avail_out));  // keep what zlib wrote
    if (rc == Z_STREAM_ERROR) throw std::runtime_error("gzip: deflate failed");
    // Done when zlib had room left over: everything given was consumed and flushed.
    if (z_.avail_out != 0 || rc == Z_STREAM_END) break;
    room = 64 * 1024;
  }
  return out;
}

std::string GzipStream::flush(std::string_view piece) { return run(piece, Z_SYNC_FLUSH); }

std::string GzipStream::finish(std::string_view last) { return run(last, Z_FINISH); }

std::string gzip(std::string_view body) { return GzipStream().finish(body); }

Gunzip gunzip(std::string_view body, std::size_t limit, std::string& out) {
  out.clear();
  z_stream z{};
  if (inflateInit2(&z, 15 + kGzipWrapper) != Z_OK) throw std::bad_alloc();
  struct End {
    z_stream& z;
    ~End() { inflateEnd(&z); }
  } end{z};
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  if (body.empty()) return Gunzip::corrupt;
  for (;;) {
    // Small bodies grow in small steps; past 64 KiB the room for limit + 1 bytes (one more tells
    // "too large") is taken at once, so the peak is the limit plus at most one 64 KiB copy.
    const std::size_t used = out.size();
    if (used > limit) return Gunzip::too_large;
    if (used >= 64 * 1024) out.reserve(limit + 1);
    const std::size_t step = std::min<std::size_t>(std::max<std::size_t>(used, 16 * 1024), limit + 1 - used);
    out.resize(used + step);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    z.avail_out = static_cast<uInt>(step);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.erase(used + (step - z.avail_out));  // keep what zlib wrote
    if (out.size() > limit) return Gunzip::too_large;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) return Gunzip::ok;
      // Another member follows (RFC 1952 §2.2): go on with it.
      if (inflateReset(&z) != Z_OK) return Gunzip::corrupt;
      continue;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) return Gunzip::corrupt;  // truncated
    if (rc != Z_OK && rc != Z_BUF_ERROR) return Gunzip::corrupt;
  }
}

}  // namespace eventsd::http

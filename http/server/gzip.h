// gzip (RFC 1952) for HTTP bodies, both ways, over zlib: the server inflates request bodies sent
// with `Content-Encoding: gzip` before routing and deflates answers for clients whose
// `Accept-Encoding` allows it — whole bodies at once, streamed bodies piece by piece.
//
// Nothing here touches a socket or a request; every function is thread-safe, a GzipStream is
// used by one coroutine at a time.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace eventsd::http {

// Answers smaller than this stay identity: a gzip header and trailer cost 18 bytes, and below
// about a kilobyte the saving is smaller than the time to compress.
inline constexpr std::size_t kGzipMinBytes = 1024;

// Whether a client whose Accept-Encoding header is `accept_encoding` is sent gzip (RFC 9110
// §12.5.3): `gzip` (or `x-gzip`) with a q-value above 0, or `*` with one when `wildcard_counts`,
// and not `identity` with a higher q-value. An empty header means identity.
bool accepts_gzip(std::string_view accept_encoding, bool wildcard_counts = true);

// Whether a body of this media type is worth compressing (text, JSON, JSON lines, YAML, CSV).
bool compressible(std::string_view content_type);

// A whole body, compressed.
std::string gzip(std::string_view body);

// A body compressed as it is produced: each piece given to flush() comes out whole at once (a
// sync flush), so a client can decode everything sent so far; finish() compresses the last piece
// and ends the stream.
// `window_bits` (9..15) and `mem_level` (1..9) trade the compression ratio for the memory held
// while the stream lives: about 2^(window_bits+2) + 2^(mem_level+9) bytes.
class GzipStream {
 public:
  explicit GzipStream(int window_bits = 15, int mem_level = 8);
  ~GzipStream();
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;

  std::string flush(std::string_view piece);
  std::string finish(std::string_view last = {});

 private:
  std::string run(std::string_view in, int mode);
  z_stream z_{};
};

enum class Gunzip { ok, too_large, corrupt };

// Inflates a gzip body (one member or several, RFC 1952 §2.2) into `out`. Stops as soon as the
// output would exceed `limit` bytes (too_large), so a small body that inflates enormously costs
// no more than `limit` bytes of memory. Anything that is not gzip, a truncated stream or bytes
// after the last member are `corrupt`.
Gunzip gunzip(std::string_view body, std::size_t limit, std::string& out);

}  // namespace eventsd::http

// Conditional GET (RFC 9110 §8.8.3, §13.1.2) for a tenant's token-protected GET routes that are
// not streamed: a 200 answer carries an ETag made of the read models' position, the tenant, the
// target, the Accept-Encoding and (when the answer depends on the clock at a day's granularity)
// the day; If-None-Match naming the tag the answer would have is answered 304 before the handler
// runs. An answer that depends on the clock more finely (Request::now) gets no ETag.
//
// Thread safety: a ConditionalGet belongs to one request's coroutine, like the Request it reads.
#pragma once

#include <cstdint>
#include <optional>

#include "http/api/api.h"

namespace eventsd::http {

class ConditionalGet {
 public:
  // Reads the position of the read models the tenant's answer comes from. Before the handler
  // takes its own snapshot: so a tag never names a newer state than the answer shows (at worst a
  // later request misses a 304). `request` outlives this.
  ConditionalGet(const App& app, const Request& request);

  // A 304 with the tag, when If-None-Match names the tag the answer would have now; nullopt:
  // run the handler. (If-None-Match "*" asks whether the answer exists at all: only the handler
  // can tell.)
  std::optional<Response> not_modified() const;

  // Sets the ETag of the handler's answer (a 200 that is not streamed, and depends on the clock
  // not at all or by the day), made 304 when If-None-Match names it.
  void tag(Reply& reply) const;

 private:
  const Request& request_;
  std::uint64_t checkpoint_;
};

}  // namespace eventsd::http

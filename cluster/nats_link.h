// Inside cluster/nats*.cpp: what the files implementing nats.h share — the connection with its
// JetStream context (Link), the error translation, messages built and read, and cnats' object
// holders (the functions are in nats_link.cpp). Not for use outside cluster/nats*.cpp.
//
// The files: nats_connection.cpp (connecting, the connection's state), nats_security.cpp
// (credentials and TLS), nats_streams.cpp (JetStream streams and StreamReader),
// nats_publisher.cpp (Publisher), nats_kv.cpp (key-value buckets), nats_service.cpp
// (request/reply).
//
// Thread safety: a Link may be used from any thread (cnats is thread-safe; `buckets` is guarded
// by kv_mu); the functions below are thread-safe (cnats keeps its last error per thread).
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/nats.h"

namespace eventsd::nats {

// The connection and its JetStream context, shared (by shared_ptr) by everything that may use
// them: the Connection, and whatever may outlive it (StreamReaders, Services and their Reply
// functions, Publishers). The link closes when the last of them lets go.
struct Link {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  std::chrono::milliseconds timeout{};

  std::mutex kv_mu;
  std::map<std::string, kvStore*> buckets;  // opened key-value buckets, by name

  Link() = default;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  jsOptions api_options() const;
  kvStore* bucket(const std::string& name);
};

struct Connection::Impl {
  std::shared_ptr<Link> link;
};

namespace detail {

template <class T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const { Destroy(p); }
};
using MsgPtr = std::unique_ptr<natsMsg, Deleter<natsMsg, natsMsg_Destroy>>;

// The text of the last cnats error on this thread (cnats keeps it per thread), or the status'
// name.
std::string error_text(natsStatus s);
// Whether a status or a JetStream error code means "no answer now" (Unavailable) rather than
// a refusal.
bool unavailable(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0));
// Throws Unavailable or Error for `s`, its text prefixed with `what`.
[[noreturn]] void fail(natsStatus s, const std::string& what, jsErrCode code = static_cast<jsErrCode>(0));
void check(natsStatus s, const std::string& what);
// A duration as cnats' milliseconds (at least 1: 0 means "the default" to cnats).
std::int64_t millis(std::chrono::milliseconds d);
// The last sequence named in JetStream's "wrong last sequence: N" answer, 0 when absent.
std::uint64_t parse_last_seq(const std::string& text);
// A message for `subject` with `headers`; with expect_last_seq, the stream-level fence header
// (set by hand, not through jsPubOptions.ExpectLastSeq: cnats leaves 0 out as "unset", and 0 is
// the fence of an empty stream).
// And with expect_last_msg_id, that fence too.
MsgPtr make_message(const std::string& subject, const Headers& headers, std::string_view data,
                    std::optional<std::uint64_t> expect_last_seq, const std::string& expect_last_msg_id = "");
// Whether a JetStream error code is a fence's refusal (last sequence or last message id).
bool fenced(jsErrCode code);
// A natsMsg as a Message (seq filled in by the caller, who knows where it came from).
Message to_message(natsMsg* msg);
// Sets `opts` up as options.security says (nats_security.cpp): reads and checks its files, and
// throws Error naming the one that is missing or malformed.
void apply_security(natsOptions* opts, const ConnectOptions& options);
// Whether `options` ask for TLS: a CA, a client certificate or a tls:// URL.
bool wants_tls(const ConnectOptions& options);

}  // namespace detail
}  // namespace eventsd::nats

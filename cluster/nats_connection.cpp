// cluster/nats.h over cnats 3.4.1 (Debian's libnats-dev): connecting, and the connection's state.
//
// Ownership: every cnats object is owned by one RAII holder. The natsConnection and its
// JetStream context live in a `Link` (nats_link.h) held by shared_ptr, so that what may outlive
// the Connection (StreamReaders, Services and their Reply functions, Publishers) keeps them open.
// The rest of Connection is in nats_streams.cpp, nats_kv.cpp, nats_service.cpp and
// nats_publisher.cpp.
#include "cluster/nats.h"
#include "cluster/nats_link.h"

#include <nats/nats.h>

#include <vector>

namespace eventsd::nats {

using namespace detail;

namespace {

// cnats' library state is opened once per process (thread-safe static initialisation) and never
// closed: connections may outlive any one owner, and nats_Close must not race nats_Open.
void open_library() {
  static const bool opened = [] {
    const natsStatus s = nats_Open(-1);
    if (s != NATS_OK) throw Error(std::string("cannot initialise the NATS client: ") + natsStatus_GetText(s));
    return true;
  }();
  (void)opened;
}

}  // namespace

Connection::Connection(ConnectOptions options) : impl_(std::make_unique<Impl>()) {
  open_library();
  if (options.urls.empty()) throw Error("no NATS server URL given");
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "creating NATS options");
  std::unique_ptr<natsOptions, Deleter<natsOptions, natsOptions_Destroy>> opts(raw);
  std::vector<const char*> urls;
  for (const auto& u : options.urls) urls.push_back(u.c_str());
  check(natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())), "NATS server URLs");
  if (!options.name.empty()) check(natsOptions_SetName(opts.get(), options.name.c_str()), "connection name");
  check(natsOptions_SetTimeout(opts.get(), millis(options.timeout)), "connect timeout");
  check(natsOptions_SetMaxReconnect(opts.get(), -1), "reconnect");  // forever
  check(natsOptions_SetReconnectWait(opts.get(), 250), "reconnect wait");
  // A request in flight when the connection drops fails at once (Unavailable) instead of
  // waiting for its whole timeout.
  check(natsOptions_SetFailRequestsOnDisconnect(opts.get(), true), "fail requests on disconnect");
  apply_security(opts.get(), options);

  auto link = std::make_shared<Link>();
  link->timeout = options.timeout;
  const natsStatus s = natsConnection_Connect(&link->nc, opts.get());
  if (s != NATS_OK) {
    std::string list;
    for (const auto& u : options.urls) list += (list.empty() ? "" : ",") + u;
    const std::string text = error_text(s);
    std::string why = "cannot connect to NATS at " + list + ": " + text;
    // Under TLS 1.3 a server refuses a client's certificate after the client's side of the
    // handshake is done: the client sees the connection closed (no PONG) or its next TLS read or
    // write fail, as soon as the server's alert arrives.
    const bool closed_after_handshake =
        wants_tls(options) &&
        (s == NATS_PROTOCOL_ERROR || (s == NATS_IO_ERROR && text.find("SSL_") != std::string::npos));
    // No server answering is worth another try; one that refused this client's credentials or
    // certificate (or TLS) is not.
    if (unavailable(s) && !closed_after_handshake) throw Unavailable(why);
    if (closed_after_handshake) {
      why += options.security.cert_file.empty()
                 ? " (the server closed the connection after the TLS handshake: it may want a client certificate, "
                   "and none was given)"
                 : " (the server closed the connection after the TLS handshake: it may not accept the client "
                   "certificate " + options.security.cert_file + ")";
    }
    throw Error(why);
  }
  jsOptions jo = link->api_options();
  check(natsConnection_JetStream(&link->js, link->nc, &jo), "JetStream context");
  impl_->link = std::move(link);
}

Connection::~Connection() = default;

bool Connection::connected() const {
  return natsConnection_Status(impl_->link->nc) == NATS_CONN_STATUS_CONNECTED;
}

std::string Connection::server() const {
  char buffer[512];
  if (!connected()) return "";
  if (natsConnection_GetConnectedUrl(impl_->link->nc, buffer, sizeof buffer) != NATS_OK) return "";
  return buffer;
}

std::size_t Connection::max_payload() const {
  if (!connected()) return 0;
  const int64_t n = natsConnection_GetMaxPayload(impl_->link->nc);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace eventsd::nats

// What the files implementing cluster/nats.h share (nats_link.h): the Link that owns the
// natsConnection and its JetStream context, cnats' errors translated into Unavailable, Error or
// an outcome, and messages built and read.
#include "cluster/nats_link.h"

#include <charconv>
#include <cstdlib>

namespace eventsd::nats {

using namespace detail;

namespace {

bool unavailable_status(natsStatus s) {
  switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NO_SERVER:
    case NATS_NOT_YET_CONNECTED:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
      return true;
    default:
      return false;
  }
}

// JetStream answers that mean "no leader / no quorum / not reachable now", not "refused".
bool unavailable_code(jsErrCode code) {
  switch (static_cast<int>(code)) {
    case JSClusterNoPeersErr:         // not enough servers up to place the replicas
    case JSClusterNotAvailErr:        // no meta leader
    case JSClusterNotLeaderErr:
    case JSInsufficientResourcesErr:  // (2.9 says so while peers are missing)
    case JSNotEnabledErr:             // cnats' translation of "no responders" on an API subject
      return true;
    default:
      return false;
  }
}

}  // namespace

namespace detail {

std::string error_text(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  if (text && *text) return text;
  return natsStatus_GetText(s);
}

bool unavailable(natsStatus s, jsErrCode code) { return unavailable_status(s) || unavailable_code(code); }

void fail(natsStatus s, const std::string& what, jsErrCode code) {
  std::string message = what + ": " + error_text(s);
  if (code != 0) message += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  if (unavailable(s, code)) throw Unavailable(message);
  throw Error(message);
}

void check(natsStatus s, const std::string& what) {
  if (s != NATS_OK) fail(s, what);
}

std::int64_t millis(std::chrono::milliseconds d) { return d.count() > 0 ? d.count() : 1; }

std::uint64_t parse_last_seq(const std::string& text) {
  const auto at = text.rfind(':');
  if (at == std::string::npos) return 0;
  std::size_t i = at + 1;
  while (i < text.size() && text[i] == ' ') ++i;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
  (void)end;
  return ec == std::errc() ? value : 0;
}

bool fenced(jsErrCode code) { return code == JSStreamWrongLastSequenceErr || code == JSStreamWrongLastMsgIDErr; }

MsgPtr make_message(const std::string& subject, const Headers& headers, std::string_view data,
                    std::optional<std::uint64_t> expect_last_seq, const std::string& expect_last_msg_id) {
  natsMsg* raw = nullptr;
  check(natsMsg_Create(&raw, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size())),
        "creating a message");
  MsgPtr msg(raw);
  for (const auto& [key, value] : headers) {
    check(natsMsgHeader_Set(msg.get(), key.c_str(), value.c_str()), "message header " + key);
  }
  if (expect_last_seq) {
    const std::string value = std::to_string(*expect_last_seq);
    check(natsMsgHeader_Set(msg.get(), "Nats-Expected-Last-Sequence", value.c_str()), "message header");
  }
  if (!expect_last_msg_id.empty()) {
    check(natsMsgHeader_Set(msg.get(), "Nats-Expected-Last-Msg-Id", expect_last_msg_id.c_str()), "message header");
  }
  return msg;
}

Message to_message(natsMsg* msg) {
  Message m;
  if (const char* subject = natsMsg_GetSubject(msg)) m.subject = subject;
  if (const char* data = natsMsg_GetData(msg)) {
    m.data.assign(data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  }
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (natsMsgHeader_Get(msg, keys[i], &value) == NATS_OK) m.headers[keys[i]] = value ? value : "";
    }
    std::free(static_cast<void*>(keys));  // the array is ours, the strings the message's
  }
  return m;
}

}  // namespace detail

Link::~Link() {
  for (auto& [name, kv] : buckets) kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);  // closes the connection: joins cnats' I/O threads
}

jsOptions Link::api_options() const {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = millis(timeout);
  return o;
}

kvStore* Link::bucket(const std::string& name) {
  std::lock_guard lock(kv_mu);
  if (auto it = buckets.find(name); it != buckets.end()) return it->second;
  kvStore* kv = nullptr;
  const natsStatus s = js_KeyValue(&kv, js, name.c_str());
  if (s == NATS_NOT_FOUND) throw Error("no key-value bucket " + name);
  check(s, "opening key-value bucket " + name);
  buckets.emplace(name, kv);
  return kv;
}

}  // namespace eventsd::nats

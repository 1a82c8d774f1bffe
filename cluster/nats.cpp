// cluster/nats.h over cnats 3.4.1 (Debian's libnats-dev).
//
// Ownership: every cnats object is owned by one RAII holder here. The natsConnection and its
// JetStream context live in a `Link` (nats_link.h) held by shared_ptr. Publisher is in
// nats_publisher.cpp.
#include "cluster/nats.h"
#include "cluster/nats_link.h"

#include <nats/nats.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

namespace eventsd::nats {

namespace {

using namespace detail;

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

using StreamInfoPtr = std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo, jsStreamInfo_Destroy>>;
using PubAckPtr = std::unique_ptr<jsPubAck, Deleter<jsPubAck, jsPubAck_Destroy>>;
using EntryPtr = std::unique_ptr<kvEntry, Deleter<kvEntry, kvEntry_Destroy>>;
using WatcherPtr = std::unique_ptr<kvWatcher, Deleter<kvWatcher, kvWatcher_Destroy>>;
using MetaPtr = std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData, jsMsgMetaData_Destroy>>;

// A natsMsg as a Message (seq filled in by the caller, who knows where it came from).
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

// When the server stored the entry: cnats gives nanoseconds since the epoch, UTC.
std::chrono::system_clock::time_point written(kvEntry* entry) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(kvEntry_Created(entry))));
}

bool wrong_last_sequence_error() {
  const char* text = nats_GetLastError(nullptr);
  return text && std::strstr(text, "wrong last sequence") != nullptr;
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

// ---------------------------------------------------------------------------------------------
// StreamReader

struct StreamReader::Impl {
  std::shared_ptr<Link> link;
  natsSubscription* sub = nullptr;
  std::string stream;
  std::uint64_t next_seq = 1;  // the sequence expected next: a repeat below it is dropped

  ~Impl() {
    if (sub) {
      natsSubscription_Unsubscribe(sub);  // deletes the ephemeral consumer on the server
      natsSubscription_Destroy(sub);
    }
  }
};

StreamReader::StreamReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreamReader::~StreamReader() = default;

std::optional<Message> StreamReader::next(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    natsMsg* raw = nullptr;
    const natsStatus s = natsSubscription_NextMsg(&raw, impl_->sub, left.count());
    MsgPtr msg(raw);
    if (s == NATS_TIMEOUT) return std::nullopt;
    // Messages dropped as a slow consumer leave a gap that the ordered consumer notices and
    // fills by recreating itself from the last sequence delivered: reading on is right.
    if (s == NATS_SLOW_CONSUMER || s == NATS_MISMATCH) continue;
    check(s, "reading stream " + impl_->stream);
    jsMsgMetaData* meta_raw = nullptr;
    check(natsMsg_GetMetaData(&meta_raw, msg.get()), "reading stream " + impl_->stream);
    MetaPtr meta(meta_raw);
    const std::uint64_t seq = meta->Sequence.Stream;
    if (seq < impl_->next_seq) continue;  // already delivered (defensive: the consumer is ordered)
    impl_->next_seq = seq + 1;
    Message m = to_message(msg.get());
    m.seq = seq;
    return m;
  }
}

// ---------------------------------------------------------------------------------------------
// Service

namespace {

// What a subscription's callback needs; owned by the callback until cnats reports the
// subscription complete (its last callback returned).
struct ServiceState {
  std::shared_ptr<Link> link;
  std::function<void(Message, Connection::Reply)> handler;
  std::mutex mu;
  std::condition_variable cv;
  bool complete = false;
  std::atomic<std::thread::id> in_handler{};  // the thread running the handler, if any
};

void on_request(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
  MsgPtr msg(raw);
  auto* state = static_cast<ServiceState*>(closure);
  Message request = to_message(msg.get());
  const char* reply_to = natsMsg_GetReply(msg.get());
  Connection::Reply reply;
  if (reply_to && *reply_to) {
    reply = [link = state->link, subject = std::string(reply_to)](std::string data) {
      // An answer that cannot be sent is lost like any other: the requester times out.
      natsConnection_Publish(link->nc, subject.c_str(), data.data(), static_cast<int>(data.size()));
    };
  } else {
    reply = [](std::string) {};  // a publish that expects no answer
  }
  state->in_handler = std::this_thread::get_id();
  try {
    state->handler(std::move(request), std::move(reply));
  } catch (...) {
    // A handler's failure must not unwind through C; the requester times out.
  }
  state->in_handler = std::thread::id{};
}

void on_complete(void* closure) {
  auto* state = static_cast<ServiceState*>(closure);
  std::lock_guard lock(state->mu);
  state->complete = true;
  state->cv.notify_all();
}

}  // namespace

struct Connection::Service::Impl {
  std::unique_ptr<ServiceState> state;
  natsSubscription* sub = nullptr;

  ~Impl() {
    if (!sub) return;
    natsSubscription_Unsubscribe(sub);
    // The server forgets the interest once the UNSUB reaches it: flushed here, so that a later
    // request through the same server finds nobody (no responders) instead of timing out.
    natsConnection_FlushTimeout(state->link->nc, millis(state->link->timeout));
    // cnats may be running the handler right now on its thread: wait until it has returned for
    // the last time (on_complete), after which nothing refers to `state`. Called from the
    // handler itself (not allowed, see nats.h) that wait could never end, so the state is then
    // left to on_complete and never freed.
    if (state->in_handler.load() != std::this_thread::get_id()) {
      std::unique_lock lock(state->mu);
      state->cv.wait(lock, [&] { return state->complete; });
    } else {
      (void)state.release();
    }
    natsSubscription_Destroy(sub);
  }
};

Connection::Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Service::~Service() = default;

// ---------------------------------------------------------------------------------------------
// Connection

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

  auto link = std::make_shared<Link>();
  link->timeout = options.timeout;
  const natsStatus s = natsConnection_Connect(&link->nc, opts.get());
  if (s != NATS_OK) {
    std::string list;
    for (const auto& u : options.urls) list += (list.empty() ? "" : ",") + u;
    throw Unavailable("cannot connect to NATS at " + list + ": " + error_text(s));
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

void Connection::ensure_stream(const StreamConfig& config) {
  Link& l = *impl_->link;
  std::vector<const char*> subjects;
  for (const auto& s : config.subjects) subjects.push_back(s.c_str());
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  sc.Name = config.name.c_str();
  sc.Subjects = subjects.data();
  sc.SubjectsLen = static_cast<int>(subjects.size());
  sc.Retention = js_LimitsPolicy;
  sc.Storage = js_FileStorage;
  sc.Replicas = config.replicas;
  sc.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(config.duplicate_window).count();
  sc.DenyDelete = true;
  sc.DenyPurge = true;
  jsOptions jo = l.api_options();
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&raw, l.js, &sc, &jo, &code);
  StreamInfoPtr info(raw);
  if (s != NATS_OK) {
    if (code != JSStreamNameExistErr) fail(s, "creating stream " + config.name, code);
    // It exists with another configuration: say how it differs in what matters here.
    raw = nullptr;
    s = js_GetStreamInfo(&raw, l.js, config.name.c_str(), &jo, &code);
    info.reset(raw);
    if (s != NATS_OK) fail(s, "reading stream " + config.name, code);
  }
  const jsStreamConfig& have = *info->Config;
  std::vector<std::string> have_subjects(have.Subjects, have.Subjects + have.SubjectsLen);
  if (have_subjects != config.subjects) {
    std::string list;
    for (const auto& s2 : have_subjects) list += (list.empty() ? "" : ",") + s2;
    throw Error("stream " + config.name + " exists with subjects [" + list + "]");
  }
  if (have.Replicas != config.replicas) {
    throw Error("stream " + config.name + " exists with " + std::to_string(have.Replicas) + " replicas, not " +
                std::to_string(config.replicas));
  }
}

std::optional<std::uint64_t> Connection::last_seq(const std::string& stream) {
  Link& l = *impl_->link;
  jsOptions jo = l.api_options();
  jsStreamInfo* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetStreamInfo(&raw, l.js, stream.c_str(), &jo, &code);
  StreamInfoPtr info(raw);
  if (s == NATS_NOT_FOUND) return std::nullopt;
  if (s != NATS_OK) fail(s, "reading stream " + stream, code);
  return info->State.LastSeq;
}

PublishResult Connection::publish(const std::string& subject, const Headers& headers, std::string_view data,
                                  std::optional<std::uint64_t> expect_last_seq, const std::string& msg_id,
                                  std::chrono::milliseconds max_wait) {
  return publish(subject, Outgoing{headers, std::string(data), expect_last_seq, msg_id, ""}, max_wait);
}

PublishResult Connection::publish(const std::string& subject, const Outgoing& message,
                                  std::chrono::milliseconds max_wait) {
  Link& l = *impl_->link;
  MsgPtr msg = make_message(subject, message.headers, message.data, message.expect_last_seq, message.expect_last_msg_id);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!message.msg_id.empty()) po.MsgId = message.msg_id.c_str();
  po.MaxWait = millis(max_wait);
  jsPubAck* ack_raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PublishMsg(&ack_raw, l.js, msg.get(), &po, &code);
  PubAckPtr ack(ack_raw);
  if (s == NATS_OK) return Published{ack->Sequence, ack->Duplicate};
  if (fenced(code)) return WrongLastSequence{parse_last_seq(error_text(s))};
  fail(s, "publishing to " + subject, code);
}

std::optional<Message> Connection::get(const std::string& stream, std::uint64_t seq) {
  Link& l = *impl_->link;
  if (seq == 0) return std::nullopt;
  jsOptions jo = l.api_options();
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetMsg(&raw, l.js, stream.c_str(), seq, &jo, &code);
  MsgPtr msg(raw);
  if (code == JSNoMessageFoundErr || (s == NATS_NOT_FOUND && code != JSStreamNotFoundErr)) return std::nullopt;
  if (s != NATS_OK) fail(s, "reading message " + std::to_string(seq) + " of stream " + stream, code);
  Message m = to_message(msg.get());
  m.seq = natsMsg_GetSequence(msg.get());
  return m;
}

std::unique_ptr<StreamReader> Connection::read(const std::string& stream, const std::string& subject,
                                               std::uint64_t start_seq) {
  auto impl = std::make_unique<StreamReader::Impl>();
  impl->link = impl_->link;
  impl->stream = stream;
  impl->next_seq = start_seq < 1 ? 1 : start_seq;
  jsOptions jo = impl->link->api_options();
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverByStartSequence;
  so.Config.OptStartSeq = impl->next_seq;
  // Heartbeats every second (cnats' default for ordered consumers is 5 s): a consumer lost with
  // its server is noticed after two missed ones and recreated from the last sequence delivered.
  so.Config.Heartbeat = std::chrono::nanoseconds(std::chrono::seconds(1)).count();
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_SubscribeSync(&impl->sub, impl->link->js, subject.c_str(), &jo, &so, &code);
  if (s != NATS_OK) fail(s, "reading stream " + stream, code);
  // Batches are large: the client-side queue is bounded by bytes as well as messages.
  natsSubscription_SetPendingLimits(impl->sub, 65536, 256 * 1024 * 1024);
  return std::unique_ptr<StreamReader>(new StreamReader(std::move(impl)));
}

void Connection::ensure_bucket(const std::string& bucket, int replicas) {
  Link& l = *impl_->link;
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = bucket.c_str();
  cfg.History = 1;
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = replicas;
  kvStore* kv = nullptr;
  const natsStatus s = js_CreateKeyValue(&kv, l.js, &cfg);
  if (s != NATS_OK) fail(s, "creating key-value bucket " + bucket);
  std::lock_guard lock(l.kv_mu);
  if (!l.buckets.emplace(bucket, kv).second) kvStore_Destroy(kv);
}

std::optional<KvEntry> Connection::kv_get(const std::string& bucket, const std::string& key) {
  Link& l = *impl_->link;
  l.bucket(bucket);  // the bucket must exist
  // Not kvStore_Get: it reads with JetStream's direct get, which any replica answers, so a
  // follower behind the leader answers with a value older than a write already acknowledged.
  // The stream's leader answers $JS.API.STREAM.MSG.GET.
  const std::string stream = "KV_" + bucket;
  const std::string subject = "$KV." + bucket + "." + key;
  jsOptions jo = l.api_options();
  natsMsg* raw = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetLastMsg(&raw, l.js, stream.c_str(), subject.c_str(), &jo, &code);
  MsgPtr msg(raw);
  if (code == JSNoMessageFoundErr || (s == NATS_NOT_FOUND && code != JSStreamNotFoundErr)) return std::nullopt;
  if (s != NATS_OK) fail(s, "reading key " + key + " of bucket " + bucket, code);
  const char* operation = nullptr;
  if (natsMsgHeader_Get(msg.get(), "KV-Operation", &operation) == NATS_OK && operation &&
      (std::strcmp(operation, "DEL") == 0 || std::strcmp(operation, "PURGE") == 0)) {
    return std::nullopt;  // deleted
  }
  const char* data = natsMsg_GetData(msg.get());
  return KvEntry{std::string(data ? data : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()))),
                 natsMsg_GetSequence(msg.get()),
                 std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(
                     std::chrono::nanoseconds(natsMsg_GetTime(msg.get()))))};
}

KvWrite Connection::kv_create(const std::string& bucket, const std::string& key, std::string_view value) {
  kvStore* kv = impl_->link->bucket(bucket);
  std::uint64_t revision = 0;
  const natsStatus s = kvStore_Create(&revision, kv, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return revision;
  // kvStore_Create does not pass JetStream's error code on; the text is JetStream's.
  if (s == NATS_ERR && wrong_last_sequence_error()) return Exists{};
  fail(s, "creating key " + key + " of bucket " + bucket);
}

KvWrite Connection::kv_update(const std::string& bucket, const std::string& key, std::string_view value,
                              std::uint64_t revision) {
  kvStore* kv = impl_->link->bucket(bucket);
  std::uint64_t new_revision = 0;
  const natsStatus s =
      kvStore_Update(&new_revision, kv, key.c_str(), value.data(), static_cast<int>(value.size()), revision);
  if (s == NATS_OK) return new_revision;
  if (s == NATS_ERR && wrong_last_sequence_error()) return Conflict{};
  fail(s, "updating key " + key + " of bucket " + bucket);
}

std::map<std::string, KvEntry> Connection::kv_all(const std::string& bucket) {
  Link& l = *impl_->link;
  kvStore* kv = l.bucket(bucket);
  // A watcher of every key delivers each key's latest entry and then a null entry (cnats'
  // kvStore_Keys does the same without the values).
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  wo.IgnoreDeletes = true;
  kvWatcher* raw = nullptr;
  check(kvStore_WatchAll(&raw, kv, &wo), "reading bucket " + bucket);
  WatcherPtr watcher(raw);
  std::map<std::string, KvEntry> all;
  const auto deadline = std::chrono::steady_clock::now() + l.timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Unavailable("reading bucket " + bucket + ": timed out");
    kvEntry* e_raw = nullptr;
    const natsStatus s = kvWatcher_Next(&e_raw, watcher.get(), left.count());
    EntryPtr entry(e_raw);
    check(s, "reading bucket " + bucket);
    if (!entry) break;  // the initial state is complete
    if (kvEntry_Operation(entry.get()) != kvOp_Put) continue;
    const auto* value = static_cast<const char*>(kvEntry_Value(entry.get()));
    all[kvEntry_Key(entry.get())] =
        KvEntry{std::string(value ? value : "", static_cast<std::size_t>(kvEntry_ValueLen(entry.get()))),
                kvEntry_Revision(entry.get()), written(entry.get())};
  }
  return all;
}

Message Connection::request(const std::string& subject, std::string_view data, std::chrono::milliseconds wait) {
  natsMsg* raw = nullptr;
  const natsStatus s = natsConnection_Request(&raw, impl_->link->nc, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()), millis(wait));
  MsgPtr reply(raw);
  if (s != NATS_OK) fail(s, "request to " + subject);
  return to_message(reply.get());
}

std::unique_ptr<Connection::Service> Connection::serve(const std::string& subject,
                                                       std::function<void(Message, Reply)> handler) {
  auto impl = std::make_unique<Service::Impl>();
  impl->state = std::make_unique<ServiceState>();
  impl->state->link = impl_->link;
  impl->state->handler = std::move(handler);
  natsStatus s = natsConnection_Subscribe(&impl->sub, impl_->link->nc, subject.c_str(), on_request,
                                          impl->state.get());
  if (s != NATS_OK) fail(s, "serving " + subject);
  s = natsSubscription_SetOnCompleteCB(impl->sub, on_complete, impl->state.get());
  if (s != NATS_OK) {
    natsSubscription_Unsubscribe(impl->sub);
    natsSubscription_Destroy(impl->sub);
    impl->sub = nullptr;
    fail(s, "serving " + subject);
  }
  // The subscription reaches the server with the next flush; a request sent right after serve()
  // returns must find it.
  s = natsConnection_FlushTimeout(impl_->link->nc, millis(impl_->link->timeout));
  if (s != NATS_OK) fail(s, "serving " + subject);  // ~Impl unsubscribes
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

}  // namespace eventsd::nats

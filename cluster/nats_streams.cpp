// JetStream streams over cnats: creating or checking a stream, its last sequence, a publish
// fenced by the expected last sequence (and message id), reading one message, and StreamReader,
// which reads a stream in order through an ordered consumer. (The pipelined Publisher is in
// nats_publisher.cpp.)
#include <nats/nats.h>

#include <vector>

#include "cluster/nats.h"
#include "cluster/nats_link.h"

namespace eventsd::nats {

using namespace detail;

namespace {

using StreamInfoPtr = std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo, jsStreamInfo_Destroy>>;
using PubAckPtr = std::unique_ptr<jsPubAck, Deleter<jsPubAck, jsPubAck_Destroy>>;
using MetaPtr = std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData, jsMsgMetaData_Destroy>>;

}  // namespace

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

}  // namespace eventsd::nats

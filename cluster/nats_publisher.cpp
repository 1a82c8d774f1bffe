// nats::Publisher (cluster/nats.h) over cnats' asynchronous JetStream publish.
//
// The publisher has a JetStream context of its own, whose acknowledgement handler (run on a cnats
// thread) records each answer — matched to its message by the message id — for the call in
// progress. cnats bounds what is unanswered (PublishAsync.MaxPending: a send waits for room) and
// answers a message that got no acknowledgement within its MaxWait with a timeout, so every
// message sent gets exactly one answer; publish() returns when all of its messages have theirs.
#include <nats/nats.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "cluster/nats.h"
#include "cluster/nats_link.h"

namespace eventsd::nats {

using namespace detail;

struct Publisher::Impl {
  std::shared_ptr<Link> link;
  std::string subject;
  jsCtx* js = nullptr;

  std::mutex mu;
  std::condition_variable answered;
  // The call in progress: which message id is which of its outcomes, and those known so far.
  std::map<std::string, std::size_t> ids;                // mu
  std::vector<std::optional<PublishOutcome>> outcomes;  // mu
  std::size_t unanswered = 0;                           // mu

  ~Impl() {
    if (!js) return;
    // Every call waited for its answers, so nothing is pending; this only makes sure no
    // acknowledgement handler is still returning when the context (and this) go away.
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = millis(link->timeout);
    js_PublishAsyncComplete(js, &po);
    jsCtx_Destroy(js);
  }

  void answer(const char* id, PublishOutcome outcome) {
    std::lock_guard lock(mu);
    auto it = ids.find(id ? id : "");
    if (it == ids.end() || outcomes[it->second]) return;  // not this call's (a late answer)
    outcomes[it->second] = std::move(outcome);
    --unanswered;
    answered.notify_all();
  }
};

namespace {

void on_ack(jsCtx*, natsMsg* raw, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  MsgPtr msg(raw);  // ours to destroy (cnats' contract for AckHandler)
  auto* impl = static_cast<Publisher::Impl*>(closure);
  const char* id = nullptr;
  natsMsgHeader_Get(msg.get(), "Nats-Msg-Id", &id);
  if (pa) return impl->answer(id, Published{pa->Sequence, pa->Duplicate});
  if (pae && fenced(pae->ErrCode)) {
    return impl->answer(id, WrongLastSequence{parse_last_seq(pae->ErrText ? pae->ErrText : "")});
  }
  std::string why = "no acknowledgement";
  if (pae) why = pae->ErrText && *pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err);
  impl->answer(id, UnknownOutcome{why});
}

}  // namespace

Publisher::Publisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Publisher::~Publisher() = default;

std::unique_ptr<Publisher> Connection::publisher(const std::string& subject, std::size_t max_pending) {
  auto impl = std::make_unique<Publisher::Impl>();
  impl->link = impl_->link;
  impl->subject = subject;
  jsOptions jo = impl->link->api_options();
  jo.PublishAsync.MaxPending = static_cast<int64_t>(max_pending ? max_pending : 1);
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = impl.get();
  check(natsConnection_JetStream(&impl->js, impl->link->nc, &jo), "JetStream context for publishing");
  return std::unique_ptr<Publisher>(new Publisher(std::move(impl)));
}

std::vector<PublishOutcome> Publisher::publish(const std::vector<Outgoing>& messages,
                                               std::chrono::milliseconds max_wait) {
  Impl& p = *impl_;
  {
    std::lock_guard lock(p.mu);
    p.ids.clear();
    p.outcomes.assign(messages.size(), std::nullopt);
    p.unanswered = messages.size();
    for (std::size_t i = 0; i < messages.size(); ++i) p.ids.emplace(messages[i].msg_id, i);
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Outgoing& m = messages[i];
    MsgPtr msg;
    natsStatus s = NATS_OK;
    try {
      msg = make_message(p.subject, m.headers, m.data, m.expect_last_seq, m.expect_last_msg_id);
    } catch (const Error&) {
      s = NATS_NO_MEMORY;  // (what cnats refuses a message for; the messages sent are still awaited)
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    if (!m.msg_id.empty()) po.MsgId = m.msg_id.c_str();
    po.MaxWait = millis(max_wait);  // each message's wait for its acknowledgement
    natsMsg* sent = msg.get();
    // (StallWait, the wait for room below MaxPending, is the context's: its default, 200 ms,
    // then again until max_wait has passed.)
    const auto give_up = std::chrono::steady_clock::now() + max_wait;
    while (msg) {
      s = js_PublishMsgAsync(p.js, &sent, &po);
      if (s != NATS_TIMEOUT || std::chrono::steady_clock::now() >= give_up) break;
    }
    if (s == NATS_OK) {
      (void)msg.release();  // cnats took it (and cleared `sent`)
      continue;
    }
    // Not sent: its outcome is known to be "not stored" only if cnats never let it out, which
    // the caller cannot tell apart from a lost answer — unknown, like the rest that follow.
    const std::string why = error_text(s);
    std::lock_guard lock(p.mu);
    for (std::size_t j = i; j < messages.size(); ++j) {
      if (!p.outcomes[j]) {
        p.outcomes[j] = UnknownOutcome{"not sent: " + why};
        --p.unanswered;
      }
    }
    break;
  }
  std::unique_lock lock(p.mu);
  // cnats answers every message sent (with a timeout after its MaxWait); the bound here only
  // guards against an answer that never comes.
  const auto deadline = std::chrono::steady_clock::now() + 2 * max_wait + std::chrono::seconds(1);
  if (!p.answered.wait_until(lock, deadline, [&] { return p.unanswered == 0; })) {
    for (auto& o : p.outcomes) {
      if (!o) o = UnknownOutcome{"no acknowledgement"};
    }
  }
  std::vector<PublishOutcome> out;
  out.reserve(messages.size());
  for (auto& o : p.outcomes) out.push_back(std::move(*o));
  p.ids.clear();
  return out;
}

}  // namespace eventsd::nats

// Core NATS request/reply over cnats: a request that waits for its reply, and Service, which
// serves a subject until destroyed — its handler runs on cnats' threads, and its destruction
// waits until the handler has returned for the last time.
#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "cluster/nats.h"
#include "cluster/nats_link.h"

namespace eventsd::nats {

using namespace detail;

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

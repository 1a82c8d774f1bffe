// POST /hooks/{source_id}: an e-mail provider's event webhook (docs/integrations.md). No bearer
// token: the provider's own scheme authenticates the delivery (hook_signatures.h), the source's
// tenant gets the events through the ordinary write path (IngestEvents: validation, idempotency by
// event id, suppression, scores and streams as for POST /v1/events), and the answer is 2xx only
// once they are durable, so the provider retries anything else.
//
// Cheap before dear: the per-source limiter (429), the body's size (413), the headers and the
// timestamp window, then the signature. An unknown source id goes through the same steps with a
// stand-in of the kind the request looks like and is refused as a bad signature is: same status,
// same body, same work (docs/security.md, "Provider webhooks").
#include <boost/beast/http/field.hpp>

#include <iterator>

#include "common/json_writer.h"
#include "http/api/hook_activity.h"
#include "http/api/router.h"
#include "http/api/submit.h"
#include "http/api/view.h"
#include "http/dialects/hook_signatures.h"
#include "http/dialects/provider_events.h"
#include "http/dialects/routes.h"
#include "projections/contacts.h"

namespace eventsd::http {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kSendgridSignature = "X-Twilio-Email-Event-Webhook-Signature";
constexpr std::string_view kSendgridTimestamp = "X-Twilio-Email-Event-Webhook-Timestamp";

std::string_view header(const RawRequest& raw, std::string_view name) {
  auto it = raw.find(name);
  return it == raw.end() ? std::string_view() : std::string_view(it->value());
}

std::string_view header(const RawRequest& raw, bhttp::field name) {
  auto it = raw.find(name);
  return it == raw.end() ? std::string_view() : std::string_view(it->value());
}

ApiError refusal_error(HookRefusal why, unsigned retry_after = 0) {
  switch (why) {
    case HookRefusal::too_large:
      return ApiError(413, "payload_too_large", "a delivery is at most " + std::to_string(kMaxHookBody) + " bytes");
    case HookRefusal::stale_timestamp:
      return ApiError(401, "stale_timestamp", "the delivery's timestamp is more than 5 minutes from the server's clock");
    case HookRefusal::replayed:
      return ApiError(401, "replayed", "this signature token was accepted already");
    case HookRefusal::rate_limited: {
      ApiError e(429, "rate_limited", "too many deliveries to this source; retry later");
      e.retry_after = retry_after;
      return e;
    }
    case HookRefusal::invalid_payload:
    case HookRefusal::invalid_signature:
      break;
  }
  return ApiError(401, "invalid_signature", "the delivery is not signed for this source");
}

// The kind of source the request looks like, by its headers alone (SendGrid's signature headers,
// else an Authorization header for Postmark, else Mailgun, whose signature is in the body), with
// a key no signature verifies under. An unknown id is checked as this, and so is a source of
// another kind than the request looks like: whether an id exists, or what kind it is, shows in
// no answer and in no amount of work.
SourceInfo stand_in(const RawRequest& raw, const std::string& id) {
  SourceInfo s;
  s.id = id;
  if (!header(raw, kSendgridSignature).empty()) {
    s.kind = SourceKind::sendgrid;
    s.verification_key = kDummySendgridKey;
  } else if (!header(raw, bhttp::field::authorization).empty()) {
    s.kind = SourceKind::postmark;
    s.username = "\n";  // no user name of a request
    s.password_sha256 = kDummyPasswordSha256;
  } else {
    s.kind = SourceKind::mailgun;
    s.signing_key = kDummyMailgunKey;
  }
  return s;
}

struct Checked {
  ProviderEvents events;
  std::string mailgun_token;  // claimed for this delivery (HookActivity::claim)
};

// A Mailgun token claimed for the delivery at hand: given back unless the delivery was accepted
// (a refusal, a failed write, an exception), so that the provider's retry is no replay.
class TokenClaim {
 public:
  TokenClaim(HookActivity& hooks, std::string id, std::string token)
      : hooks_(hooks), id_(std::move(id)), token_(std::move(token)) {}
  TokenClaim(const TokenClaim&) = delete;
  TokenClaim& operator=(const TokenClaim&) = delete;
  ~TokenClaim() {
    if (!kept_ && !token_.empty()) hooks_.release(id_, token_);
  }
  void keep() { kept_ = true; }

 private:
  HookActivity& hooks_;
  std::string id_, token_;
  bool kept_ = false;
};
using CheckResult = std::variant<Checked, HookRefusal, FieldError>;

// Each event whose contact is its recipient's address goes to the contact whose profile has that
// e-mail (PUT /v1/contacts/{id}), as the read models know it now; the event keeps the address as
// its contact when none does. The contact so found is written into the event, so the log, not a
// later read, says whose event it is.
void find_recipients(const App& app, const std::string& tenant, ProviderEvents& delivery) {
  TenantView view(app, tenant);
  const auto tno = view.tno();
  if (!tno) return;
  for (std::size_t i = 0; i < delivery.events.size(); ++i) {
    EventInput& e = delivery.events[i];
    if (!delivery.by_recipient[i] || !e.email) continue;
    if (auto contact = contact_with_email(view.read(), *tno, *e.email)) e.contact_id = std::move(*contact);
  }
}

std::optional<HookRefusal> window_refusal(std::string_view timestamp, const Request& req, Millis window) {
  const auto within = timestamp_within(timestamp, req.received_at, window);
  if (!within) return HookRefusal::invalid_signature;
  if (!*within) return HookRefusal::stale_timestamp;
  return std::nullopt;
}

// The delivery checked as `source` says (`verify` false: a node of the cluster checked it already)
// and read into events. A Mailgun token is claimed on every node the delivery reaches, the one
// that writes the tenant's events included.
CheckResult check(const SourceInfo& source, const Request& req, HookActivity& hooks, bool verify) {
  const std::string_view body = req.raw.body();
  switch (source.kind) {
    case SourceKind::sendgrid: {
      if (verify) {
        const std::string_view signature = header(req.raw, kSendgridSignature);
        const std::string_view timestamp = header(req.raw, kSendgridTimestamp);
        if (signature.empty() || timestamp.empty()) return HookRefusal::invalid_signature;
        if (auto why = window_refusal(timestamp, req, hooks.options().window)) return *why;
        if (!verify_sendgrid(source.verification_key, signature, timestamp, body)) return HookRefusal::invalid_signature;
      }
      auto parsed = parse_sendgrid(body);
      if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
      return Checked{std::get<ProviderEvents>(std::move(parsed)), {}};
    }
    case SourceKind::mailgun: {
      // The signature is inside the body: it is read first (bounded by kMaxHookBody).
      auto parsed = parse_mailgun(body);
      if (auto* e = std::get_if<FieldError>(&parsed)) return verify ? CheckResult(HookRefusal::invalid_signature) : *e;
      auto& delivery = std::get<MailgunDelivery>(parsed);
      const auto& sig = delivery.signature;
      if (verify) {
        if (auto why = window_refusal(sig.timestamp, req, hooks.options().window)) return *why;
        if (!verify_mailgun(source.signing_key, sig.timestamp, sig.token, sig.signature)) {
          return HookRefusal::invalid_signature;
        }
      }
      if (!hooks.claim(source.id, sig.token)) return HookRefusal::replayed;
      return Checked{std::move(delivery.events), sig.token};
    }
    case SourceKind::postmark: {
      if (verify && !verify_basic_auth(header(req.raw, bhttp::field::authorization), source.username,
                                       source.password_sha256)) {
        return HookRefusal::invalid_signature;
      }
      auto parsed = parse_postmark(body);
      if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
      return Checked{std::get<ProviderEvents>(std::move(parsed)), {}};
    }
  }
  return HookRefusal::invalid_signature;
}

asio::awaitable<Reply> receive(App& app, Request& req) {
  req.query.only({});
  const std::string& id = req.captures.at(0);
  // An id no source could have costs nothing more (and takes no limiter bucket): the format is public.
  if (!app.sources || !app.hooks || !is_valid_source_id(id)) throw refusal_error(HookRefusal::invalid_signature);
  HookActivity& hooks = *app.hooks;
  std::optional<SourceInfo> source;
  {
    auto snapshot = app.store.read();
    source = app.sources->find(snapshot.txn(), id);
  }
  const bool verify = !req.forwarded_by;
  if (!verify && (!source || source->tenant != req.principal.tenant)) {
    throw refusal_error(HookRefusal::invalid_signature);  // deleted while forwarded: now unknown
  }
  auto refuse = [&](HookRefusal why, unsigned retry_after = 0) {
    if (source) hooks.refused(source->tenant, id, why);
    return refusal_error(why, retry_after);
  };
  if (verify) {
    const std::string_view tenant = source ? std::string_view(source->tenant) : std::string_view();
    if (auto wait = hooks.take(tenant, id)) throw refuse(HookRefusal::rate_limited, *wait);
    if (req.raw.body().size() > kMaxHookBody) throw refuse(HookRefusal::too_large);
  }
  SourceInfo shape = stand_in(req.raw, id);
  const bool known = source && (!verify || source->kind == shape.kind);
  CheckResult result = check(known ? *source : shape, req, hooks, verify);
  if (auto* why = std::get_if<HookRefusal>(&result)) throw refuse(*why);
  if (!known) throw refuse(HookRefusal::invalid_signature);  // (no stand-in key verifies)
  if (auto* e = std::get_if<FieldError>(&result)) {
    hooks.refused(source->tenant, id, HookRefusal::invalid_payload);
    throw bad_param(e->field, e->message);
  }
  Checked& delivery = std::get<Checked>(result);
  TokenClaim claimed(hooks, id, delivery.mailgun_token);
  req.principal = Principal{"source:" + id, source->tenant};

  // Cluster mode: the node that decides the tenant's writes ingests (it trusts this node's check).
  if (verify && app.routing && !app.routing->decides(source->tenant)) {
    Response answer = co_await app.routing->forward(req);
    if (answer.result_int() < 300) claimed.keep();
    co_return Reply(std::move(answer));
  }

  // The events, kMaxBatch to a command (one command each: each durable before the next is sent).
  Writer& writer = app.engine(source->tenant).writer;
  auto& events = delivery.events.events;
  find_recipients(app, source->tenant, delivery.events);
  std::uint64_t created = 0, duplicates = 0, position = 0;
  for (std::size_t at = 0; at < events.size(); at += kMaxBatch) {
    const std::size_t end = std::min(events.size(), at + kMaxBatch);
    IngestEvents ingest;
    ingest.events.assign(std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(at)),
                         std::make_move_iterator(events.begin() + static_cast<std::ptrdiff_t>(end)));
    ingest.received_at = req.received_at;
    const std::size_t share = req.raw.body().size() * (end - at) / events.size();
    // A named command, not a temporary inside the co_await (GCC 12 destroys such temporaries
    // twice; http/api/submit.h does the same).
    Command command{source->tenant, req.principal.token_id, std::move(ingest)};
    Outcome result = co_await async_submit(writer, std::move(command), share);
    auto outcome = expect<Ingested>(std::move(result));
    for (bool c : outcome.created) ++(c ? created : duplicates);
    position = outcome.position;
  }
  claimed.keep();
  hooks.accepted(source->tenant, id, req.received_at, created, duplicates, delivery.events.skipped);

  std::string body;
  JsonWriter w(body);
  w.begin_object().key("status").string("success").key("created").number(created);
  w.key("duplicates").number(duplicates).key("skipped").number(static_cast<std::uint64_t>(delivery.events.skipped));
  w.key("position").number(position).end_object();
  co_return Reply(json_response(200, std::move(body)));
}

}  // namespace

void add_hook_routes(Router& r) { r.add(bhttp::verb::post, "/hooks/{source_id}", Dialect::native, "", receive); }

}  // namespace eventsd::http

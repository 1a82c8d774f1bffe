#include "http/dialects/provider_events.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "common/encoding.h"
#include "common/hash.h"
#include "common/json_reader.h"

namespace eventsd::http {

namespace {

// What one provider event says, before the native rules read it.
struct Mapped {
  std::string id;
  std::string event;
  std::optional<std::string> contact_id;  // the sender's own
  std::optional<std::string> email;
  std::optional<std::string> url;
  std::optional<std::string> timestamp;   // ISO 8601
  JsonValue::Object data;
};

std::optional<std::string> string_of(const JsonValue* v) {
  if (!v || !v->is_string() || v->get_string().empty()) return std::nullopt;
  return std::string(v->get_string());
}

// A number or a numeric string of Unix seconds (Mailgun sends 1521472262.908181) as ISO 8601.
std::optional<std::string> iso_of_seconds(const JsonValue* v) {
  if (!v) return std::nullopt;
  std::optional<double> s;
  if (v->is_number()) s = v->to_double();
  if (!s || !std::isfinite(*s) || *s < 0 || *s > static_cast<double>(kMaxMillis) / 1000) return std::nullopt;
  return format_iso8601_ms(static_cast<Millis>(std::llround(*s * 1000)));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  return s;
}

std::string event_id(std::string_view provider, std::string_view raw) {
  std::string id = std::string(provider) + ":" + std::string(raw);
  if (is_valid_event_id(id)) return id;
  return std::string(provider) + "-sha256:" + to_hex(sha256(raw));
}

// The native event object of `m`, validated as POST /v1/events would; nullopt when refused.
std::optional<EventInput> to_native(Mapped m, std::string_view provider, std::size_t index) {
  JsonValue::Object o;
  o.emplace_back("id", JsonValue::string(event_id(provider, m.id)));
  o.emplace_back("event", JsonValue::string(std::move(m.event)));
  std::optional<std::string> contact = m.contact_id ? m.contact_id : (m.email ? std::optional(lower(*m.email)) : std::nullopt);
  if (contact) o.emplace_back("contact_id", JsonValue::string(std::move(*contact)));
  if (m.email) o.emplace_back("email", JsonValue::string(std::move(*m.email)));
  if (m.url) o.emplace_back("url", JsonValue::string(std::move(*m.url)));
  if (m.timestamp) o.emplace_back("timestamp", JsonValue::string(std::move(*m.timestamp)));
  m.data.insert(m.data.begin(), {"provider", JsonValue::string(std::string(provider))});
  o.emplace_back("data", JsonValue::object(std::move(m.data)));
  auto parsed = parse_event(JsonValue::object(std::move(o)), kNativeFieldNames, "events[" + std::to_string(index) + "]");
  if (auto* e = std::get_if<EventInput>(&parsed)) return std::move(*e);
  return std::nullopt;
}

void add(ProviderEvents& out, std::optional<Mapped> m, std::string_view provider) {
  std::optional<EventInput> e;
  const bool by_recipient = m && !m->contact_id;
  if (m && !m->id.empty()) e = to_native(std::move(*m), provider, out.events.size() + out.skipped);
  if (e) {
    out.by_recipient.push_back(by_recipient && e->email);
    out.events.push_back(std::move(*e));
  } else {
    ++out.skipped;
  }
}

void put(JsonValue::Object& data, std::string_view key, const JsonValue* v) {
  if (v && (v->is_string() || v->is_number())) data.emplace_back(std::string(key), *v);
}

std::variant<JsonValue, FieldError> parse_body(std::string_view body) {
  auto parsed = parse_json(body);
  if (auto* e = std::get_if<JsonError>(&parsed)) return FieldError{e->field.empty() ? "body" : e->field, e->message};
  return std::get<JsonValue>(std::move(parsed));
}

// --- SendGrid (docs/integrations.md): event, email, timestamp, sg_event_id, sg_message_id, url,
// reason, type; the sender's custom_args as top-level keys.
std::optional<Mapped> sendgrid_event(const JsonValue& e) {
  if (!e.is_object()) return std::nullopt;
  auto kind = string_of(e.find("event"));
  if (!kind) return std::nullopt;
  Mapped m;
  if (*kind == "open") m.event = "email_open";
  else if (*kind == "click") m.event = "email_click";
  else if (*kind == "delivered") m.event = "email_delivered";
  else if (*kind == "bounce") m.event = "email_bounce";
  else if (*kind == "spamreport") m.event = "email_spam_report";
  else if (*kind == "unsubscribe" || *kind == "group_unsubscribe") m.event = "email_unsubscribe";
  else return std::nullopt;
  m.id = string_of(e.find("sg_event_id")).value_or("");
  m.email = string_of(e.find("email"));
  m.contact_id = string_of(e.find("contact_id"));
  m.timestamp = iso_of_seconds(e.find("timestamp"));
  if (*kind == "click") m.url = string_of(e.find("url"));
  m.data.emplace_back("provider_event", JsonValue::string(*kind));
  put(m.data, "message_id", e.find("sg_message_id"));
  if (*kind == "bounce") {
    put(m.data, "bounce_type", e.find("type"));
    put(m.data, "reason", e.find("reason"));
  }
  return m;
}

// --- Mailgun: event-data {event, id, timestamp, recipient, url, severity, reason,
// user-variables, message.headers.message-id}.
std::optional<Mapped> mailgun_event(const JsonValue& e) {
  if (!e.is_object()) return std::nullopt;
  auto kind = string_of(e.find("event"));
  if (!kind) return std::nullopt;
  Mapped m;
  if (*kind == "opened") m.event = "email_open";
  else if (*kind == "clicked") m.event = "email_click";
  else if (*kind == "delivered") m.event = "email_delivered";
  else if (*kind == "failed" && string_of(e.find("severity")) == "permanent") m.event = "email_bounce";
  else if (*kind == "complained") m.event = "email_spam_report";
  else if (*kind == "unsubscribed") m.event = "email_unsubscribe";
  else return std::nullopt;
  m.id = string_of(e.find("id")).value_or("");
  m.email = string_of(e.find("recipient"));
  if (const JsonValue* vars = e.find("user-variables")) m.contact_id = string_of(vars->find("contact_id"));
  m.timestamp = iso_of_seconds(e.find("timestamp"));
  if (*kind == "clicked") m.url = string_of(e.find("url"));
  m.data.emplace_back("provider_event", JsonValue::string(*kind));
  if (const JsonValue* message = e.find("message")) {
    if (const JsonValue* headers = message->find("headers")) put(m.data, "message_id", headers->find("message-id"));
  }
  if (m.event == "email_bounce") put(m.data, "reason", e.find("reason"));
  return m;
}

// --- Postmark: RecordType, MessageID, Recipient or Email, the record's time, OriginalLink,
// Metadata, Type (bounces), SuppressSending (subscription changes).
std::optional<Mapped> postmark_event(const JsonValue& e) {
  auto type = string_of(e.find("RecordType"));
  auto message = string_of(e.find("MessageID"));
  if (!type || !message) return std::nullopt;
  Mapped m;
  const char* at = nullptr;
  bool unique_by_time = false;  // a message is opened, clicked, (un)subscribed more than once
  if (*type == "Open") m.event = "email_open", at = "ReceivedAt", unique_by_time = true;
  else if (*type == "Click") m.event = "email_click", at = "ReceivedAt", unique_by_time = true;
  else if (*type == "Delivery") m.event = "email_delivered", at = "DeliveredAt";
  else if (*type == "Bounce") m.event = "email_bounce", at = "BouncedAt";
  else if (*type == "SpamComplaint") m.event = "email_spam_report", at = "BouncedAt";
  else if (*type == "SubscriptionChange" && e.find("SuppressSending") && e.find("SuppressSending")->is_bool() &&
           e.find("SuppressSending")->get_bool()) {
    m.event = "email_unsubscribe", at = "ChangedAt", unique_by_time = true;
  } else {
    return std::nullopt;
  }
  m.timestamp = string_of(e.find(at));
  m.email = string_of(e.find("Recipient"));
  if (!m.email) m.email = string_of(e.find("Email"));
  if (const JsonValue* meta = e.find("Metadata")) m.contact_id = string_of(meta->find("contact_id"));
  if (*type == "Click") m.url = string_of(e.find("OriginalLink"));
  m.id = lower(*type) + ":" + *message;
  if (unique_by_time) {
    const std::string what = m.timestamp.value_or("") + "\n" + m.url.value_or("");
    m.id += ":" + to_hex(sha256(what)).substr(0, 16);
  }
  m.data.emplace_back("provider_event", JsonValue::string(*type));
  m.data.emplace_back("message_id", JsonValue::string(*message));
  if (*type == "Bounce") put(m.data, "bounce_type", e.find("Type"));
  return m;
}

}  // namespace

std::variant<ProviderEvents, FieldError> parse_sendgrid(std::string_view body) {
  auto parsed = parse_body(body);
  if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
  const JsonValue& v = std::get<JsonValue>(parsed);
  if (!v.is_array()) return FieldError{"body", "a SendGrid delivery is a JSON array of events"};
  ProviderEvents out;
  for (const auto& e : v.items()) add(out, sendgrid_event(e), "sendgrid");
  return out;
}

std::variant<MailgunDelivery, FieldError> parse_mailgun(std::string_view body) {
  auto parsed = parse_body(body);
  if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
  const JsonValue& v = std::get<JsonValue>(parsed);
  const JsonValue* sig = v.find("signature");
  const JsonValue* data = v.find("event-data");
  if (!sig || !data || !data->is_object()) {
    return FieldError{"body", "a Mailgun delivery is {\"signature\": {...}, \"event-data\": {...}}"};
  }
  MailgunDelivery out;
  const JsonValue* ts = sig->find("timestamp");
  auto token = string_of(sig->find("token"));
  auto signature = string_of(sig->find("signature"));
  // Mailgun sends the timestamp as a string; a number is taken as its text.
  std::optional<std::string> timestamp = ts && ts->is_number() ? std::optional(std::string(ts->number_text()))
                                                               : string_of(ts);
  if (!timestamp || !token || !signature || token->size() > 256 || signature->size() > 256 || timestamp->size() > 32) {
    return FieldError{"signature", "signature must hold the strings timestamp, token and signature"};
  }
  out.signature = {std::move(*timestamp), std::move(*token), std::move(*signature)};
  add(out.events, mailgun_event(*data), "mailgun");
  return out;
}

std::variant<ProviderEvents, FieldError> parse_postmark(std::string_view body) {
  auto parsed = parse_body(body);
  if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
  const JsonValue& v = std::get<JsonValue>(parsed);
  if (!v.is_object() || !v.find("RecordType")) return FieldError{"body", "a Postmark delivery is an object with a RecordType"};
  ProviderEvents out;
  add(out, postmark_event(v), "postmark");
  return out;
}

}  // namespace eventsd::http

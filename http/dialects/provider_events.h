// E-mail providers' webhook payloads as native events (docs/integrations.md, "What each provider
// event becomes"): SendGrid's Event Webhook (a JSON array of events), Mailgun's webhooks (one
// event with its signature object), Postmark's webhooks (one event per request).
//
// Each provider event of a kind docs/integrations.md maps becomes a native event object, which is
// then validated by the native rules (commands/event_input.h), so an event from a provider is
// valid or not as the same event sent to POST /v1/events would be:
//   opens email_open, clicks email_click (with `url`), deliveries email_delivered, bounces
//   email_bounce, spam reports email_spam_report, unsubscribes email_unsubscribe.
// - id: the provider's event id ("sendgrid:" + sg_event_id, "mailgun:" + event-data.id,
//   "postmark:" + the record type, MessageID and, for opens, clicks and subscription changes,
//   their time and link), so a provider's retry is an idempotent duplicate; an id the native rules
//   would refuse (characters, length) is stored as "<provider>-sha256:" + its SHA-256 in hex.
// - contact_id: a `contact_id` the sender attached (SendGrid custom_args, Mailgun user-variables,
//   Postmark Metadata), else the recipient's address, lower-cased (by_recipient: the route then
//   looks for the contact whose profile has that e-mail); `email`: the recipient.
// - data: {"provider", "provider_event", "message_id"} and, for bounces, "bounce_type"/"reason".
// Events of other kinds (SendGrid processed, deferred, dropped; Mailgun accepted, temporary
// failures; Postmark resubscriptions, inbound) are skipped and counted, as are events the native
// rules refuse (a retry would never make them valid): `skipped`.
//
// A payload that is not the provider's shape at all is a FieldError (400). Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "commands/event_input.h"

namespace eventsd::http {

struct ProviderEvents {
  std::vector<EventInput> events;  // in the provider's order
  // Per event: its contact is the recipient's address, the sender having attached no contact_id;
  // hooks.cpp gives it to the contact whose profile has that e-mail, if there is one.
  std::vector<bool> by_recipient;
  std::size_t skipped = 0;
};

struct MailgunSignature {
  std::string timestamp, token, signature;
};
struct MailgunDelivery {
  MailgunSignature signature;
  ProviderEvents events;
};

// SendGrid: a JSON array of event objects (any number; the caller submits them kMaxBatch at a time).
std::variant<ProviderEvents, FieldError> parse_sendgrid(std::string_view body);
// Mailgun: {"signature":{"timestamp","token","signature"},"event-data":{...}}.
std::variant<MailgunDelivery, FieldError> parse_mailgun(std::string_view body);
// Postmark: one event object with a RecordType.
std::variant<ProviderEvents, FieldError> parse_postmark(std::string_view body);

}  // namespace eventsd::http

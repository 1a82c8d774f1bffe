// An event as the property tests model it: written by hand into an EventsIngested fact (every
// decision of the writer already made), then expected back from the read models.
#pragma once

#include <optional>
#include <string>

#include "common/time.h"
#include "eventlog/log.capnp.h"

namespace eventsd::test {

struct LoggedEvent {
  std::string id, type;
  std::optional<std::string> contact, domain, url, session_id, utm_source, campaign;
  Millis ts = 0;
  Millis created_at = 0;
  std::string data = "{}";
  bool suppressed = false;  // (as inorganic)
};

// Writes `m` into the fact's event `e`: the fields it has, and its suppression.
inline void set_event(schema::Event::Builder e, const LoggedEvent& m) {
  e.setId(m.id);
  e.setEvent(m.type);
  if (m.contact) e.setContactId(*m.contact);
  if (m.domain) e.setDomain(*m.domain);
  if (m.url) e.setUrl(*m.url);
  if (m.session_id) e.setSessionId(*m.session_id);
  if (m.utm_source) e.setUtmSource(*m.utm_source);
  if (m.campaign) e.setCampaignId(*m.campaign);
  e.setTimestamp(m.ts);
  e.setCreatedAt(m.created_at);
  e.setData(m.data);
  if (m.suppressed) e.setSuppression(schema::SuppressionReason::INORGANIC);
}

}  // namespace eventsd::test

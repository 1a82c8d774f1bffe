#include "http/api/render.h"

namespace eventsd::http {

Response with_position(Response response, std::uint64_t position) {
  response.set("Eventsd-Position", std::to_string(position));
  return response;
}

const Enricher::Enrichment& Enricher::lookup(const std::string& contact_id) {
  auto it = cache_.find(contact_id);
  if (it != cache_.end()) return it->second;
  Enrichment e;
  e.profile = find_profile(view_, tno_, contact_id);
  if (e.profile) e.company = company_of(view_, tno_, *e.profile);
  return cache_.emplace(contact_id, std::move(e)).first->second;
}

void write_native_event(JsonWriter& w, const StoredEvent& e, Enricher* enricher, bool full) {
  w.begin_object();
  w.key("_id").string(e.id);
  w.key("event").string(e.event);
  w.key("timestamp").string(format_iso8601_ms(e.timestamp));
  w.key("url").optional_string(e.url);
  w.key("domain").optional_string(e.domain);
  w.key("data").raw(e.data);
  w.key("internal_contact_id").optional_string(e.contact_id);
  const Enricher::Enrichment* found = nullptr;
  if (enricher && e.contact_id) found = &enricher->lookup(*e.contact_id);
  w.key("contact");
  if (found && found->profile) {
    w.begin_object();
    w.key("_id").string(*e.contact_id);
    w.key("firstname").optional_string(found->profile->firstname);
    w.key("lastname").optional_string(found->profile->lastname);
    w.end_object();
  } else {
    w.null();
  }
  w.key("company");
  if (found && found->company) {
    w.begin_object();
    w.key("_id").string(found->company->id);
    w.key("name").optional_string(found->company->name);
    w.key("domain").optional_string(found->company->domain);
    w.end_object();
  } else {
    w.null();
  }
  w.key("suppression_reason").optional_string(suppression_name(e.suppression));
  w.key("original_contact_id").optional_string(e.original_contact_id);
  if (full) {
    w.key("created_at").string(format_iso8601_ms(e.created_at));
    w.key("referrer").optional_string(e.referrer);
    w.key("session_id").optional_string(e.session_id);
    w.key("utm_source").optional_string(e.utm_source);
    w.key("utm_medium").optional_string(e.utm_medium);
    w.key("utm_campaign").optional_string(e.utm_campaign);
    w.key("campaign_id").optional_string(e.campaign_id);
    w.key("step_id").optional_string(e.step_id);
    w.key("email").optional_string(e.email);
  }
  w.end_object();
}

void write_summary_event(JsonWriter& w, const StoredEvent& e) {
  w.begin_object();
  w.key("id").string(e.id);
  w.key("event").string(e.event);
  w.key("timestamp").string(format_iso8601_ms(e.timestamp));
  w.key("url").optional_string(e.url);
  w.key("contact_id").optional_string(e.contact_id);
  w.end_object();
}

void write_lead(JsonWriter& w, const Lead& lead) {
  auto time = [&](const std::optional<Millis>& t) {
    if (t) w.string(format_iso8601_ms(*t));
    else w.null();
  };
  w.begin_object();
  w.key("id").string(lead.id);
  w.key("firstname").optional_string(lead.profile.firstname);
  w.key("lastname").optional_string(lead.profile.lastname);
  w.key("email").optional_string(lead.profile.email);
  w.key("score").number(lead.score);
  w.key("event_count").number(lead.event_count);
  w.key("session_count").number(lead.session_count);
  w.key("first_seen");
  time(lead.first_seen);
  w.key("last_seen");
  time(lead.last_seen);
  w.key("merged_from").begin_array();
  for (const auto& id : lead.merged_from) w.string(id);
  w.end_array();
  w.end_object();
}

}  // namespace eventsd::http

#include "projections/fact_json.h"

#include "common/encoding.h"
#include "common/time.h"
#include "projections/rules.h"
#include "projections/stored_event.h"

namespace eventsd {

const char* fact_kind(schema::LogRecord::Fact::Which which) {
  using F = schema::LogRecord::Fact;
  switch (which) {
    case F::EVENTS_INGESTED: return "events_ingested";
    case F::EVENTS_DELETED: return "events_deleted";
    case F::CONTACT_UPSERTED: return "contact_upserted";
    case F::RETENTION_APPLIED: return "retention_applied";
    case F::CONTACTS_MERGED: return "contacts_merged";
    case F::SUPPRESSION_RULES_SET: return "suppression_rules_set";
    case F::SCORING_RULES_SET: return "scoring_rules_set";
  }
  return "unknown";
}

namespace {

void text_field(JsonWriter& w, const char* key, bool has, capnp::Text::Reader t) {
  if (has) w.key(key).string(text_view(t));
}

void id_list(JsonWriter& w, const char* key, capnp::List<capnp::Text>::Reader ids) {
  w.key(key).begin_array();
  for (auto id : ids) w.string(text_view(id));
  w.end_array();
}

}  // namespace

void write_event_json(JsonWriter& w, schema::Event::Reader e) {
  w.begin_object();
  w.key("id").string(text_view(e.getId()));
  w.key("event").string(text_view(e.getEvent()));
  text_field(w, "contact_id", e.hasContactId(), e.getContactId());
  text_field(w, "original_contact_id", e.hasOriginalContactId(), e.getOriginalContactId());
  w.key("timestamp").string(format_iso8601_ms(e.getTimestamp()));
  w.key("created_at").string(format_iso8601_ms(e.getCreatedAt()));
  text_field(w, "url", e.hasUrl(), e.getUrl());
  text_field(w, "referrer", e.hasReferrer(), e.getReferrer());
  text_field(w, "domain", e.hasDomain(), e.getDomain());
  text_field(w, "session_id", e.hasSessionId(), e.getSessionId());
  text_field(w, "utm_source", e.hasUtmSource(), e.getUtmSource());
  text_field(w, "utm_medium", e.hasUtmMedium(), e.getUtmMedium());
  text_field(w, "utm_campaign", e.hasUtmCampaign(), e.getUtmCampaign());
  text_field(w, "campaign_id", e.hasCampaignId(), e.getCampaignId());
  text_field(w, "step_id", e.hasStepId(), e.getStepId());
  text_field(w, "email", e.hasEmail(), e.getEmail());
  w.key("data").raw(e.hasData() ? text_view(e.getData()) : std::string_view("{}"));
  if (auto reason = suppression_name(e.getSuppression())) w.key("suppression_reason").string(*reason);
  if (e.getPoints() != 0) w.key("points").number(static_cast<std::int64_t>(e.getPoints()));
  w.end_object();
}

void write_record_json(JsonWriter& w, std::uint64_t position, schema::LogRecord::Reader r,
                       const std::function<bool(schema::Event::Reader)>& keep_event) {
  using F = schema::LogRecord::Fact;
  const auto fact = r.getFact();
  w.begin_object();
  w.key("position").number(position);
  w.key("recorded_at").string(format_iso8601_ms(r.getRecordedAt()));
  w.key("tenant").string(text_view(r.getTenant()));
  w.key("actor").string(text_view(r.getActor()));
  w.key("kind").string(fact_kind(fact.which()));
  const auto prev = r.getPrevHash();
  w.key("prev_hash").string(to_hex(std::string_view(reinterpret_cast<const char*>(prev.begin()), prev.size())));
  w.key("fact").begin_object();
  switch (fact.which()) {
    case F::EVENTS_INGESTED: {
      const auto f = fact.getEventsIngested();
      w.key("events").begin_array();
      for (auto e : f.getEvents()) {
        if (!keep_event || keep_event(e)) write_event_json(w, e);
      }
      w.end_array();
      if (keep_event) w.key("events_in_record").number(static_cast<std::uint64_t>(f.getEvents().size()));
      if (f.hasRegrouped()) id_list(w, "regrouped", f.getRegrouped());
      break;
    }
    case F::EVENTS_DELETED:
      id_list(w, "ids", fact.getEventsDeleted().getIds());
      break;
    case F::CONTACT_UPSERTED: {
      const auto f = fact.getContactUpserted();
      w.key("contact_id").string(text_view(f.getContactId()));
      text_field(w, "firstname", f.hasFirstname(), f.getFirstname());
      text_field(w, "lastname", f.hasLastname(), f.getLastname());
      text_field(w, "email", f.hasEmail(), f.getEmail());
      if (f.hasCompanyName() || f.hasCompanyDomain()) {
        w.key("company").begin_object();
        text_field(w, "name", f.hasCompanyName(), f.getCompanyName());
        text_field(w, "domain", f.hasCompanyDomain(), f.getCompanyDomain());
        w.end_object();
      }
      break;
    }
    case F::RETENTION_APPLIED: {
      const auto f = fact.getRetentionApplied();
      w.key("campaign_cutoff").string(format_iso8601_ms(f.getCampaignCutoff()));
      w.key("purged").number(f.getPurged());
      break;
    }
    case F::CONTACTS_MERGED: {
      const auto f = fact.getContactsMerged();
      w.key("from").string(text_view(f.getFrom()));
      w.key("into").string(text_view(f.getInto()));
      id_list(w, "moved", f.getMoved());
      break;
    }
    case F::SUPPRESSION_RULES_SET: {
      const std::string rules = suppression_rules_json(fact.getSuppressionRulesSet());
      w.key("rules").raw(std::string_view(rules).substr(9, rules.size() - 10));  // {"rules":[...]}
      break;
    }
    case F::SCORING_RULES_SET: {
      const std::string rules = scoring_rules_json(fact.getScoringRulesSet());
      w.key("rules").raw(std::string_view(rules).substr(9, rules.size() - 10));
      break;
    }
  }
  w.end_object().end_object();
}

}  // namespace eventsd

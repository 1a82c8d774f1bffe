#include "projections/scanned_event.h"

#include "projections/data_fields.h"

namespace eventsd {

namespace {

// An event field, read from the log's copy of the event.
FieldValue doc_value(const EventView& view, const FieldRef& f) {
  const auto& e = view.base;
  switch (f.field) {
    case Field::event: return FieldValue::text(text_view(e.getEvent()));
    case Field::contact_id: return FieldValue::text(view.contact_id());
    case Field::url: return FieldValue::text(text_if(e.hasUrl(), e.getUrl()));
    case Field::path: {
      auto url = text_if(e.hasUrl(), e.getUrl());
      return FieldValue::text(url ? url_path(*url) : std::nullopt);
    }
    case Field::referrer: return FieldValue::text(text_if(e.hasReferrer(), e.getReferrer()));
    case Field::domain: return FieldValue::text(text_if(e.hasDomain(), e.getDomain()));
    case Field::session_id: return FieldValue::text(text_if(e.hasSessionId(), e.getSessionId()));
    case Field::utm_source: return FieldValue::text(text_if(e.hasUtmSource(), e.getUtmSource()));
    case Field::utm_medium: return FieldValue::text(text_if(e.hasUtmMedium(), e.getUtmMedium()));
    case Field::utm_campaign: return FieldValue::text(text_if(e.hasUtmCampaign(), e.getUtmCampaign()));
    case Field::campaign_id: return FieldValue::text(text_if(e.hasCampaignId(), e.getCampaignId()));
    case Field::step_id: return FieldValue::text(text_if(e.hasStepId(), e.getStepId()));
    case Field::email: return FieldValue::text(text_if(e.hasEmail(), e.getEmail()));
    default: return {};
  }
}

}  // namespace

FieldValue ScannedEvent::value(const FieldRef& f) {
  if (key_value_ && f.field == key_field_) return FieldValue::text(key_value_);
  if (entry_event_ && f.field == Field::event) return FieldValue::text(entry_event_);
  if (is_profile_field(f.field)) {
    const FieldValue contact = value(FieldRef{Field::contact_id, {}});
    if (!profiles_ || contact.kind != FieldValue::Kind::text) return {};
    return profiles_->value(f.field, contact.v);
  }
  if (!doc_) return {};
  if (f.field != Field::data) return doc_value(*doc_, f);
  if (!data_keys_) return {};
  if (!data_read_) {
    const auto& e = doc_->base;
    find_data_members(e.hasData() ? text_view(e.getData()) : std::string_view("{}"), *data_keys_, *data_values_);
    data_read_ = true;
  }
  for (std::size_t i = 0; i < data_keys_->size(); ++i) {
    if ((*data_keys_)[i] == f.key) {
      const auto& v = (*data_values_)[i];
      return v ? FieldValue{FieldValue::Kind::json, *v} : FieldValue{};
    }
  }
  return {};
}

}  // namespace eventsd

#include "projections/stored_event.h"

namespace eventsd {

namespace {
constexpr char kOverlayVersion = 0x02;
constexpr std::uint8_t kMoved = 1, kResuppressed = 2;
}  // namespace

EventOverlay EventOverlay::decode(std::string_view value) {
  EventOverlay o;
  if (value.size() < 2 || value[0] != kOverlayVersion) return o;
  const auto bits = static_cast<std::uint8_t>(value[1]);
  value.remove_prefix(2);
  if (bits & kResuppressed) {
    o.suppression = static_cast<schema::SuppressionReason>(value[0]);
    value.remove_prefix(1);
  }
  if (bits & kMoved) {
    const auto end = value.find('\0');
    o.contact_id = std::string(value.substr(0, end));
    value.remove_prefix(end + 1);
    o.original_contact_id = std::string(value.substr(0, value.find('\0')));
  }
  return o;
}

std::string EventOverlay::encode() const {
  const std::uint8_t bits = (contact_id ? kMoved : 0) | (suppression ? kResuppressed : 0);
  if (bits == 0) return {};
  std::string out{kOverlayVersion, static_cast<char>(bits)};
  if (suppression) out.push_back(static_cast<char>(*suppression));
  if (contact_id) {
    out.append(*contact_id);
    out.push_back('\0');
    out.append(original_contact_id.value_or(""));
    out.push_back('\0');
  }
  return out;
}

std::optional<std::string_view> EventView::contact_id() const {
  if (overlay.contact_id) return std::string_view(*overlay.contact_id);
  if (!base.hasContactId()) return std::nullopt;
  return text_view(base.getContactId());
}

std::optional<std::string_view> EventView::original_contact_id() const {
  if (overlay.original_contact_id) return std::string_view(*overlay.original_contact_id);
  if (!base.hasOriginalContactId()) return std::nullopt;
  return text_view(base.getOriginalContactId());
}

namespace {
std::optional<std::string> text(bool has, capnp::Text::Reader t) {
  if (!has) return std::nullopt;
  return std::string(t.cStr(), t.size());
}
std::optional<std::string> copy(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}
}  // namespace

StoredEvent to_stored_event(std::uint64_t seq, const EventView& view) {
  const auto& e = view.base;
  StoredEvent out;
  out.seq = seq;
  out.id = e.getId().cStr();
  out.event = e.getEvent().cStr();
  out.contact_id = copy(view.contact_id());
  out.original_contact_id = copy(view.original_contact_id());
  out.timestamp = e.getTimestamp();
  out.created_at = e.getCreatedAt();
  out.url = text(e.hasUrl(), e.getUrl());
  out.referrer = text(e.hasReferrer(), e.getReferrer());
  out.domain = text(e.hasDomain(), e.getDomain());
  out.session_id = text(e.hasSessionId(), e.getSessionId());
  out.utm_source = text(e.hasUtmSource(), e.getUtmSource());
  out.utm_medium = text(e.hasUtmMedium(), e.getUtmMedium());
  out.utm_campaign = text(e.hasUtmCampaign(), e.getUtmCampaign());
  out.campaign_id = text(e.hasCampaignId(), e.getCampaignId());
  out.step_id = text(e.hasStepId(), e.getStepId());
  out.email = text(e.hasEmail(), e.getEmail());
  if (e.hasData()) out.data = e.getData().cStr();
  out.suppression = view.suppression();
  out.points = e.getPoints();
  return out;
}

std::optional<std::string_view> suppression_name(schema::SuppressionReason reason) {
  switch (reason) {
    case schema::SuppressionReason::INORGANIC: return "inorganic";
    case schema::SuppressionReason::INORGANIC_GROUPED: return "inorganic_grouped";
    case schema::SuppressionReason::METADATA_FILTER: return "metadata_filter";
    default: return std::nullopt;
  }
}

}  // namespace eventsd

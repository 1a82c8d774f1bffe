#include "eventlog/log_events.h"

namespace eventsd {

std::optional<schema::Event::Reader> LogEvents::get(std::uint64_t seq) {
  const std::uint64_t position = seq_position(seq);
  if (!view_ || position != position_) {
    std::string_view bytes;
    if (!log_.read(txn_, position, bytes)) return std::nullopt;
    events_.reset();
    // In a write transaction the caller writes between reads: decode from a copy.
    view_.emplace(bytes, !txn_.read_only());
    position_ = position;
    auto fact = view_->root().getFact();
    if (fact.isEventsIngested()) events_ = fact.getEventsIngested().getEvents();
  }
  if (!events_ || seq_index(seq) >= events_->size()) return std::nullopt;
  return (*events_)[seq_index(seq)];
}

namespace {
std::optional<std::string> text(bool has, capnp::Text::Reader t) {
  if (!has) return std::nullopt;
  return std::string(t.cStr(), t.size());
}
}  // namespace

StoredEvent copy_event(std::uint64_t seq, schema::Event::Reader e) {
  StoredEvent out;
  out.seq = seq;
  out.id = e.getId().cStr();
  out.event = e.getEvent().cStr();
  out.contact_id = text(e.hasContactId(), e.getContactId());
  out.original_contact_id = text(e.hasOriginalContactId(), e.getOriginalContactId());
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
  out.suppression = e.getSuppression();
  out.points = e.getPoints();
  return out;
}

}  // namespace eventsd

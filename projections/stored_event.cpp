#include "projections/stored_event.h"

#include <capnp/serialize.h>
#include <kj/io.h>

#include <cstring>
#include <stdexcept>


namespace eventsd {

namespace {
std::optional<std::string> text(bool has, capnp::Text::Reader t) {
  if (!has) return std::nullopt;
  return std::string(t.cStr(), t.size());
}
}  // namespace

StoredEvent to_stored_event(std::uint64_t seq, schema::Event::Reader e) {
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
  return out;
}

EventMessage::EventMessage(std::string_view bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0) throw std::runtime_error("rm_events: bad value");
  words_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words_.begin(), bytes.data(), bytes.size());
  reader_.emplace(words_.asPtr());
}

StoredEvent decode_stored_event(std::uint64_t seq, std::string_view bytes) {
  EventMessage message(bytes);
  return to_stored_event(seq, message.get());
}

std::string encode_event(schema::Event::Reader event) {
  capnp::MallocMessageBuilder message(256);
  message.setRoot(event);
  const std::size_t size = capnp::computeSerializedSizeInWords(message) * sizeof(capnp::word);
  std::string out(size, '\0');
  kj::ArrayOutputStream stream(kj::arrayPtr(reinterpret_cast<kj::byte*>(out.data()), size));
  capnp::writeMessage(stream, message);
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

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

StoredEvent to_stored_event(std::uint64_t seq, const EventView& view) {
  StoredEvent out = copy_event(seq, view.base);
  auto copy = [](std::optional<std::string_view> v) {
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  out.contact_id = copy(view.contact_id());
  out.original_contact_id = copy(view.original_contact_id());
  out.suppression = view.suppression();
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

#include "commands/suppression.h"

#include "common/json_reader.h"

#include <algorithm>
#include <cctype>

namespace eventsd {

namespace {

bool icontains(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         }) != hay.end();
}

// Events of this command sort after every recorded one.
constexpr std::uint64_t kPendingSeqBase = std::uint64_t{1} << 62;

}  // namespace

bool SuppressionDecider::metadata_matches(std::string_view data) const {
  if (rules_.metadata.empty()) return false;
  auto parsed = parse_json(data);
  const JsonValue* obj = std::get_if<JsonValue>(&parsed);
  if (!obj || !obj->is_object()) return false;
  for (const auto& rule : rules_.metadata) {
    const JsonValue* v = obj->find(rule.key);
    if (!v) continue;
    if (rule.equals) {
      auto equals = parse_json(*rule.equals);
      if (auto* want = std::get_if<JsonValue>(&equals); want && same_value(*v, *want)) return true;
    }
    if (rule.contains && v->is_string() && icontains(v->get_string(), *rule.contains)) return true;
  }
  return false;
}

std::optional<Reason> SuppressionDecider::velocity(const VelocityRule& rule, const IncomingEvent& e) {
  if (!e.contact || (rule.event && *rule.event != e.event)) return std::nullopt;
  const Millis from = e.timestamp - static_cast<Millis>(rule.window_seconds) * 1000 + 1;
  // The window's events: (timestamp, seq, unsuppressed, pending index or -1).
  struct Member {
    Millis ts;
    std::uint64_t seq;
    bool unsuppressed;
    std::ptrdiff_t pending;
  };
  std::vector<Member> window;
  std::uint64_t count = 1;  // the incoming event
  if (auto it = pending_.find(*e.contact); it != pending_.end()) {
    for (const auto& p : it->second) {
      if (p.timestamp >= from && p.timestamp <= e.timestamp && (!rule.event || p.event == *rule.event)) {
        ++count;
        window.push_back({p.timestamp, kPendingSeqBase + p.index, reasons_[p.index] == Reason::NONE,
                          static_cast<std::ptrdiff_t>(p.index)});
      }
    }
  }
  // Recorded events in timestamp order, only as far as the rule needs: until it fires, or, with
  // keep_first, the burst's head (the earliest max_events + 1 recorded events of the window). Work
  // per event is bounded by the rule, not by how busy the contact is.
  std::uint64_t scanned = 0, skipped = 0;
  history_(*e.contact, from, e.timestamp, [&](const WindowEvent& w) {
    // A rule for one event name steps over the contact's other events; a bound keeps a contact
    // with a flood of other events from making each event cost that flood.
    if (rule.event && w.event != *rule.event) return ++skipped < kMaxSkipped;
    ++count;
    ++scanned;
    if (!rule.keep_first) return count <= rule.max_events;
    window.push_back({w.timestamp, w.seq, !w.suppressed, -1});
    return scanned <= rule.max_events;
  });
  if (count <= rule.max_events) return std::nullopt;
  if (!rule.keep_first) return Reason::INORGANIC;

  // The burst's first event (earliest timestamp, then earliest recorded) stays; the others of the
  // window that are still unsuppressed join the incoming event as inorganic_grouped.
  const Member incoming{e.timestamp, kPendingSeqBase + reasons_.size(), true, -2};
  Member first = incoming;
  for (const auto& m : window) {
    if (std::tie(m.ts, m.seq) < std::tie(first.ts, first.seq)) first = m;
  }
  for (const auto& m : window) {
    if (!m.unsuppressed || (m.ts == first.ts && m.seq == first.seq)) continue;
    if (m.pending >= 0) {
      reasons_[static_cast<std::size_t>(m.pending)] = Reason::INORGANIC_GROUPED;
    } else {
      regrouped_.push_back(m.seq);
    }
  }
  return first.pending == -2 ? Reason::NONE : Reason::INORGANIC_GROUPED;
}

Reason SuppressionDecider::decide(const IncomingEvent& e) {
  Reason reason = Reason::NONE;
  if (metadata_matches(e.data)) {
    reason = Reason::METADATA_FILTER;
  } else {
    for (const auto& rule : rules_.velocity) {
      if (auto r = velocity(rule, e)) {
        reason = *r;
        break;
      }
    }
  }
  if (e.contact) pending_[std::string(*e.contact)].push_back({std::string(e.event), e.timestamp, reasons_.size()});
  reasons_.push_back(reason);
  return reason;
}

}  // namespace eventsd

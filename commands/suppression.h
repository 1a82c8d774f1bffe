// The suppression decider (seed 002, docs/suppression.md): which reason, if any, an
// incoming event gets, decided once at ingest and recorded in its fact.
//
// Rules are evaluated in order, metadata rules first; the first rule that fires gives the reason.
//  * metadata: the event's data has the key, and its value equals the rule's JSON value (numbers
//    by value: 1, 1.0 and 1e0 are equal; see same_value in common/json_reader.h), or is a
//    string containing the rule's text (ASCII case-insensitive) -> metadata_filter.
//  * velocity (identified events only): the events of the same contact (and, if the rule names
//    one, of the same event name) whose timestamps fall in the window (t - window, t] are counted,
//    suppressed ones included, plus the incoming event. More than max_events ->
//      without keep_first: inorganic;
//      with keep_first: inorganic_grouped, and every other unsuppressed event of the burst's
//      head — the earliest max_events + 1 events of the window — except the earliest (the burst's
//      first) is regrouped to inorganic_grouped too.
//
// The decider sees the contact's recorded events through a History callback and the events
// decided earlier in the same command through record(); it never changes a recorded fact, it
// reports the recorded events a burst regroups so the new fact can carry them.
//
// Thread safety: a SuppressionDecider lives for one command on the writer thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <map>
#include <vector>

#include "eventlog/log.capnp.h"
#include "common/time.h"
#include "commands/rules.h"

namespace eventsd {

using Reason = schema::SuppressionReason;

// A recorded event of a contact, as its index entry tells it.
struct WindowEvent {
  Millis timestamp;
  std::uint64_t seq;  // orders events recorded at the same millisecond
  bool suppressed;
  std::string_view event;
};

// Calls visit for every recorded event of `contact` with from <= timestamp <= to, in timestamp
// order, until visit returns false.
using History = std::function<void(std::string_view contact, Millis from, Millis to,
                                   const std::function<bool(const WindowEvent&)>& visit)>;

struct IncomingEvent {
  std::string_view event;
  std::optional<std::string_view> contact;  // resolved through aliases
  Millis timestamp;
  std::string_view data;  // the JSON object
};

class SuppressionDecider {
 public:
  // A rule for one event name steps over at most this many of the contact's other events per
  // decision (docs/suppression.md, "Cost").
  static constexpr std::uint64_t kMaxSkipped = 10'000;

  SuppressionDecider(const SuppressionRules& rules, History history)
      : rules_(rules), history_(std::move(history)) {}

  // The reason for the next event of the command. Recorded events a keep_first burst regroups
  // are added to regrouped() (by seq); earlier events of this command it regroups have their
  // reasons changed in reasons().
  Reason decide(const IncomingEvent& e);

  const std::vector<std::uint64_t>& regrouped() const { return regrouped_; }
  // The reasons of this command's events so far, in order (a later burst may change them).
  const std::vector<Reason>& reasons() const { return reasons_; }

 private:
  struct Pending {  // an event of this command, already decided
    std::string event;
    Millis timestamp;
    std::size_t index;
  };
  bool metadata_matches(std::string_view data) const;
  std::optional<Reason> velocity(const VelocityRule& rule, const IncomingEvent& e);

  const SuppressionRules& rules_;
  History history_;
  std::map<std::string, std::vector<Pending>, std::less<>> pending_;  // by contact
  std::vector<Reason> reasons_;
  std::vector<std::uint64_t> regrouped_;
};

}  // namespace eventsd

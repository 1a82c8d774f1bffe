// Expiry without comparing clocks (docs/cluster.md, "Ownership"): a key-value entry as this node
// last read it, and since when, on this node's own Clock, it has had that revision. Whoever holds
// a lease or a registry entry rewrites it every renew interval (compare-and-set on its revision),
// so one whose revision has not changed for a lease time has expired; no two nodes' clocks are
// ever compared. Time during which the bucket could not be read does not count: the first read
// after a failed one ("blind") sees every revision anew.
// Thread safety: a value; whoever shares one guards it.
#pragma once

#include <chrono>
#include <optional>
#include <utility>

#include "cluster/nats.h"
#include "common/clock.h"

namespace eventsd {

struct SeenEntry {
  std::optional<nats::KvEntry> entry;  // nullopt: missing
  Clock::Steady::time_point since{};   // since when `entry` (or its absence) has been seen

  // What a read at `now` found. `since` moves to `now` unless this is the revision (or absence)
  // seen before and the previous read did not fail (`blind`).
  void saw(std::optional<nats::KvEntry> found, Clock::Steady::time_point now, bool blind) {
    const bool same = entry.has_value() == found.has_value() && (!found || entry->revision == found->revision);
    if (!same || blind) since = now;
    entry = std::move(found);
  }

  // Present, and unchanged for `lease` at `now`.
  bool expired(Clock::Steady::time_point now, std::chrono::milliseconds lease) const {
    return entry && now - since >= lease;
  }
};

}  // namespace eventsd

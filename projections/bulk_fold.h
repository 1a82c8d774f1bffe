// The bulk fold: how a rebuild fills an empty generation fast. It gives the read models that the
// record-by-record fold (ReadModels::apply) gives for the same log prefix — byte for byte, which
// tests/projections/bulk_fold_test.cpp checks on random logs — but writes each database once, in key order:
//
//   1. one pass over the log collects, in memory, every event's index entries (into groups that
//      are already in key order, or nearly) and the counters, and notes the records that do more
//      than insert their own events (deletes, merges, regroupings, retention, rules, contacts):
//      bulk_collect.h;
//   2. each database is written with MDB_APPEND, in key order: no search, full pages:
//      bulk_write.h;
//   3. the noted records are applied through ReadModels::apply_mutations, in log order. Each of
//      them touches only events it names, so applying it with every event of the prefix already in
//      place gives what the record-by-record fold gives.
//
// An id used again after its event was deleted or purged is put in step 3, at its record's place,
// so that the records between find the earlier event by it. A prefix that holds a retention record
// of the first format (which purged by age, not by name) is not folded in bulk (the caller folds it
// record by record). Memory is bounded: the prefix ends after `max_events` events (about 150 bytes
// each); the caller folds the rest record by record.
//
// Thread safety: the caller is the generation's only writer, on one thread.
#pragma once

#include <cstdint>
#include <functional>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/fold.h"
#include "projections/generations.h"

namespace eventsd {

struct BulkLimits {
  std::uint64_t max_events = 16'000'000;
  std::uint64_t until = UINT64_MAX;  // the last position to fold
};

// Folds a prefix of the log into the empty generation `generation`. Returns what it folded
// (records == 0: nothing, the caller folds record by record from the start). `progress` is called
// now and then with (position reached, events so far).
Folded bulk_fold(Generation& generation, const Store& log_store, const Log& log, const BulkLimits& limits = {},
                 const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

}  // namespace eventsd

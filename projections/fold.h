// Folding the log into a read-model generation: one bounded transaction at a time, through the
// same ReadModels::apply whether the projector follows the log live or a rebuild starts from
// position 1.
#pragma once

#include <cstdint>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/generations.h"

namespace eventsd {

struct FoldLimits {
  std::uint64_t records = 1'000;
  std::uint64_t events = 20'000;
  std::uint64_t until = UINT64_MAX;  // the last position to fold
};

struct Folded {
  std::uint64_t checkpoint = 0;  // the generation's checkpoint after the step
  std::uint64_t records = 0;     // records folded by the step
  std::uint64_t events = 0;      // events they ingested
  bool at_end = false;           // the log snapshot held nothing more (or `until` was reached)
};

// Folds the records after the generation's checkpoint, as far as the limits allow, in one write
// transaction of the generation, reading the log in one snapshot of `log_store`. The caller is
// the generation's only writer.
Folded fold_step(Generation& generation, const Store& log_store, const Log& log, const FoldLimits& limits);

}  // namespace eventsd

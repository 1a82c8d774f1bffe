// Bringing read models up to the log: applies every record after the checkpoint through the same
// ReadModels::apply the writer uses, in large transactions. The server runs it at start-up (read
// models added by a newer version fill themselves in); replay runs it after dropping them.
#pragma once

#include <cstdint>
#include <functional>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/read_models.h"

namespace eventsd {

// Called after each committed transaction with (checkpoint, log head position, events applied
// so far).
using Progress = std::function<void(std::uint64_t, std::uint64_t, std::uint64_t)>;

// Returns the number of records applied. The caller must be the only writer of the store.
// Read models of an outdated layout are emptied first (ReadModels::reset), so they are rebuilt
// from position 1.
std::uint64_t catch_up(Store& store, const Log& log, const ReadModels& models,
                       const Progress& progress = {});

}  // namespace eventsd

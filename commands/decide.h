// Deciders: turn one command into the fact that records it, against the state the read models
// hold in the writer's transaction. Everything that depends on time or state (ids, duplicates,
// which ids a delete found) is decided here and written into the fact, so that applying the fact
// later, or replaying it, never decides again.
#pragma once

#include <capnp/message.h>

#include "commands/command.h"
#include "commands/ids.h"
#include "eventlog/lmdb.h"
#include "projections/read_models.h"

namespace eventsd {

struct DecideContext {
  const lmdb::Txn& txn;
  const ReadModels& models;
  Millis now;
  IdGenerator& ids;
};

struct Decision {
  Outcome outcome;
  // True when `message` now holds a LogRecord to append. False for rejections and for commands
  // that change nothing (an ingest of only duplicates, a delete of only unknown ids).
  bool record = false;
};

Decision decide(const Command& command, DecideContext& context, capnp::MessageBuilder& message);

}  // namespace eventsd

// Appends one record of tenant "t" to the log and folds it into `models` in the same
// transaction: the property tests' way of writing facts by hand, without the writer.
#pragma once

#include <capnp/message.h>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/read_models.h"

namespace eventsd::test {

// `fill(record)` sets the record's fact.
template <class Fill>
void append_record(Store& store, Log& log, const ReadModels& models, Fill fill) {
  LogHead head;
  store.write([&](lmdb::Txn& txn) {
    Log::Appender appender(log, txn);
    capnp::MallocMessageBuilder message;
    auto record = message.initRoot<schema::LogRecord>();
    record.setTenant("t");
    fill(record);
    const auto position = appender.append(message);
    models.apply(txn, txn, position, message.getRoot<schema::LogRecord>().asReader());
    head = appender.head();
  });
  log.advance(head);
}

}  // namespace eventsd::test

// Writing log records by hand in tests, without the writer: one record per transaction, its fact
// set by the test, optionally folded into read models in the same transaction.
#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <string_view>

#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/read_models.h"

namespace eventsd::test {

// Appends one record of `tenant`; `fill(record)` sets its fact (and anything else), then
// `also(txn, position, record)` runs in the same transaction. Returns the record's position.
template <class Fill, class Also>
std::uint64_t append_record(Store& store, Log& log, std::string_view tenant, Fill fill, Also also) {
  std::uint64_t position = 0;
  LogHead head;
  store.write([&](lmdb::Txn& txn) {
    Log::Appender appender(log, txn);
    capnp::MallocMessageBuilder message;
    auto record = message.initRoot<schema::LogRecord>();
    record.setTenant(std::string(tenant));
    fill(record);
    position = appender.append(message);
    also(txn, position, message.getRoot<schema::LogRecord>().asReader());
    head = appender.head();
  });
  log.advance(head);
  return position;
}

// The property tests' way of writing facts: a record of tenant "t", folded into `models`.
template <class Fill>
void append_record(Store& store, Log& log, const ReadModels& models, Fill fill) {
  append_record(store, log, "t", fill, [&](lmdb::Txn& txn, std::uint64_t position, schema::LogRecord::Reader record) {
    models.apply(txn, txn, position, record);
  });
}

}  // namespace eventsd::test

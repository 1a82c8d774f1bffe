// Log records read back from damaged bytes, as `eventctl verify` and `eventctl dump` meet them
// (eventlog/log.h RecordView and verify_chain, projections/fact_json.h), and as the read side
// decodes events (to_stored_event).
//
// Input: a byte choosing what to do, a byte choosing a record, then bytes:
//   0  decode the bytes alone as a record, and write it as dump does;
//   1  replace a record of a real log with the bytes;   2  XOR a record with the bytes;
//   3  append the bytes after the last record;           4  delete a record.
// A damaged log is checked in a write transaction that is then aborted. Damage is either an
// exception (dump and verify report it) or clean output; never a crash or undefined behaviour;
// and verify_chain reports every change of the log's bytes.
#include <kj/exception.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "eventlog/keys.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/fact_json.h"
#include "projections/stored_event.h"
#include "tests/fuzz/checks.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace eventsd;
using fuzz::check;

// Everything dump writes, and what the read side copies out of each event.
void read_record(std::uint64_t position, std::string_view bytes) {
  RecordView view(bytes);
  const auto record = view.root();
  std::string line;
  JsonWriter w(line);
  write_record_json(w, position, record);
  if (record.getFact().isEventsIngested()) {
    std::uint32_t index = 0;
    for (auto e : record.getFact().getEventsIngested().getEvents()) {
      (void)to_stored_event(event_seq(position, index++ & 0xFFF), EventView{e, {}});
    }
  }
}

template <class F>
void expect_clean_or_exception(F&& f) {
  try {
    f();
  } catch (const std::exception&) {
  } catch (const kj::Exception&) {
  }
}

// A real log: the history of a LiveApp, copied into a directory of its own.
struct DamagedLog {
  DamagedLog() {
    {
      fuzz::LiveApp live;
      lmdb::check(mdb_env_copy2(live.app().store.env().get(), dir.path().c_str(), 0), "mdb_env_copy2");
    }
    store.emplace(dir.path());
    log.emplace(*store);
  }
  test::TempDir dir;
  std::optional<Store> store;
  std::optional<Log> log;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned mode = data[0] % 5;
  const std::string_view bytes = fuzz::as_text(data + 2, size - 2);
  if (mode == 0) {
    expect_clean_or_exception([&] { read_record(1, bytes); });
    return 0;
  }
  static DamagedLog damaged;
  const Log& log = *damaged.log;
  const std::uint64_t head = log.head().position;
  const std::uint64_t k = data[1] % head + 1;
  auto txn = damaged.store->begin_write();
  std::string_view original;
  check(log.read(txn, k, original), "the log lost a record");
  std::string changed(original);
  const std::uint64_t key = mode == 3 ? head + 1 : k;
  switch (mode) {
    case 1: changed = bytes; break;
    case 2:
      for (std::size_t i = 0; i < changed.size() && i < bytes.size(); ++i) changed[i] ^= bytes[i];
      break;
    case 3: changed = bytes; break;
    default: break;
  }
  const bool damage = mode == 3 || mode == 4 || changed != original;
  if (mode == 4) {
    txn.del(log.db(), keys::native_u64(key));
  } else {
    txn.put(log.db(), keys::native_u64(key), changed);
  }

  const ChainCheck chain = verify_chain(txn, log);
  check(!damage || !chain.ok, "verify_chain does not see a damaged record",
        "mode " + std::to_string(mode) + " at " + std::to_string(key));
  // dump: every record in order, until the first that cannot be read.
  expect_clean_or_exception([&] {
    LogCursor cursor(txn, log);
    for (bool ok = cursor.seek(1); ok; ok = cursor.next()) read_record(cursor.position(), cursor.bytes());
  });
  txn.abort();
  return 0;
}

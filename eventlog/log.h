// The append-only event log (format: docs/log-format.md).
//
// One LMDB database, "log": key = position (u64, native byte order, MDB_INTEGERKEY, written
// with MDB_APPEND so positions are dense and increasing from 1), value = one Cap'n Proto
// LogRecord message in the standard unpacked stream framing. Each record carries the SHA-256 of
// the previous record's value bytes; "log_meta" keeps the position and hash of the last record,
// so a change to any record, the last one included, is detectable. Records are never rewritten.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "eventlog/lmdb.h"
#include "eventlog/log.capnp.h"
#include "common/hash.h"
#include "eventlog/store.h"

namespace eventsd {

struct LogHead {
  std::uint64_t position = 0;  // 0: the log is empty
  Sha256 hash{};               // hash of the record at `position`
  bool operator==(const LogHead&) const = default;
};

// A decoded view of one stored record. Keeps an aligned copy when LMDB hands out an address
// that is not word-aligned (Cap'n Proto reads words in place). The bytes must outlive the view
// only when they were aligned; otherwise the view owns its copy.
class RecordView {
 public:
  // `copy`: decode from a private copy of the bytes rather than from the map (for a record that
  // must stay readable across writes in a write transaction).
  explicit RecordView(std::string_view bytes, bool copy = false);
  schema::LogRecord::Reader root() { return reader_->getRoot<schema::LogRecord>(); }

 private:
  kj::Array<capnp::word> copy_;
  std::optional<capnp::FlatArrayMessageReader> reader_;
};

// Thread safety: one thread appends (the writer: Appender, advance(), head()); any thread may
// read committed_position() at any time and read records in its own transactions.
class Log {
 public:
  explicit Log(Store& store);

  MDB_dbi db() const { return log_db_; }

  // The head as last committed through this object (loaded from the log at construction).
  // The appending thread's only.
  const LogHead& head() const { return head_; }
  // The position of that head, for any thread.
  std::uint64_t committed_position() const { return committed_.load(std::memory_order_acquire); }

  // Appends records inside the caller's write transaction. Positions follow the committed head;
  // after the transaction commits, hand the appender's head to Log::advance. If the transaction
  // is aborted, drop the appender instead.
  class Appender {
   public:
    Appender(Log& log, lmdb::Txn& txn) : log_(log), txn_(txn), head_(log.head_) {}
    // Fills in the record's prevHash, stores it (as one segment), and returns its position.
    std::uint64_t append(capnp::MessageBuilder& message);
    // Stores a record received whole, byte for byte (a replica of a log appended elsewhere: cluster
    // mode). Throws std::runtime_error unless it decodes as a LogRecord whose prevHash is the
    // head's hash: a replica never stores a record that does not continue its chain.
    std::uint64_t append_copy(std::string_view bytes);
    const LogHead& head() const { return head_; }

   private:
    Log& log_;
    lmdb::Txn& txn_;
    LogHead head_;
  };

  void advance(const LogHead& committed) {
    head_ = committed;
    committed_.store(committed.position, std::memory_order_release);
  }

  // The head recorded in log_meta (what verify compares the last record against).
  std::optional<LogHead> recorded_head(const lmdb::Txn& txn) const;
  // Throws when the last record is not the recorded head: records were lost or altered at the
  // tail, and appending would overwrite the evidence. (`eventctl verify` checks the whole chain.)
  void check_tail(const lmdb::Txn& txn) const;

  // Reads the record at `position`; false if there is none.
  bool read(const lmdb::Txn& txn, std::uint64_t position, std::string_view& bytes) const;

 private:
  friend class Appender;
  MDB_dbi log_db_;
  MDB_dbi meta_db_;
  LogHead head_;
  std::atomic<std::uint64_t> committed_{0};
};

// Iterates the log in position order inside one transaction.
class LogCursor {
 public:
  LogCursor(const lmdb::Txn& txn, const Log& log) : cursor_(txn, log.db()) {}
  // Positions on the first record at or after `position`.
  bool seek(std::uint64_t position);
  bool next() { return cursor_.next(); }
  bool last() { return cursor_.last(); }
  std::uint64_t position() const;
  std::string_view bytes() const { return cursor_.value(); }

 private:
  lmdb::Cursor cursor_;
};

// Walks the whole chain: positions dense from 1, every record decodable, every prevHash equal
// to the hash of the record before it, and the last record equal to the recorded head.
struct ChainCheck {
  bool ok = true;
  std::uint64_t records = 0;
  std::uint64_t bad_position = 0;  // first position found wrong, when !ok
  std::string problem;
};
ChainCheck verify_chain(const lmdb::Txn& txn, const Log& log);

}  // namespace eventsd

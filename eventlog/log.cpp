#include "eventlog/log.h"

#include <kj/io.h>

#include <optional>

#include <cstring>
#include <limits>
#include <stdexcept>

#include "eventlog/keys.h"

namespace eventsd {

namespace {
constexpr std::string_view kHeadKey = "head";
constexpr std::uint64_t kTraversalsPerWord = 64;

std::string encode_head(const LogHead& head) {
  std::string out(keys::native_u64(head.position));
  out.append(as_view(head.hash));
  return out;
}
}  // namespace

RecordView::RecordView(std::string_view bytes, bool copy) {
  if (bytes.size() % sizeof(capnp::word) != 0) throw std::runtime_error("log record: bad length");
  kj::ArrayPtr<const capnp::word> words;
  if (!copy && reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
    words = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()),
                         bytes.size() / sizeof(capnp::word));
  } else {
    copy_ = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(copy_.begin(), bytes.data(), bytes.size());
    words = copy_.asPtr();
  }
  // A reader may visit a record's parts several times, and every visit counts; but a damaged
  // record must not make a reader walk billions of empty list elements (a list of zero-sized
  // structs is counted one word per element): the limit is a multiple of the record's size.
  capnp::ReaderOptions options;
  options.traversalLimitInWords = words.size() * kTraversalsPerWord;
  reader_.emplace(words, options);
}

Log::Log(Store& store) : log_db_(store.db("log", MDB_INTEGERKEY)), meta_db_(store.db("log_meta")) {
  auto reader = store.read();
  lmdb::Cursor cursor(reader.txn(), log_db_);
  if (cursor.last()) {
    head_.position = keys::load_native_u64(cursor.key());
    head_.hash = sha256(cursor.value());
  }
  committed_.store(head_.position, std::memory_order_release);
}

std::uint64_t Log::Appender::append(capnp::MessageBuilder& message) {
  auto root = message.getRoot<schema::LogRecord>();
  if (head_.position == 0) {
    root.initPrevHash(0);
  } else {
    root.setPrevHash(kj::arrayPtr(head_.hash.data(), head_.hash.size()));
  }
  const std::uint64_t position = head_.position + 1;
  // A record is one segment: readers then find every part of it without a segment table (a large
  // batch built in several segments is copied into one).
  std::optional<capnp::MallocMessageBuilder> flat;
  capnp::MessageBuilder* written = &message;
  if (message.getSegmentsForOutput().size() > 1) {
    flat.emplace(capnp::computeSerializedSizeInWords(message) + 8);
    flat->setRoot(root.asReader());
    written = &*flat;
  }
  const std::size_t size = capnp::computeSerializedSizeInWords(*written) * sizeof(capnp::word);
  auto value = txn_.reserve(log_.log_db_, keys::native_u64(position), size, MDB_APPEND);
  kj::ArrayOutputStream out(kj::arrayPtr(reinterpret_cast<kj::byte*>(value.data()), size));
  capnp::writeMessage(out, *written);
  if (out.getArray().size() != size) throw std::logic_error("log record size mismatch");
  head_ = {position, sha256({value.data(), size})};
  txn_.put(log_.meta_db_, kHeadKey, encode_head(head_));
  return position;
}

std::uint64_t Log::Appender::append_copy(std::string_view bytes) {
  {
    RecordView view(bytes, true);
    const auto prev = view.root().getPrevHash();
    const bool continues = head_.position == 0
                               ? prev.size() == 0
                               : prev.size() == head_.hash.size() &&
                                     std::memcmp(prev.begin(), head_.hash.data(), prev.size()) == 0;
    if (!continues) {
      throw std::runtime_error("a replicated record does not continue the log's chain at position " +
                               std::to_string(head_.position + 1));
    }
  }
  const std::uint64_t position = head_.position + 1;
  txn_.put(log_.log_db_, keys::native_u64(position), bytes, MDB_APPEND);
  head_ = {position, sha256(bytes)};
  txn_.put(log_.meta_db_, kHeadKey, encode_head(head_));
  return position;
}

std::optional<LogHead> Log::recorded_head(const lmdb::Txn& txn) const {
  std::string_view v;
  if (!txn.get(meta_db_, kHeadKey, v) || v.size() != 8 + 32) return std::nullopt;
  LogHead head;
  head.position = keys::load_native_u64(v.substr(0, 8));
  std::memcpy(head.hash.data(), v.data() + 8, 32);
  return head;
}

bool Log::read(const lmdb::Txn& txn, std::uint64_t position, std::string_view& bytes) const {
  return txn.get(log_db_, keys::native_u64(position), bytes);
}

ChainCheck verify_chain(const lmdb::Txn& txn, const Log& log) {
  ChainCheck check;
  auto fail = [&](std::uint64_t position, std::string problem) {
    check.ok = false;
    check.bad_position = position;
    check.problem = std::move(problem);
    return check;
  };
  LogCursor cursor(txn, log);
  LogHead previous;
  for (bool ok = cursor.seek(1); ok; ok = cursor.next()) {
    const std::uint64_t position = cursor.position();
    if (position != previous.position + 1) return fail(position, "positions are not dense");
    try {
      RecordView view(cursor.bytes());
      auto prev = view.root().getPrevHash();
      const bool matches = previous.position == 0
                               ? prev.size() == 0
                               : prev.size() == 32 &&
                                     std::memcmp(prev.begin(), previous.hash.data(), 32) == 0;
      if (!matches) return fail(position, "prevHash does not match the previous record");
    } catch (const std::exception& e) {
      return fail(position, std::string("undecodable record: ") + e.what());
    } catch (const kj::Exception& e) {
      return fail(position, "undecodable record: " + std::string(e.getDescription().cStr()));
    }
    previous = {position, sha256(cursor.bytes())};
    ++check.records;
  }
  auto recorded = log.recorded_head(txn);
  if (previous.position == 0 && !recorded) return check;
  if (!recorded || !(*recorded == previous)) {
    return fail(previous.position, "last record does not match the recorded head");
  }
  return check;
}

void Log::check_tail(const lmdb::Txn& txn) const {
  const auto recorded = recorded_head(txn);
  if (!recorded && head_.position == 0) return;
  if (recorded && *recorded == head_) return;
  throw std::runtime_error(
      "the log's last record (position " + std::to_string(head_.position) + ") is not its recorded head" +
      (recorded ? " (position " + std::to_string(recorded->position) + ")" : std::string(" (none)")) +
      ": records were lost or altered at the tail; refusing to write (run eventctl verify, restore a backup)");
}

bool LogCursor::seek(std::uint64_t position) { return cursor_.seek(keys::native_u64(position)); }

std::uint64_t LogCursor::position() const { return keys::load_native_u64(cursor_.key()); }

}  // namespace eventsd

#include "cluster/system_log.h"

#include <iostream>
#include <stdexcept>

namespace eventsd {

namespace {

constexpr unsigned char kFormat = 1;
constexpr unsigned char kPut = 0, kDelete = 1;
constexpr std::string_view kAppliedKey = "applied_seq";

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

// Reads a message front to back; every read is bounded by what is left.
struct Reader {
  std::string_view rest;

  [[noreturn]] static void bad(const char* what) {
    throw std::invalid_argument(std::string("not a system log message: ") + what);
  }
  unsigned char byte() {
    if (rest.empty()) bad("truncated");
    const auto b = static_cast<unsigned char>(rest.front());
    rest.remove_prefix(1);
    return b;
  }
  // Only the one encoding put_varint writes is read, so a message has one meaning and one form:
  // no trailing zero groups, no bits beyond 64.
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const unsigned char b = byte();
      if (shift == 63 && b > 1) bad("varint beyond 64 bits");
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift > 0) bad("varint not in its shortest form");
        return v;
      }
    }
    bad("varint too long");
  }
  std::string bytes() {
    const std::uint64_t n = varint();
    if (n > rest.size()) bad("truncated");
    std::string out(rest.substr(0, n));
    rest.remove_prefix(n);
    return out;
  }
};

std::string seq_bytes(std::uint64_t seq) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, seq >>= 8) out[i] = static_cast<char>(seq & 0xff);
  return out;
}

std::string context_of(std::uint64_t seq) { return "system#" + std::to_string(seq); }

std::uint64_t seq_of(std::string_view bytes) {
  if (bytes.size() != 8) throw std::runtime_error("system_log: a stored sequence is not 8 bytes");
  std::uint64_t seq = 0;
  for (char c : bytes) seq = seq << 8 | static_cast<unsigned char>(c);
  return seq;
}

}  // namespace

std::string encode_system_changes(const std::vector<SystemChange>& changes) {
  std::string out;
  out.push_back(static_cast<char>(kFormat));
  put_varint(out, changes.size());
  for (const auto& c : changes) {
    put_bytes(out, c.db);
    out.push_back(static_cast<char>(c.value ? kPut : kDelete));
    put_bytes(out, c.key);
    if (c.value) put_bytes(out, *c.value);
  }
  return out;
}

std::vector<SystemChange> decode_system_changes(std::string_view message) {
  Reader in{message};
  if (in.byte() != kFormat) Reader::bad("unknown format");
  const std::uint64_t n = in.varint();
  // Each change takes at least 4 bytes: a count beyond that is a lie, not an allocation to make.
  if (n > in.rest.size() / 4) Reader::bad("truncated");
  std::vector<SystemChange> out;
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    SystemChange c;
    c.db = in.bytes();
    const unsigned char op = in.byte();
    if (op != kPut && op != kDelete) Reader::bad("unknown operation");
    c.key = in.bytes();
    if (op == kPut) c.value = in.bytes();
    out.push_back(std::move(c));
  }
  if (!in.rest.empty()) Reader::bad("bytes after the last change");
  return out;
}

SystemLog::SystemLog(nats::Connection& nats, Store& system, const ClusterKey& key, std::string node,
                     SystemLogOptions options)
    : nats_(nats), store_(system), key_(key), node_(std::move(node)), options_(std::move(options)) {
  for (const auto& name : options_.databases) {
    const MDB_dbi dbi = store_.db(name);
    names_[dbi] = name;
    dbis_[name] = dbi;
  }
  meta_ = store_.db("system_log");
  {
    auto reader = store_.read();
    std::string_view v;
    if (reader.txn().get(meta_, kAppliedKey, v)) applied_ = seq_of(v);
  }
  nats_.ensure_stream(nats::StreamConfig{kSystemStream, {kSystemSubject}, options_.replicas});
}

SystemLog::~SystemLog() { stop(); }

void SystemLog::start() {
  if (follower_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    failure_.reset();
  }
  follower_ = std::thread([this] { follow(); });
}

void SystemLog::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (follower_.joinable()) follower_.join();
}

std::uint64_t SystemLog::applied_seq() const {
  std::lock_guard lock(mutex_);
  return applied_;
}

std::uint64_t SystemLog::applied_messages() const {
  std::lock_guard lock(mutex_);
  return applied_messages_;
}

std::uint64_t SystemLog::skipped_messages() const {
  std::lock_guard lock(mutex_);
  return skipped_messages_;
}

std::optional<std::string> SystemLog::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

bool SystemLog::wait_until_applied(std::uint64_t seq, Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return applied_ >= seq || failure_ || stopping_; });
  return applied_ >= seq;
}

std::unique_lock<std::timed_mutex> SystemLog::take_turn(Clock::time_point deadline) {
  std::unique_lock turn(writing_, deadline);
  if (!turn.owns_lock()) throw nats::Unavailable("system change: earlier changes are still waiting for the stream");
  return turn;
}

std::uint64_t SystemLog::publish_recorded(const std::function<void(lmdb::Txn&)>& f,
                                          Clock::time_point deadline) {
  lmdb::Journal journal;
  {
    // Never committed: the change reaches this store through the stream, like everyone's.
    auto txn = store_.begin_write();
    txn.record_to(&journal);
    f(txn);
  }
  if (journal.empty()) return 0;
  std::vector<SystemChange> changes;
  changes.reserve(journal.size());
  for (auto& c : journal) {
    const auto name = names_.find(c.dbi);
    if (name == names_.end()) throw std::logic_error("system change: a write outside the replicated databases");
    changes.push_back(SystemChange{name->second, std::move(c.key), std::move(c.value)});
  }
  const std::string body = encode_system_changes(changes);
  // Sealed for the sequence it is to be stored at, and fenced so that it is stored there only;
  // when another node's change took that sequence, sealed again for the next one.
  std::uint64_t last = nats_.last_seq(kSystemStream).value_or(0);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw nats::Unavailable("system change: other changes kept taking its place in the stream");
    const nats::Headers headers{{kSealHeader, key_.seal(context_of(last + 1), node_, {body})}};
    const auto result = nats_.publish(kSystemSubject, headers, body, last, "", left);
    if (const auto* ok = std::get_if<nats::Published>(&result)) return ok->seq;
    const auto moved = std::get<nats::WrongLastSequence>(result).last_seq;
    last = moved > last ? moved : nats_.last_seq(kSystemStream).value_or(0);
  }
}

std::uint64_t SystemLog::publish(const std::function<void(lmdb::Txn&)>& f) {
  const auto deadline = Clock::now() + options_.timeout;
  auto turn = take_turn(deadline);
  return publish_recorded(f, deadline);
}

void SystemLog::wait_applied(std::uint64_t seq, Clock::time_point deadline) {
  if (wait_until_applied(seq, deadline)) return;
  if (auto why = failure()) throw nats::Unavailable("system change published but not applied: " + *why);
  throw nats::Unavailable("system change published (sequence " + std::to_string(seq) +
                          ") but not applied here within " + std::to_string(options_.timeout.count()) + " ms");
}

void SystemLog::follow() {
  std::unique_ptr<nats::StreamReader> reader;
  auto stopping = [&] {
    std::lock_guard lock(mutex_);
    return stopping_;
  };
  while (!stopping()) {
    try {
      if (!reader) reader = nats_.read(kSystemStream, kSystemSubject, applied_seq() + 1);
      auto message = reader->next(std::chrono::milliseconds{200});
      // One already applied is skipped. One that does not follow the last applied means the
      // client dropped messages (its pending limit): read again from where this node is.
      if (message && message->seq == applied_seq() + 1) {
        apply(*message);
      } else if (message && message->seq > applied_seq() + 1) {
        reader.reset();
      }
    } catch (const nats::Error&) {
      // No server or leader for now: read again from where this node is, after a pause.
      reader.reset();
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, std::chrono::milliseconds{500}, [&] { return stopping_; });
    } catch (const std::exception& e) {
      std::cerr << "eventsd: the system log stopped at sequence " << applied_seq() << ": " << e.what() << "\n";
      {
        std::lock_guard lock(mutex_);
        failure_ = e.what();
      }
      changed_.notify_all();
      return;
    }
  }
}

void SystemLog::apply(const nats::Message& message) {
  const auto seal = message.headers.find(kSealHeader);
  if (seal == message.headers.end()) return skip(message, Refusal::unsealed, "");
  const auto opened = key_.open(context_of(message.seq), seal->second, {message.data});
  if (const auto* why = std::get_if<Refusal>(&opened)) return skip(message, *why, "");
  std::vector<SystemChange> changes;
  try {
    changes = decode_system_changes(message.data);
    for (const auto& c : changes) {
      if (!dbis_.contains(c.db)) throw std::invalid_argument("a change to an unknown database: " + c.db);
    }
  } catch (const std::invalid_argument& e) {
    return skip(message, Refusal::malformed, std::string(": ") + e.what() + " (sealed by " +
                                                 std::get<SealInfo>(opened).node + ")");
  }
  store_.write([&](lmdb::Txn& txn) {
    for (const auto& c : changes) {
      const MDB_dbi dbi = dbis_.find(c.db)->second;
      if (c.value) txn.put(dbi, c.key, *c.value);
      else txn.del(dbi, c.key);
    }
    txn.put(meta_, kAppliedKey, seq_bytes(message.seq));
  });
  {
    std::lock_guard lock(mutex_);
    applied_ = message.seq;
    ++applied_messages_;
  }
  changed_.notify_all();
}

void SystemLog::skip(const nats::Message& message, Refusal why, const std::string& detail) {
  key_.refused().count(Sealed::system, why);
  std::cerr << "eventsd: the system log skipped message " << message.seq << ": " << name_of(why) << detail << "\n";
  store_.write([&](lmdb::Txn& txn) { txn.put(meta_, kAppliedKey, seq_bytes(message.seq)); });
  {
    std::lock_guard lock(mutex_);
    applied_ = message.seq;
    ++skipped_messages_;
  }
  changed_.notify_all();
}

}  // namespace eventsd

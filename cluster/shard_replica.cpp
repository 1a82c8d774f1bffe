#include "cluster/shard_replica.h"

#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <future>
#include <stdexcept>
#include <variant>

#include "common/hash.h"
#include "common/parse.h"
#include "eventlog/keys.h"

namespace eventsd {

namespace {

constexpr std::string_view kSeqKey = "stream_seq";
constexpr const char* kPositionHeader = "Eventsd-Position";
constexpr const char* kEpochHeader = "Eventsd-Epoch";
constexpr const char* kClaimHeader = "Eventsd-Claim";
constexpr auto kReadWait = std::chrono::milliseconds(200);

std::uint64_t header_u64(const std::string& text, const char* what) {
  if (auto v = parse_u64(text)) return *v;
  throw std::runtime_error(std::string("bad ") + what + " header");
}

// 16 hex digits of FNV-1a (64-bit) over a message's body: tells two batches at one position apart.
std::string content_digest(std::string_view body) {
  const std::uint64_t h = fnv1a64(body);
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

// The claim could not be appended because the stream moved on while it was being made.
struct ClaimFenced : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

std::string encode_records(const std::vector<std::string_view>& records) {
  std::size_t size = 0;
  for (auto r : records) size += 4 + r.size();
  std::string out;
  out.reserve(size);
  for (auto r : records) {
    const auto n = static_cast<std::uint32_t>(r.size());
    const char len[4] = {static_cast<char>(n & 0xff), static_cast<char>((n >> 8) & 0xff),
                         static_cast<char>((n >> 16) & 0xff), static_cast<char>((n >> 24) & 0xff)};
    out.append(len, 4).append(r);
  }
  return out;
}

std::vector<std::string_view> decode_records(std::string_view body) {
  std::vector<std::string_view> out;
  while (!body.empty()) {
    if (body.size() < 4) throw std::runtime_error("a stream message ends inside a record's length");
    const auto* b = reinterpret_cast<const unsigned char*>(body.data());
    const std::uint32_t n = b[0] | (b[1] << 8) | (b[2] << 16) | (std::uint32_t{b[3]} << 24);
    if (body.size() - 4 < n) throw std::runtime_error("a stream message ends inside a record");
    out.push_back(body.substr(4, n));
    body.remove_prefix(4 + n);
  }
  return out;
}

std::string ShardReplica::stream_name(unsigned shard) { return "EVENTSD_S" + std::to_string(shard); }
std::string ShardReplica::subject(unsigned shard) { return "eventsd.log." + std::to_string(shard); }

ShardReplica::ShardReplica(nats::Connection& nats, unsigned shard, Store& store, Log& log, Writer& writer,
                           Options options)
    : nats_(nats), shard_(shard), store_(store), log_(log), writer_(writer), options_(options),
      meta_(store.db("replica")), publisher_(nats.publisher(subject(shard), options.max_pending)) {
  writer_.set_replication([this](lmdb::Txn& txn, std::uint64_t first, const std::vector<std::string_view>& records) {
    publish(txn, first, records);
  });
}

ShardReplica::~ShardReplica() { stop(); }

void ShardReplica::start() {
  follower_ = std::thread([this] {
    pthread_setname_np(pthread_self(), ("follow-" + std::to_string(shard_)).substr(0, 15).c_str());
    follow();
  });
}

void ShardReplica::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (follower_.joinable()) follower_.join();
  // Tasks still queued refer to this object: wait for the writer to finish them.
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return in_flight_ == 0; });
}

std::uint64_t ShardReplica::stored_seq(const lmdb::Txn& txn) const {
  std::string_view v;
  if (!txn.get(meta_, kSeqKey, v) || v.size() != 8) return 0;
  return keys::load_native_u64(v);
}

void ShardReplica::store_seq(lmdb::Txn& txn, std::uint64_t seq) const {
  txn.put(meta_, kSeqKey, keys::native_u64(seq));
}

std::uint64_t ShardReplica::applied_seq() const {
  auto reader = store_.read();
  return stored_seq(reader.txn());
}

void ShardReplica::follow() {
  bool first = true;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      // After a failure, a pause: a message that cannot be applied must not spin the thread.
      if (!first) changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
      first = false;
      if (stopping_) return;
      resync_ = false;
    }
    std::unique_ptr<nats::StreamReader> reader;
    try {
      // Created here, not at start: a cluster restarting may not answer JetStream requests yet.
      nats_.ensure_stream({stream_name(shard_), {subject(shard_)}, options_.replicas, std::chrono::seconds(120)});
      reader = nats_.read(stream_name(shard_), subject(shard_), applied_seq() + 1);
    } catch (const nats::Error& e) {
      std::fprintf(stderr, "eventsd: shard %u: cannot read its stream: %s\n", shard_, e.what());
      continue;
    }
    while (true) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || resync_ || in_flight_ < options_.max_in_flight; });
        if (stopping_) return;
        if (resync_) break;
      }
      std::optional<nats::Message> message;
      try {
        message = reader->next(kReadWait);
      } catch (const nats::Error& e) {
        std::fprintf(stderr, "eventsd: shard %u: reading its stream: %s\n", shard_, e.what());
        break;
      }
      if (!message) continue;
      {
        std::lock_guard lock(mutex_);
        ++in_flight_;
      }
      auto shared = std::make_shared<nats::Message>(std::move(*message));
      writer_.submit_task(
          [this, shared](lmdb::Txn& txn, Log::Appender& appender) { apply(txn, appender, *shared); },
          [this, seq = shared->seq](std::exception_ptr failure) {
            std::lock_guard lock(mutex_);
            --in_flight_;
            if (failure) {
              try {
                std::rethrow_exception(failure);
              } catch (const std::exception& e) {
                std::fprintf(stderr, "eventsd: shard %u: stream message %llu not applied: %s\n", shard_,
                             static_cast<unsigned long long>(seq), e.what());
              }
              resync_ = true;
            }
            changed_.notify_all();
          });
    }
  }
}

void ShardReplica::apply(lmdb::Txn& txn, Log::Appender& appender, const nats::Message& message) {
  const std::uint64_t stored = stored_seq(txn);
  if (message.seq <= stored) return;  // applied already: this node published it
  if (message.seq != stored + 1) {
    throw std::runtime_error("stream sequence " + std::to_string(message.seq) + " does not follow " +
                             std::to_string(stored));
  }
  // While this node owns the shard, only its own publishes extend the stream, and those are
  // applied by the writer as they are acknowledged: a message this replica has not applied was
  // appended by another node (its claim, then its batches). This node's fence would now expect
  // that message, so it must stop deciding here, before its next publish could pass.
  auto foreign = [&] {
    if (owns_.load()) lost("another node appended to the shard's stream");
  };
  if (message.headers.contains(kClaimHeader)) {
    foreign();
    store_seq(txn, message.seq);
    return;
  }
  auto it = message.headers.find(kPositionHeader);
  if (it == message.headers.end()) throw std::runtime_error("a stream message without Eventsd-Position");
  const std::uint64_t first = header_u64(it->second, kPositionHeader);
  const auto records = decode_records(message.data);
  if (records.empty()) throw std::runtime_error("a stream message without records or a claim");
  const std::uint64_t head = appender.head().position;
  if (first <= head) {
    // Records this replica holds already: a batch stored twice (a publish retried across a
    // leader change, whose first attempt the new leader did not know of yet). Skipped — if it
    // is the same batch; anything else means the stream and this replica disagree.
    if (first + records.size() - 1 > head) {
      throw std::runtime_error("a stream message overlaps the end of the local log (positions " +
                               std::to_string(first) + ".., the log ends at " + std::to_string(head) + ")");
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
      std::string_view held;
      if (!log_.read(txn, first + i, held) || held != records[i]) {
        throw std::runtime_error("stream message " + std::to_string(message.seq) + " differs from the local log at position " +
                                 std::to_string(first + i));
      }
    }
    store_seq(txn, message.seq);
    return;
  }
  if (first != head + 1) {
    throw std::runtime_error("a stream message starts at position " + std::to_string(first) +
                             ", the local log ends at " + std::to_string(head));
  }
  foreign();
  for (auto record : records) appender.append_copy(record);
  store_seq(txn, message.seq);
}

std::vector<nats::Outgoing> ShardReplica::messages_of(std::uint64_t first, const std::vector<std::string_view>& records,
                                                      std::uint64_t expected) const {
  const std::uint64_t epoch = epoch_.load();
  // A record larger than max_message_bytes goes alone, if it fits the servers' max_payload with
  // room for the headers (a few hundred bytes). (0 while reconnecting: not known, not checked.)
  const std::size_t payload = nats_.max_payload();
  const std::size_t limit = payload == 0 ? SIZE_MAX : payload > 4096 ? payload - 4096 : 0;
  std::vector<nats::Outgoing> out;
  std::uint64_t position = first;
  for (std::size_t i = 0; i < records.size();) {
    std::vector<std::string_view> part;
    std::size_t size = 0;
    while (i < records.size() && (part.empty() || size + 4 + records[i].size() <= options_.max_message_bytes)) {
      size += 4 + records[i].size();
      part.push_back(records[i++]);
    }
    if (size > limit) {
      // Nothing was published: the shard is still this node's. (One command alone is at most a
      // request body, which cluster mode's minimum max_payload leaves room for.)
      throw NotReplicated("a record (" + std::to_string(size) + " bytes) is larger than the NATS servers accept");
    }
    // The id names the content too: a batch decided again at the same position (after a local
    // commit failed) is another message, refused by the fence, not taken for the stored one.
    // Chained to the message before it by its id as well (nats.h: Publisher): should one be
    // refused and another node's message take its sequence, the next one is refused too.
    std::string body = encode_records(part);
    std::string id = "s" + std::to_string(shard_) + "-e" + std::to_string(epoch) + "-p" + std::to_string(position) +
                     "-" + content_digest(body);
    out.push_back({{{kPositionHeader, std::to_string(position)}, {kEpochHeader, std::to_string(epoch)}},
                   std::move(body), expected + out.size(), std::move(id), out.empty() ? "" : out.back().msg_id});
    position += part.size();
  }
  return out;
}

void ShardReplica::publish(lmdb::Txn& txn, std::uint64_t first, const std::vector<std::string_view>& records) {
  if (!owns_.load()) throw NotReplicated("this node does not own shard " + std::to_string(shard_));
  const std::uint64_t expected = stored_seq(txn);
  // A group commit larger than one message is several, each fenced with the sequence of the one
  // before it, sent without waiting for each acknowledgement (at most max_pending unanswered).
  const auto messages = messages_of(first, records, expected);
  const auto outcomes = publisher_->publish(messages, options_.publish_wait);
  std::uint64_t seq = expected;
  for (std::size_t k = 0; k < messages.size(); ++k) {
    // What clients are told when ownership ends here: whether some of the commit is stored.
    const std::string partly = k > 0 ? " (part of the batch may have been recorded; retrying with the same event ids is safe)" : "";
    if (const auto* published = std::get_if<nats::Published>(&outcomes[k])) {
      if (published->duplicate || published->seq != expected + k + 1) {
        // A message with this id is stored already, and not by this publish; or the stream
        // numbered it otherwise than the fence allows.
        lost("the stream holds another batch at position " + messages[k].headers.at(kPositionHeader));
        throw NotReplicated("the shard's stream holds another batch at this position" + partly);
      }
      seq = published->seq;
      continue;
    }
    if (std::holds_alternative<nats::WrongLastSequence>(outcomes[k])) {
      // Every message before this one is stored (in order): the stream moved on since.
      lost("the stream moved on (another node claimed the shard)");
      throw NotReplicated("another node took shard " + std::to_string(shard_) + " over" + partly);
    }
    // No answer for this one (and what follows may have failed only for want of it): send the
    // rest again, one by one, with the same ids, within one retry time for the whole commit.
    const auto give_up = std::chrono::steady_clock::now() + options_.retry_for;
    for (; k < messages.size(); ++k) {
      seq = publish_again(messages[k], std::get_if<nats::UnknownOutcome>(&outcomes[k]), give_up);
    }
    break;
  }
  store_seq(txn, seq);
}

std::uint64_t ShardReplica::publish_again(const nats::Outgoing& message, const nats::UnknownOutcome* first_failure,
                                          std::chrono::steady_clock::time_point give_up) {
  // Sent again with the same id, with growing pauses, until the stream answers or the retry
  // time runs out: within the duplicate window, a batch stored by an earlier attempt is answered
  // "duplicate" with its sequence rather than stored twice, so the outcome becomes known.
  auto pause = std::chrono::milliseconds(50);
  std::string why = first_failure ? first_failure->why : "";
  for (;;) {
    if (std::chrono::steady_clock::now() + pause >= give_up) {
      // Still no answer: the batch may or may not be in the stream. Only a catch-up can tell.
      lost("no acknowledgement from the stream: " + why);
      throw NotReplicated("the shard's stream did not answer (the write may have been recorded; "
                          "retrying with the same event ids is safe): " + why);
    }
    std::this_thread::sleep_for(pause);  // backoff between attempts, not synchronisation
    pause = std::min(pause * 2, std::chrono::milliseconds(1'000));
    nats::PublishResult result;
    try {
      result = nats_.publish(subject(shard_), message, options_.publish_wait);
    } catch (const nats::Error& e) {
      why = e.what();
      continue;
    }
    if (std::holds_alternative<nats::WrongLastSequence>(result)) {
      // The one before it is stored (its answer came, or this is the first): the stream moved on.
      lost("the stream moved on (another node claimed the shard)");
      throw NotReplicated("another node took shard " + std::to_string(shard_) +
                          " over (the write may have been recorded; retrying with the same event ids is safe)");
    }
    // Stored — now, or by an earlier attempt (then answered duplicate with its sequence).
    const auto& published = std::get<nats::Published>(result);
    if (published.seq != *message.expect_last_seq + 1) {
      lost("the stream numbered a batch otherwise than its fence allows");
      throw NotReplicated("the shard's stream holds another batch at this position (the write may have been recorded)");
    }
    return published.seq;
  }
}

void ShardReplica::lost(const std::string& why) {
  if (!owns_.exchange(false)) return;
  std::fprintf(stderr, "eventsd: shard %u: no longer its owner: %s\n", shard_, why.c_str());
  if (on_lost_) on_lost_();
}

bool ShardReplica::acquire(std::uint64_t epoch, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    std::uint64_t last = 0;
    try {
      last = nats_.last_seq(stream_name(shard_)).value_or(0);
    } catch (const nats::Error& e) {
      std::fprintf(stderr, "eventsd: shard %u: cannot read the stream's state: %s\n", shard_, e.what());
      return false;
    }
    // Catch up: wait for the follower to apply everything up to `last`.
    {
      std::unique_lock lock(mutex_);
      while (!stopping_ && applied_seq() < last) {
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return false;
      }
      if (stopping_) return false;
    }
    // The claim, fenced with what this replica holds: it fails if anything was appended since.
    auto done = std::make_shared<std::promise<std::exception_ptr>>();
    auto claimed = done->get_future();
    writer_.submit_task(
        [this, epoch](lmdb::Txn& txn, Log::Appender&) {
          const std::uint64_t stored = stored_seq(txn);
          nats::Headers headers{{kClaimHeader, std::to_string(epoch)}, {kEpochHeader, std::to_string(epoch)}};
          // (The node is in the id: a second node that took the lease with the same epoch — a
          // compare-and-set is not exclusive on every nats-server — is fenced, not deduplicated.)
          const std::string id = "s" + std::to_string(shard_) + "-e" + std::to_string(epoch) + "-" + options_.node + "-claim";
          auto result = nats_.publish(subject(shard_), headers, "", stored, id, options_.publish_wait);
          if (std::holds_alternative<nats::WrongLastSequence>(result)) throw ClaimFenced("the stream moved on");
          const auto& published = std::get<nats::Published>(result);
          if (published.duplicate) throw ClaimFenced("this epoch's claim is in the stream already");
          store_seq(txn, published.seq);
        },
        [done](std::exception_ptr e) { done->set_value(e); });
    // Bounded: the writer may be busy for a while (a publish being retried). A claim that lands
    // after this gave up is harmless: it ends whoever owns the shard then, who takes it again.
    if (claimed.wait_until(std::max(deadline, std::chrono::steady_clock::now() + options_.publish_wait)) !=
        std::future_status::ready) {
      std::fprintf(stderr, "eventsd: shard %u: the owner claim did not complete in time\n", shard_);
      return false;
    }
    auto failure = claimed.get();
    if (!failure) {
      // Committed with the claim's sequence. A message another node appended after the claim
      // would end this at once (apply()); until then the fence is this node's.
      epoch_ = epoch;
      owns_ = true;
      std::fprintf(stderr, "eventsd: shard %u: owned from epoch %llu\n", shard_, static_cast<unsigned long long>(epoch));
      return true;
    }
    try {
      std::rethrow_exception(failure);
    } catch (const ClaimFenced&) {
      continue;  // someone appended meanwhile: catch up again
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventsd: shard %u: the owner claim failed: %s\n", shard_, e.what());
      return false;
    }
  }
  return false;
}

void ShardReplica::release() { owns_ = false; }

}  // namespace eventsd

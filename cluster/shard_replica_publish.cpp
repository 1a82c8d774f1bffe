// Publishing as the shard's owner: the writer's replication hook sends each group commit's
// records to the stream — as one message or several, fenced — before the local transaction
// commits; a message without an answer is sent again with the same id until the stream answers
// or the retry time runs out; a refusal or no answer at all ends ownership (shard_replica.h).
#include <algorithm>
#include <thread>
#include <variant>

#include "cluster/shard_replica.h"

namespace eventsd {

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
    std::string id = batch_message_id(shard_, epoch, position, body);
    nats::Headers headers{{shard_header::kPosition, std::to_string(position)},
                          {shard_header::kEpoch, std::to_string(epoch)}};
    const std::uint64_t fence = expected + out.size();
    headers.emplace(kSealHeader, seal(fence + 1, headers, body));
    out.push_back({std::move(headers), std::move(body), fence, std::move(id), out.empty() ? "" : out.back().msg_id});
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
        lost("the stream holds another batch at position " + messages[k].headers.at(shard_header::kPosition));
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

}  // namespace eventsd

// Taking a shard over (ShardReplica::acquire, once the lease is held): catch up with the stream,
// then append the owner claim fenced with the last sequence applied, again while someone else
// appends meanwhile, until `within` runs out.
#include <cstdio>
#include <future>
#include <stdexcept>
#include <variant>

#include "cluster/shard_replica.h"

namespace eventsd {

namespace {

// The claim could not be appended because the stream moved on while it was being made.
struct ClaimFenced : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

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
          nats::Headers headers{{shard_header::kClaim, std::to_string(epoch)},
                                {shard_header::kEpoch, std::to_string(epoch)}};
          headers.emplace(kSealHeader, seal(stored + 1, headers, ""));
          // (The node is in the id: a second node that took the lease with the same epoch — a
          // compare-and-set is not exclusive on every nats-server — is fenced, not deduplicated.)
          const std::string id = claim_message_id(shard_, epoch, options_.node);
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

}  // namespace eventsd

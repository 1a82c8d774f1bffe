// The write model: the little state the deciders need, kept in the log's environment and written
// in the writer's transaction, so it always equals "the log up to its head". Like a read model it
// is a fold of the log (apply), so it can be rebuilt from the log at any time (catch_up folds what
// is missing, from the start when the layout changed); unlike one, it is flushed with every commit,
// and outside commands/ only `eventctl verify` reads it (to compare it with a fresh fold).
//
//   wm_meta            "layout" -> u64, "checkpoint" -> u64 (last position folded), "next_tenant"
//   wm_tenants         tenant name -> u32 tenant number (assigned in log order), and
//                      [0x00][u32 tenant number] -> tenant name
//   wm_ids             [tno][event id] -> seq (big-endian u64) of the live event with this id
//   wm_aliases         [tno][contact\0] -> the contact it was merged into (chains flattened)
//   wm_members         [tno][contact\0][merged contact\0] -> "" (who was merged into whom)
//   wm_rules           [tno][kind] -> the rules fact (a Cap'n Proto message of its own)
//   wm_contact_events  [tno][contact\0][ts][seq] -> flags (bit 1: suppressed), event name: the
//                      live identified events under the contact they were recorded for (merges do
//                      not move them: a contact's window reads its members' ranges too)
//   wm_campaign_events [ts][tno][seq] -> "" (campaign events by age, for the retention)
//
// Thread safety: immutable after construction (database handles only); state lives in the
// transactions passed in. Queries read the caller's write transaction on the writer thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/rules.h"
#include "commands/suppression.h"
#include "eventlog/lmdb.h"
#include "eventlog/log.h"
#include "eventlog/log.capnp.h"
#include "eventlog/store.h"
#include "common/time.h"

namespace eventsd {

// A campaign event, by age.
struct AgedEvent {
  Millis timestamp;
  std::uint32_t tno;
  std::uint64_t seq;
};

class WriteModel {
 public:
  WriteModel(Store& store, const Log& log);

  // Layout of the write model's databases; a store with another layout is rebuilt from the log.
  static constexpr std::uint64_t kLayoutVersion = 1;

  // Brings the write model to the log's head: nothing to do when it is there, a fold of the
  // missing records (in transactions of bounded size) after an upgrade or a layout change.
  // Returns how many records it folded. The caller is the store's only writer.
  std::uint64_t catch_up(Store& store) const;

  // Folds one record (the writer calls it right after appending the record).
  void apply(lmdb::Txn& txn, std::uint64_t position, schema::LogRecord::Reader record) const;

  std::uint64_t checkpoint(const lmdb::Txn& txn) const;
  std::optional<std::uint32_t> tenant_no(const lmdb::Txn& txn, std::string_view tenant) const;
  std::optional<std::string> tenant_name(const lmdb::Txn& txn, std::uint32_t tno) const;
  // The live event with this id, if any.
  std::optional<std::uint64_t> find_seq(const lmdb::Txn& txn, std::uint32_t tno, std::string_view id) const;
  // The contact an id stands for: itself, or what it was merged into.
  std::string resolve_contact(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact) const;
  // The contacts merged into `contact` (directly or through a chain).
  std::vector<std::string> members(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact) const;
  SuppressionRules suppression_rules(const lmdb::Txn& txn, std::uint32_t tno) const;
  ScoringRules scoring_rules(const lmdb::Txn& txn, std::uint32_t tno) const;

  // Calls visit for the live events recorded under `contact` with from <= timestamp <= to, in
  // (timestamp, seq) order, until visit returns false.
  void contact_events(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact, Millis from,
                      Millis to, const std::function<bool(const WindowEvent&)>& visit) const;
  // The same for every contact in `contacts`, merged into one (timestamp, seq) order.
  void contact_events(const lmdb::Txn& txn, std::uint32_t tno, const std::vector<std::string>& contacts,
                      Millis from, Millis to, const std::function<bool(const WindowEvent&)>& visit) const;
  // Up to `limit` live events recorded under `contact`, after the key `after` (empty: from the
  // start); returns their seqs and sets `after` to resume from.
  std::vector<std::uint64_t> contact_seqs(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact,
                                          std::string& after, std::size_t limit) const;
  // Up to `limit` campaign events older than `cutoff` (every tenant), oldest first.
  std::vector<AgedEvent> expired_campaign_events(const lmdb::Txn& txn, Millis cutoff, std::size_t limit) const;

  const Log& log() const { return log_; }
  // Every write-model database (what verify digests) and their names.
  const std::vector<MDB_dbi>& all_dbs() const { return all_.dbs(); }
  const std::vector<std::string>& db_names() const { return all_.names(); }

 private:
  struct Dbs {
    MDB_dbi meta, tenants, ids, aliases, members, rules, contact_events, campaign_events;
  };
  std::uint32_t assign_tenant(lmdb::Txn& txn, std::string_view tenant) const;
  void insert_event(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq, schema::Event::Reader e) const;
  // Removes the live event `seq` (deleted or purged); `e` is the event as the log holds it.
  void remove_event(lmdb::Txn& txn, std::uint32_t tno, std::uint64_t seq, schema::Event::Reader e) const;
  void merge(lmdb::Txn& txn, std::uint32_t tno, std::string_view from, std::string_view into) const;
  void reset(lmdb::Txn& txn) const;

  const Log& log_;
  Dbs dbs_;
  ModelDbs all_;
};

}  // namespace eventsd

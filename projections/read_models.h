// The read models: every projection of the log, kept in LMDB databases named rm_* in a read-model
// environment of their own (a generation, generations.h), folded from the log by the projector.
//
// apply() is a pure fold: the same record at the same position always makes the same writes, so
// a rebuild (fold the log from position 1 into an empty generation) makes exactly what the live
// projector made. rm_meta's checkpoint is the position of the last record applied, written in the
// same transaction: a generation is always exactly "the log up to its checkpoint". Events
// themselves are not copied: reads take them from the log records that ingested them.
//
// What each fact does is in apply_record.cpp (merges.cpp, retention.cpp and contacts.cpp for the
// larger ones), an event's entries in every index in event_index.cpp.
//
// Thread safety: the object is immutable after construction (it holds database handles); all
// state lives in the transactions passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventlog/lmdb.h"
#include "eventlog/log.h"
#include "eventlog/log.capnp.h"
#include "eventlog/store.h"
#include "projections/read_model_keys.h"
#include "projections/stored_event.h"
#include "projections/visitor_sessions.h"

namespace eventsd {

// The flags byte of an event's index entries (read_model_keys.h).
std::uint8_t index_flags(const EventView& e);

// The read-model databases; read_model_keys.h gives each one's key and value layout.
struct ReadModelDbs {
  MDB_dbi meta;             // rm_meta: the checkpoint, the layout, the next tenant number
  MDB_dbi tenants;          // rm_tenants: tenant id -> tenant number (assigned in log order)
  MDB_dbi events;           // rm_events: every live event -> its EventOverlay (the event is in the log)
  MDB_dbi ids;              // rm_ids: event id -> seq
  MDB_dbi by_time;          // rm_by_time: the events in time order
  MDB_dbi by_type;          // rm_by_type: ... by event name, then time
  MDB_dbi by_contact;       // rm_by_contact: ... by contact, then time (with points and name)
  MDB_dbi by_domain;        // rm_by_domain: ... by domain, then time
  MDB_dbi by_campaign;      // rm_by_campaign: ... by campaign, then time
  MDB_dbi counts;           // rm_counts: Counters per CountKind and dimensions
  MDB_dbi campaigns;        // rm_campaigns: every campaign ever seen (it exists)
  MDB_dbi campaign_expiry;  // rm_campaign_expiry: campaign events by age, for retention
  MDB_dbi contacts;         // rm_contacts: contact -> profile (JSON)
  MDB_dbi aliases;          // rm_aliases: merged contact -> the contact it stands for (chains flattened)
  MDB_dbi merged;           // rm_merged: who was merged into whom
  MDB_dbi rules;            // rm_rules: the rules in force, as the API shows them (JSON)
  MDB_dbi audit;            // rm_audit: every record that changed an event after its ingestion
  MDB_dbi companies;        // rm_companies: company key -> company (JSON)
  MDB_dbi emails;           // rm_emails: a profile's e-mail, lower-cased -> its contact (the last one given it)
};

class ReadModels {
 public:
  // `store` is the generation's environment; `log` reads the log's environment.
  ReadModels(Store& store, const Log& log);

  const ReadModelDbs& dbs() const { return dbs_; }
  const SessionsModel& sessions() const { return sessions_; }
  const Log& log() const { return log_; }
  // Every read-model database (what replay drops and verify digests), and their names.
  const std::vector<MDB_dbi>& all_dbs() const { return all_.dbs(); }
  const std::vector<std::string>& db_names() const { return all_.names(); }

  // Folds the record at `position` in the read models' write transaction `txn`; `log_txn` reads
  // the log (a snapshot that holds the record).
  void apply(lmdb::Txn& txn, const lmdb::Txn& log_txn, std::uint64_t position,
             schema::LogRecord::Reader record) const;
  // apply() without inserting the record's own events and without moving the checkpoint: what a
  // bulk fold (bulk_fold.h), which inserted every event first, still applies record by record.
  void apply_mutations(lmdb::Txn& txn, const lmdb::Txn& log_txn, std::uint64_t position,
                       schema::LogRecord::Reader record) const;
  // Whether the record changes anything beyond inserting its own events (see apply_mutations).
  static bool mutates(schema::LogRecord::Reader record);

  std::uint64_t checkpoint(const lmdb::Txn& txn) const;

  // The layout of the read models. A store written by a version with another layout is rebuilt
  // from the log when opened (rebuild_if_outdated), never read or patched in place.
  // 3: an environment of their own; 4: sessions; 5: contacts by e-mail (rm_emails)
  static constexpr std::uint64_t kLayoutVersion = 5;
  // Whether the generation was written with another layout (or holds nothing yet).
  bool outdated(const lmdb::Txn& txn) const;
  // Stamps the current layout on an empty generation.
  void stamp(lmdb::Txn& txn) const;
  std::optional<std::uint32_t> tenant_no(const lmdb::Txn& txn, std::string_view tenant) const;
  Counters counters(const lmdb::Txn& txn, std::string_view key) const;
  bool campaign_exists(const lmdb::Txn& txn, std::uint32_t tno, std::string_view campaign) const;

  // The contact an id stands for: itself, or what it was merged into.
  std::string resolve_contact(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact) const;

  // The event's sequence number, if an event with this id exists for the tenant.
  std::optional<std::uint64_t> find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                        std::string_view id) const;

 private:
  std::uint32_t assign_tenant(lmdb::Txn& txn, std::string_view tenant) const;
  void upsert_contact(lmdb::Txn& txn, std::uint32_t tno, schema::ContactUpserted::Reader fact) const;
  // Counter changes of one record, summed per key and written once (count_deltas.h).
  class CountDeltas;
  void mutate(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint64_t position,
              schema::LogRecord::Reader record) const;

  void apply_retention(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events,
                       schema::RetentionApplied::Reader fact, std::uint64_t position) const;
  // Records that the record at `position` changed the event `id` (sequence number `seq`). An
  // event's ingestion is not recorded: its position is part of its sequence number.
  void audit(lmdb::Txn& txn, std::uint32_t tno, std::string_view id, std::uint64_t position,
             std::uint64_t seq) const;
  void merge_contacts(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint32_t tno,
                      schema::ContactsMerged::Reader fact) const;
  // Re-indexes a live event after `change` edits its overlay.
  void change_event(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint32_t tno,
                    std::uint64_t seq, const std::function<void(EventOverlay&)>& change) const;
  void insert_event(lmdb::Txn& txn, CountDeltas& counts, std::uint32_t tno, std::uint64_t seq,
                    schema::Event::Reader event) const;
  void remove_event(lmdb::Txn& txn, CountDeltas& counts, LogEvents& events, std::uint32_t tno,
                    std::uint64_t seq) const;
  // Adds (insert) or removes the index entries and counts of one event.
  void index(lmdb::Txn& txn, CountDeltas& counts, std::uint32_t tno, std::uint64_t seq,
             const EventView& event, bool insert) const;

  const Log& log_;
  ReadModelDbs dbs_;
  SessionsModel sessions_;
  ModelDbs all_;
};

// A consistent reading of the read models: their snapshot, and a snapshot of the log they point
// into (an event is read from the record that ingested it). The log only grows, so a log snapshot
// taken after the read models' one holds every record they name. Both transactions outlive the
// view; it is a plain bundle, cheap to copy.
struct ReadView {
  const ReadModels& models;
  const lmdb::Txn& txn;      // the read models
  const lmdb::Txn& log_txn;  // the log
  // Moves both transactions to their newest snapshots, or is empty when the view cannot move.
  // A long scan calls it between entries (event_queries.h: kEntriesPerSnapshot), so that no
  // request pins old pages for long; nothing read before the call may be used after it.
  std::function<void()> renew = {};
};

}  // namespace eventsd

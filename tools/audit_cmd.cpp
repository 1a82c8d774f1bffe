// eventctl audit: the records that touched one event, or one contact, as JSON lines. On a
// cluster node's directory (tools/log_dirs.h) it reads the tenant's shard, or every shard.
#include <iostream>

#include "cluster/placement.h"
#include "common/flags.h"
#include "common/time.h"
#include "eventlog/data_dir.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/audit.h"
#include "projections/fact_json.h"
#include "projections/generations.h"
#include "projections/read_model_keys.h"
#include "projections/read_models.h"
#include "projections/stored_event.h"
#include "tools/commands.h"
#include "tools/data_option.h"
#include "tools/exit_status.h"
#include "tools/log_dirs.h"
#include "tools/record_line.h"

namespace eventsd::cli {

namespace {

// An ISO 8601 date or date-time (common/time.h).
CLI::Validator iso8601() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return parse_iso8601(value) ? std::string() : "needs an ISO 8601 date or date-time (got '" + value + "')";
      },
      "", "time");
}

struct AuditOptions {
  std::string data;
  std::optional<unsigned> shard;
  std::optional<std::string> event, contact, tenant, from_text, to_text;
};

int audit(const AuditOptions& o) {
  const auto& event = o.event;
  const auto& contact = o.contact;
  if (event.has_value() == contact.has_value()) throw Usage("give --event ID or --contact ID");
  const auto from = o.from_text ? parse_iso8601(*o.from_text) : std::nullopt;
  const auto to = o.to_text ? parse_iso8601(*o.to_text) : std::nullopt;
  const auto& tenant = o.tenant;
  auto parts = log_dirs(o.data, o.shard);
  if (tenant && parts.size() > 1) {
    // A tenant's records are all in its shard.
    const auto shards = static_cast<unsigned>(shard_numbers(o.data).size());
    const unsigned shard = shard_of(*tenant, shards);
    std::erase_if(parts, [&](const LogDir& p) { return p.shard != shard; });
  }
  auto in_time = [&](schema::LogRecord::Reader r) {
    return (!from || r.getRecordedAt() >= *from) && (!to || r.getRecordedAt() <= *to);
  };
  std::size_t found = 0;
  for (const auto& part : parts) {
    const std::filesystem::path& dir = part.dir;
    auto store = open_log_store(dir, false);
    Log log(*store);
    auto reader = store->read();
    if (event) {
      // The audit index of the served read models names the records; every tenant unless one is given.
      const auto read_dir = data_dir::read_dir(dir);
      const auto number = generations::current(read_dir);
      if (!number) throw std::runtime_error(part.prefix() + "no read models yet (start eventsd, or run eventctl rebuild)");
      Generation generation(read_dir, *number, log, false, true);
      auto models_reader = generation.store().read();
      const ReadModels& models = generation.models();
      std::vector<std::uint32_t> tenants;
      lmdb::Cursor cursor(models_reader.txn(), models.dbs().tenants);
      for (bool ok = cursor.first(); ok; ok = cursor.next()) {
        if (!tenant || cursor.key() == *tenant) tenants.push_back(rm::read_tenants_value(cursor.value()));
      }
      // The log snapshot after the models' one: it holds every record they name.
      auto log_reader = store->read();
      for (auto tno : tenants) {
        audit_event({models, models_reader.txn(), log_reader.txn()}, tno, *event, [&](std::uint64_t position, schema::LogRecord::Reader r) {
          if (!in_time(r)) return;
          ++found;
          print_record(position, r, [&](schema::Event::Reader e) { return text_view(e.getId()) == *event; });
        });
      }
    } else {
      // A contact's history is read from the log itself: its events (as recorded, or as first
      // recorded before an alias redirected them), the merges it took part in, its profile.
      auto about = [&](schema::Event::Reader e) {
        return (e.hasContactId() && text_view(e.getContactId()) == *contact) ||
               (e.hasOriginalContactId() && text_view(e.getOriginalContactId()) == *contact);
      };
      LogCursor cursor(reader.txn(), log);
      for (bool ok = cursor.seek(1); ok; ok = cursor.next()) {
        RecordView view(cursor.bytes());
        const auto r = view.root();
        if ((tenant && text_view(r.getTenant()) != *tenant) || !in_time(r)) continue;
        const auto fact = r.getFact();
        bool relevant = false;
        switch (fact.which()) {
          case schema::LogRecord::Fact::EVENTS_INGESTED:
            for (auto e : fact.getEventsIngested().getEvents()) relevant = relevant || about(e);
            break;
          case schema::LogRecord::Fact::CONTACTS_MERGED:
            relevant = text_view(fact.getContactsMerged().getFrom()) == *contact ||
                       text_view(fact.getContactsMerged().getInto()) == *contact;
            break;
          case schema::LogRecord::Fact::CONTACT_UPSERTED:
            relevant = text_view(fact.getContactUpserted().getContactId()) == *contact;
            break;
          default:
            break;
        }
        if (!relevant) continue;
        ++found;
        print_record(cursor.position(), r, fact.isEventsIngested() ? std::function<bool(schema::Event::Reader)>(about)
                                                                   : std::function<bool(schema::Event::Reader)>());
      }
    }
  }
  std::fflush(stdout);
  if (found == 0) {
    std::cerr << "eventctl: no record touched " << (event ? "event " + *event : "contact " + *contact) << "\n";
    return kFailed;
  }
  return kOk;
}

}  // namespace

void add_audit_command(CLI::App& app, Run& run) {
  auto [audit, a] = add_data_command(app, run, "audit",
                                     "the records that touched an event (--event) or a contact (--contact), oldest "
                                     "first, as JSON lines; exit 1 when none did",
                                     cli::audit);
  auto* event = audit->add_option("--event", a->event, "the event's id")->type_name("ID");
  audit->add_option("--contact", a->contact, "the contact's id")->type_name("ID")->excludes(event);
  audit->add_option("--tenant", a->tenant, "only this tenant's records (on a cluster node: only its shard's)")
      ->type_name("T");
  add_shard_option(*audit, a->shard);
  audit->add_option("--from", a->from_text, "only records recorded at or after TIME (ISO 8601)")
      ->type_name("TIME")
      ->check(iso8601());
  audit->add_option("--to", a->to_text, "only records recorded at or before TIME (ISO 8601)")
      ->type_name("TIME")
      ->check(iso8601());
}

}  // namespace eventsd::cli

// eventctl import: JSON lines through the ordinary command path — the same validation and
// deciders as the HTTP API, client ids kept. A line is either a record of `eventctl dump` (it has
// "kind"; every fact becomes the command that recorded it) or one event in the native API's
// field names (--tenant says whose).
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "commands/contact_input.h"
#include "commands/event_input.h"
#include "commands/rules_input.h"
#include "commands/writer.h"
#include "eventlog/dir_lock.h"
#include "eventlog/json_reader.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "eventlog/tokens.h"
#include "commands/write_model.h"
#include "eventlog/data_dir.h"
#include "projections/read_models.h"
#include "tools/cli.h"

namespace eventsd::cli {

namespace {

constexpr std::size_t kEventsPerCommand = 1000;

template <class T>
std::variant<Command, FieldError> wrap(std::string tenant, std::variant<T, FieldError> parsed) {
  if (auto* e = std::get_if<FieldError>(&parsed)) return *e;
  return Command{std::move(tenant), "eventctl:import", std::get<T>(std::move(parsed))};
}

// The native-API form of an event of a dump: what its client sent, as far as the fact says.
JsonValue client_event(const JsonValue& e) {
  JsonValue::Object out;
  for (const char* key : {"id", "event", "timestamp", "url", "referrer", "session_id", "utm_source",
                          "utm_medium", "utm_campaign", "campaign_id", "step_id", "email", "data"}) {
    if (auto* v = e.find(key)) out.emplace_back(key, *v);
  }
  // The contact the client named: before any alias redirected it.
  if (auto* v = e.find("original_contact_id")) out.emplace_back("contact_id", *v);
  else if (auto* c = e.find("contact_id")) out.emplace_back("contact_id", *c);
  return JsonValue::object(std::move(out));
}

// {"name": the fact's member `key`, or null}
JsonValue body_of(std::string_view name, const JsonValue& fact, std::string_view key) {
  const JsonValue* v = fact.find(key);
  return JsonValue::object({{std::string(name), v ? *v : JsonValue()}});
}

std::variant<Command, FieldError> from_record(const JsonValue& rec) {
  const JsonValue* kind = rec.find("kind");
  const JsonValue* tenant = rec.find("tenant");
  const JsonValue* fact = rec.find("fact");
  if (!kind || !kind->is_string() || !tenant || !tenant->is_string() || !fact || !fact->is_object()) {
    return FieldError{"", "a dump record needs kind, tenant and fact"};
  }
  const std::string t(tenant->get_string());
  const JsonValue& f = *fact;
  const std::string_view k = kind->get_string();
  if (k == "events_ingested") {
    JsonValue::Array batch;
    if (auto* events = f.find("events"); events && events->is_array()) {
      for (const auto& e : events->items()) {
        if (!e.is_object()) return FieldError{"fact.events", "events must be objects"};
        batch.push_back(client_event(e));
      }
    }
    return wrap<IngestEvents>(t, parse_ingest(JsonValue::object({{"batch", JsonValue::array(std::move(batch))}}),
                                              kNativeFieldNames, now_millis()));
  }
  if (k == "events_deleted") return wrap<DeleteEvents>(t, parse_delete(body_of("event_ids", f, "ids")));
  if (k == "contact_upserted") {
    const JsonValue* id = f.find("contact_id");
    if (!id || !id->is_string()) return FieldError{"fact.contact_id", "contact_id is missing"};
    JsonValue::Object body;
    for (const auto& [key, v] : f.members()) {
      if (key != "contact_id") body.emplace_back(key, v);
    }
    return wrap<UpsertContact>(t, parse_contact_upsert(std::string(id->get_string()), JsonValue::object(std::move(body))));
  }
  if (k == "contacts_merged") {
    JsonValue::Object body;
    for (const char* key : {"from", "into"}) {
      if (auto* v = f.find(key)) body.emplace_back(key, *v);
    }
    return wrap<MergeContacts>(t, parse_merge(JsonValue::object(std::move(body))));
  }
  if (k == "suppression_rules_set") return wrap<SetSuppressionRules>(t, parse_suppression_rules(body_of("rules", f, "rules")));
  if (k == "scoring_rules_set") return wrap<SetScoringRules>(t, parse_scoring_rules(body_of("rules", f, "rules")));
  if (k == "retention_applied") {
    const JsonValue* cutoff = f.find("campaign_cutoff");
    auto when = cutoff && cutoff->is_string() ? parse_iso8601(cutoff->get_string()) : std::nullopt;
    if (!when) return FieldError{"fact.campaign_cutoff", "campaign_cutoff must be an ISO 8601 date-time"};
    return Command{t, "eventctl:import", ApplyRetention{*when}};
  }
  return FieldError{"kind", "unknown kind " + std::string(k)};
}

// Reads FILE line by line, turning it into commands; `emit(line_no, command)`.
struct Reader {
  explicit Reader(std::optional<std::string> t) : tenant(std::move(t)) {}
  std::optional<std::string> tenant;
  std::vector<std::string> errors;
  std::uint64_t lines = 0;

  template <class Emit, class Tick>
  void run(const std::filesystem::path& file, Emit&& emit, Tick&& tick) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file.string());
    IngestEvents pending;  // plain events gathered into commands
    std::uint64_t pending_line = 0;
    auto flush = [&] {
      if (pending.events.empty()) return;
      emit(pending_line, Command{*tenant, "eventctl:import", std::move(pending)});
      pending = IngestEvents{};
    };
    std::uint64_t bytes = 0;
    for (std::string line; std::getline(in, line);) {
      ++lines;
      bytes += line.size() + 1;
      tick(bytes);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto fail = [&](const std::string& field, const std::string& message) {
        if (errors.size() < 20) {
          errors.push_back("line " + std::to_string(lines) + (field.empty() ? "" : " (" + field + ")") + ": " + message);
        }
      };
      auto parsed = parse_json(line);
      if (auto* e = std::get_if<JsonError>(&parsed)) {
        fail(e->field, "not JSON: " + e->message);
        continue;
      }
      const JsonValue& v = std::get<JsonValue>(parsed);
      if (!v.is_object()) {
        fail("", "not a JSON object");
        continue;
      }
      if (v.find("kind")) {
        flush();
        auto command = from_record(v);
        if (auto* e = std::get_if<FieldError>(&command)) fail(e->field, e->message);
        else emit(lines, std::get<Command>(std::move(command)));
        continue;
      }
      if (!tenant) {
        fail("", "a plain event line needs --tenant");
        continue;
      }
      auto event = parse_event(v, kNativeFieldNames, "");
      if (auto* e = std::get_if<FieldError>(&event)) {
        fail(e->field, e->message);
        continue;
      }
      if (pending.events.empty()) {
        pending_line = lines;
        pending.received_at = now_millis();
      }
      pending.events.push_back(std::get<EventInput>(std::move(event)));
      if (pending.events.size() == kEventsPerCommand) flush();
    }
    flush();
  }
};

}  // namespace

int import(const Args& args) {
  args.only({"data", "tenant", "create"});
  if (args.positional.size() != 1) throw Usage("import takes one FILE");
  const std::filesystem::path file = args.positional[0];
  const std::filesystem::path dir = args.need("data");
  if (auto t = args.get("tenant"); t && !is_valid_tenant(*t)) throw Usage("bad --tenant");
  const std::uint64_t size = std::filesystem::file_size(file);

  // Pass 1: validate everything, write nothing.
  Reader check(args.get("tenant"));
  check.run(file, [](std::uint64_t, Command&&) {}, [](std::uint64_t) {});
  if (!check.errors.empty()) {
    for (const auto& e : check.errors) std::cerr << "eventctl: " << e << "\n";
    std::cerr << "eventctl: nothing imported\n";
    return kFailed;
  }

  if (!data_dir::holds_data(dir) && !args.get("create")) throw Usage(dir.string() + " holds no eventsd data (--create makes it)");
  std::filesystem::create_directories(dir);
  auto lock = DirLock::try_acquire(dir);
  if (!lock) {
    std::cerr << "eventctl: " << dir << " is in use by a running eventsd; import through its API, or stop it\n";
    return kBusy;
  }
  // Commands go through the writer into the log and the write model; the read models fold them
  // when eventsd next starts.
  auto store = open_log_store(dir, true, true);
  Log log(*store);
  {
    auto reader = store->read();
    log.check_tail(reader.txn());
  }
  WriteModel model(*store, log);
  model.catch_up(*store);
  Writer writer(*store, log, model);
  writer.start();

  // Pass 2: commands go to the writer in file order, a bounded number in flight.
  std::mutex mutex;
  std::condition_variable done_cv;
  std::size_t in_flight = 0;
  std::uint64_t imported_events = 0, rejected = 0;
  Progress progress("import");
  Reader reader(args.get("tenant"));
  reader.run(
      file,
      [&](std::uint64_t line, Command&& command) {
        std::unique_lock lk(mutex);
        done_cv.wait(lk, [&] { return in_flight < 64; });
        ++in_flight;
        lk.unlock();
        writer.submit(std::move(command), [&, line](Outcome outcome) {
          std::lock_guard g(mutex);
          --in_flight;
          if (auto* r = std::get_if<Rejection>(&outcome)) {
            ++rejected;
            std::cerr << "eventctl: line " << line << ": refused: " << r->message << "\n";
          } else if (auto* i = std::get_if<Ingested>(&outcome)) {
            imported_events += static_cast<std::uint64_t>(std::count(i->created.begin(), i->created.end(), true));
          }
          done_cv.notify_all();
        });
      },
      [&](std::uint64_t bytes) {
        std::lock_guard g(mutex);
        progress.update(bytes, size, imported_events, "events");
      });
  writer.stop();
  progress.finish(std::to_string(reader.lines) + " lines, " + std::to_string(imported_events) +
                  " events" + (rejected ? ", " + std::to_string(rejected) + " commands refused" : ""));
  return rejected ? kFailed : kOk;
}

}  // namespace eventsd::cli

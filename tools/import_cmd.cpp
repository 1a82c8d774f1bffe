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

#include "commands/writer.h"
#include "eventlog/dir_lock.h"
#include "common/json_reader.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "accounts/tokens.h"
#include "commands/write_model.h"
#include "eventlog/data_dir.h"
#include "projections/read_models.h"
#include "tools/commands.h"
#include "tools/data_option.h"
#include "tools/exit_status.h"
#include "tools/import_line.h"
#include "tools/progress.h"
#include "tools/terminal_text.h"
#include "tools/validators.h"

namespace eventsd::cli {

namespace {

constexpr std::size_t kEventsPerCommand = 1000;

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
      auto parsed = parse_import_line(line, tenant);
      if (std::holds_alternative<BlankLine>(parsed)) continue;
      if (auto* e = std::get_if<FieldError>(&parsed)) {
        if (errors.size() < 20) {
          errors.push_back("line " + std::to_string(lines) + (e->field.empty() ? "" : " (" + e->field + ")") + ": " + e->message);
        }
        continue;
      }
      if (auto* command = std::get_if<Command>(&parsed)) {
        flush();
        emit(lines, std::move(*command));
        continue;
      }
      if (pending.events.empty()) {
        pending_line = lines;
        pending.received_at = now_millis();
      }
      pending.events.push_back(std::get<EventInput>(std::move(parsed)));
      if (pending.events.size() == kEventsPerCommand) flush();
    }
    flush();
  }
};

struct ImportOptions {
  std::string data, file;
  std::optional<std::string> tenant;
  bool create = false;
};

int import(const ImportOptions& o) {
  const std::filesystem::path file = o.file;
  const std::filesystem::path dir = o.data;
  const std::uint64_t size = std::filesystem::file_size(file);

  // Pass 1: validate everything, write nothing.
  Reader check(o.tenant);
  check.run(file, [](std::uint64_t, Command&&) {}, [](std::uint64_t) {});
  if (!check.errors.empty()) {
    for (const auto& e : check.errors) std::cerr << "eventctl: " << printable(e) << "\n";
    std::cerr << "eventctl: nothing imported\n";
    return kFailed;
  }

  if (!data_dir::holds_data(dir) && !o.create) throw Usage(dir.string() + " holds no eventsd data (--create makes it)");
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
  Reader reader(o.tenant);
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
            std::cerr << "eventctl: line " << line << ": refused: " << printable(r->message) << "\n";
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

}  // namespace

void add_import_command(CLI::App& app, Run& run) {
  auto [import, o] = add_data_command(app, run, "import",
                                      "JSON lines (records of dump, or events) as commands, through the same "
                                      "validation and deciders as the API; eventsd stopped",
                                      cli::import);
  import->add_option("--tenant", o->tenant, "whose the lines that are events are (dump records say their own)")
      ->type_name("T")
      ->check(tenant_id());
  import->add_flag("--create", o->create, "import into a directory that holds no data yet");
  import->add_option("FILE", o->file, "the JSON lines")->required();
}

}  // namespace eventsd::cli

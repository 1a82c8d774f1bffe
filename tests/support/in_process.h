// The write path without HTTP, wired as eventsd wires it (engine/engine.h): the log's store, the
// write model, the writer, and the projector folding the live read-model generation behind it,
// with a blocking submit (answered once the read models hold the command, as the server answers)
// and consistent reads for tests and benchmarks.
#pragma once

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>

#include "engine/engine.h"
#include "eventlog/data_dir.h"
#include "projections/read_models.h"

namespace eventsd::test {

struct InProcess {
  // `start`: start the writer too (a test that queues commands first, or sets a hook, starts it
  // itself with writer.start()).
  explicit InProcess(const std::filesystem::path& dir, StoreOptions options = {}, bool start = true)
      : engine(data_dir::log_dir(dir), data_dir::read_dir(dir), EngineOptions{.map_size = options.map_size}),
        store(engine.store), log(engine.log), model(engine.model), projector(engine.projector),
        writer(engine.writer) {
    engine.on_applied([this](std::uint64_t) {
      std::lock_guard lock(applied_mutex);
      applied_cv.notify_all();
    });
    projector.start();
    if (start) writer.start();
  }

  Outcome submit(Command command) {
    std::promise<Outcome> promise;
    auto future = promise.get_future();
    writer.submit(std::move(command), [&promise](Outcome o) { promise.set_value(std::move(o)); });
    return future.get();
  }

  // Waits until a generation is served that has folded `position` (e.g. the log's head after a
  // rebuild started at open()).
  void wait_served(std::uint64_t position) {
    std::unique_lock lock(applied_mutex);
    applied_cv.wait(lock, [&] { return projector.current() && projector.applied() >= position; });
  }

  // A consistent reading of the live read models (the ReadView a TenantView gives handlers).
  struct Snapshot {
    explicit Snapshot(InProcess& p)
        : generation(p.projector.current()), models(generation->store().read()), log(p.store.read()),
          view{generation->models(), models.txn(), log.txn()} {}
    std::optional<std::uint32_t> tno(std::string_view tenant) const {
      return view.models.tenant_no(view.txn, tenant);
    }
    std::shared_ptr<Generation> generation;
    Store::Reader models;
    Store::Reader log;
    ReadView view;
  };
  Snapshot read() { return Snapshot(*this); }

  std::mutex applied_mutex;
  std::condition_variable applied_cv;
  Engine engine;
  Store& store;
  Log& log;
  WriteModel& model;
  Projector& projector;
  Writer& writer;
};

inline EventInput event(std::string name, Millis ts, std::optional<std::string> contact = {}) {
  EventInput e;
  e.event = std::move(name);
  e.timestamp = ts;
  e.contact_id = std::move(contact);
  return e;
}

inline Command ingest_command(std::string tenant, std::vector<EventInput> events) {
  return Command{std::move(tenant), "test", IngestEvents{std::move(events), 1'000}};
}

}  // namespace eventsd::test

// The write path without HTTP: a store, log, read models and a running writer in one object,
// with a blocking submit for tests and benchmarks.
#pragma once

#include <future>

#include "commands/writer.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/catch_up.h"
#include "projections/read_models.h"

namespace eventsd::test {

struct InProcess {
  explicit InProcess(const std::filesystem::path& dir, StoreOptions options = {}, bool start = true)
      : store(dir, options), log(store), models(store, log), writer(store, log, models) {
    catch_up(store, log, models);  // as eventsd does before it serves
    if (start) writer.start();
  }

  Outcome submit(Command command) {
    std::promise<Outcome> promise;
    auto future = promise.get_future();
    writer.submit(std::move(command), [&promise](Outcome o) { promise.set_value(std::move(o)); });
    return future.get();
  }

  Store store;
  Log log;
  ReadModels models;
  Writer writer;
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

#include "engine/engine.h"

#include "eventlog/data_dir.h"

#include <memory>
#include <vector>

namespace eventsd {

namespace {

// Checked before anything else reads the log: appending after a damaged tail would bury it.
Store& checked(Store& store, const Log& log) {
  {
    auto reader = store.read();
    log.check_tail(reader.txn());
  }
  data_dir::drop_legacy_read_models(store);
  return store;
}

}  // namespace

Engine::Engine(const std::filesystem::path& log_dir, const std::filesystem::path& read_dir, EngineOptions options)
    : replica(options.replica), store(log_dir, StoreOptions{.map_size = options.map_size}), log(store),
      model(checked(store, log), log), projector(store, log, read_dir), writer(store, log, model, options.limits, *options.clock),
      commits(0) {
  if (auto folded = model.catch_up(store)) {
    report_.push_back("brought the write model up to date (" + std::to_string(folded) + " records)");
  }
  report_.push_back(projector.open());
  commits.published(projector.applied());
  projector.set_applied_listener([this](std::uint64_t applied) {
    commits.published(applied);
    for (const auto& listener : applied_listeners_) listener(applied);
  });
  // A write is answered once the read models have folded it (read-your-writes).
  writer.set_delivery([this](std::uint64_t head, std::vector<Writer::Completion> completions) {
    auto shared = std::make_shared<std::vector<Writer::Completion>>(std::move(completions));
    projector.when_applied(head, [shared] {
      for (auto& c : *shared) c.done(std::move(c.outcome));
    });
  });
  writer.set_commit_listener([this](std::uint64_t head) { projector.notify(head); });
  writer.set_throttle([this](std::uint64_t head) { projector.wait_for_room(head); });
}

Engine::~Engine() { stop(); }

void Engine::start() {
  projector.start();
  writer.start();
}

void Engine::stop() {
  writer.stop();
  projector.stop();
}

}  // namespace eventsd

// The campaign retention job (seed 003's window; docs/operations.md, "Campaign retention"):
// campaign events older than N days leave the read models. It runs once before the server serves
// and then periodically, on the writer of every engine this node decides writes for, as a
// command of its own (ApplyRetention) decided in bounded steps.
// Thread safety: run() from any thread; the clock is read once per run.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "commands/writer.h"
#include "common/clock.h"

namespace eventsd {

class CampaignRetention {
 public:
  // `days` 0: campaign events are kept forever (run() answers at once, nothing submitted).
  CampaignRetention(const Clock& clock, std::int64_t days) : clock_(clock), days_(days) {}

  // Submits the retention to each writer; `done` runs once per writer with its outcome (a
  // Deleted with the number purged, or a Rejection).
  void run(const std::vector<Writer*>& writers, const Writer::Done& done) const;
  // The same, waiting for every outcome; returns them in the writers' order.
  std::vector<Outcome> run_and_wait(const std::vector<Writer*>& writers) const;

  // A line for the log about an outcome ("" when there is nothing to say).
  static std::string describe(const Outcome& outcome);

 private:
  const Clock& clock_;
  const std::int64_t days_;
};

}  // namespace eventsd

#include "engine/campaign_retention.h"

#include <future>

namespace eventsd {

void CampaignRetention::run(const std::vector<Writer*>& writers, const Writer::Done& done) const {
  for (Writer* writer : writers) {
    if (days_ <= 0) {
      done(Deleted{});
      continue;
    }
    const Millis cutoff = clock_.now_millis() - days_ * kMillisPerDay;
    if (!writer->submit(Command{"", "eventsd:retention", ApplyRetention{cutoff}}, done)) {
      done(Rejection{503, "overloaded", "the writer's queue is full; the retention runs again later", "", 0});
    }
  }
}

std::vector<Outcome> CampaignRetention::run_and_wait(const std::vector<Writer*>& writers) const {
  std::vector<Outcome> outcomes;
  for (Writer* writer : writers) {
    std::promise<Outcome> outcome;
    run({writer}, [&outcome](Outcome o) { outcome.set_value(std::move(o)); });
    outcomes.push_back(outcome.get_future().get());
  }
  return outcomes;
}

std::string CampaignRetention::describe(const Outcome& outcome) {
  if (auto* d = std::get_if<Deleted>(&outcome); d && d->deleted > 0) {
    return "campaign retention purged " + std::to_string(d->deleted) + " event(s)";
  }
  if (auto* r = std::get_if<Rejection>(&outcome)) return "campaign retention failed: " + r->message;
  return {};
}

}  // namespace eventsd

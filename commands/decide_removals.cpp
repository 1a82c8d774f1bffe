// Deciding what leaves: a delete records the ids it found (and answers the others not found);
// the campaign retention purges the oldest expired campaign events, at most kStepEvents per
// record, and goes on in another step while a step is full.
#include <string>
#include <utility>
#include <vector>

#include "commands/deciders.h"
#include "eventlog/log_events.h"

namespace eventsd {

Decision decide_delete(const Command& command, const DeleteEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  const auto tno = cx.model.tenant_no(cx.txn, command.tenant);
  Deleted result;
  std::vector<const std::string*> found;
  for (const auto& id : cmd.ids) {
    if (tno && cx.model.find_seq(cx.txn, *tno, id)) {
      found.push_back(&id);
    } else {
      result.not_found.push_back(id);
    }
  }
  result.deleted = found.size();
  if (found.empty()) return {std::move(result), false};
  auto record = begin_record(command, cx, message);
  auto ids = record.initFact().initEventsDeleted().initIds(static_cast<unsigned>(found.size()));
  for (unsigned i = 0; i < found.size(); ++i) ids.set(i, *found[i]);
  return {std::move(result), true};
}

Decision decide_retention(const Command& command, const ApplyRetention& cmd, DecideContext& cx,
                          capnp::MessageBuilder& message) {
  // One step: the oldest expired events, at most kStepEvents; the writer goes on while a step is full.
  const auto expired = cx.model.expired_campaign_events(cx.txn, cmd.campaign_cutoff, kStepEvents);
  if (expired.empty()) return {Deleted{}, false};
  auto record = begin_record(command, cx, message);
  auto fact = record.initFact().initRetentionApplied();
  fact.setCampaignCutoff(cmd.campaign_cutoff);
  fact.setListed(true);
  LogEvents log_events(cx.txn, cx.model.log());
  std::vector<std::pair<std::string, std::string>> purged;  // (tenant, id)
  for (const auto& aged : expired) {
    auto e = log_events.get(aged.seq);
    auto tenant = cx.model.tenant_name(cx.txn, aged.tno);
    if (e && tenant) purged.emplace_back(std::move(*tenant), std::string(text_view(e->getId())));
  }
  fact.setPurged(purged.size());
  auto list = fact.initEvents(static_cast<unsigned>(purged.size()));
  for (unsigned i = 0; i < purged.size(); ++i) {
    list[i].setTenant(purged[i].first);
    list[i].setId(purged[i].second);
  }
  Decision d{Deleted{purged.size(), {}}, true};
  if (expired.size() == kStepEvents) d.more = command;
  return d;
}

}  // namespace eventsd

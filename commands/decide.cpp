#include "commands/decide.h"

#include <unordered_set>

namespace eventsd {

namespace {

schema::LogRecord::Builder begin_record(const Command& command, const DecideContext& cx,
                                        capnp::MessageBuilder& message) {
  auto record = message.initRoot<schema::LogRecord>();
  record.setRecordedAt(cx.now);
  record.setTenant(command.tenant);
  record.setActor(command.actor);
  return record;
}

void fill_event(schema::Event::Builder out, const EventInput& in, std::string_view id,
                Millis received_at, Millis now) {
  out.setId(std::string(id));
  out.setEvent(in.event);
  if (in.contact_id) out.setContactId(*in.contact_id);
  out.setTimestamp(in.timestamp.value_or(received_at));
  out.setCreatedAt(now);
  auto set = [](const std::optional<std::string>& v, auto setter) {
    if (v) setter(*v);
  };
  set(in.url, [&](const std::string& s) { out.setUrl(s); });
  set(in.referrer, [&](const std::string& s) { out.setReferrer(s); });
  set(in.domain, [&](const std::string& s) { out.setDomain(s); });
  set(in.session_id, [&](const std::string& s) { out.setSessionId(s); });
  set(in.utm_source, [&](const std::string& s) { out.setUtmSource(s); });
  set(in.utm_medium, [&](const std::string& s) { out.setUtmMedium(s); });
  set(in.utm_campaign, [&](const std::string& s) { out.setUtmCampaign(s); });
  set(in.campaign_id, [&](const std::string& s) { out.setCampaignId(s); });
  set(in.step_id, [&](const std::string& s) { out.setStepId(s); });
  set(in.email, [&](const std::string& s) { out.setEmail(s); });
  out.setData(in.data);
}

Decision decide_ingest(const Command& command, const IngestEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  const auto tno = cx.models.tenant_no(cx.txn, command.tenant);
  Ingested result;
  result.ids.reserve(cmd.events.size());
  // Indexes into cmd.events of the events to record, and their ids.
  std::vector<std::size_t> fresh;
  std::unordered_set<std::string_view> in_request;
  for (std::size_t i = 0; i < cmd.events.size(); ++i) {
    const auto& in = cmd.events[i];
    if (in.id) {
      const bool stored = tno && cx.models.find_seq(cx.txn, *tno, *in.id);
      if (stored || !in_request.insert(*in.id).second) {
        result.ids.push_back(*in.id);  // an idempotent retry: answer the stored id
        continue;
      }
      result.ids.push_back(*in.id);
    } else {
      result.ids.push_back(cx.ids.next(cx.now));
    }
    fresh.push_back(i);
  }
  if (fresh.empty()) return {std::move(result), false};
  auto record = begin_record(command, cx, message);
  auto events = record.initFact().initEventsIngested().initEvents(static_cast<unsigned>(fresh.size()));
  unsigned out = 0;
  for (std::size_t i : fresh) {
    fill_event(events[out++], cmd.events[i], result.ids[i], cmd.received_at, cx.now);
  }
  return {std::move(result), true};
}

Decision decide_delete(const Command& command, const DeleteEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  const auto tno = cx.models.tenant_no(cx.txn, command.tenant);
  Deleted result;
  std::vector<const std::string*> found;
  for (const auto& id : cmd.ids) {
    if (tno && cx.models.find_seq(cx.txn, *tno, id)) {
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

Decision decide_upsert(const Command& command, const UpsertContact& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  auto record = begin_record(command, cx, message);
  auto fact = record.initFact().initContactUpserted();
  fact.setContactId(cmd.contact_id);
  if (cmd.firstname) fact.setFirstname(*cmd.firstname);
  if (cmd.lastname) fact.setLastname(*cmd.lastname);
  if (cmd.email) fact.setEmail(*cmd.email);
  if (cmd.company_name) fact.setCompanyName(*cmd.company_name);
  if (cmd.company_domain) fact.setCompanyDomain(*cmd.company_domain);
  return {Recorded{}, true};
}

Decision decide_retention(const Command& command, const ApplyRetention& cmd, DecideContext& cx,
                          capnp::MessageBuilder& message) {
  const std::uint64_t expired = cx.models.count_expired_campaign_events(cx.txn, cmd.campaign_cutoff);
  if (expired == 0) return {Deleted{}, false};
  auto record = begin_record(command, cx, message);
  auto fact = record.initFact().initRetentionApplied();
  fact.setCampaignCutoff(cmd.campaign_cutoff);
  fact.setPurged(expired);
  return {Deleted{expired, {}}, true};
}

}  // namespace

Decision decide(const Command& command, DecideContext& cx, capnp::MessageBuilder& message) {
  return std::visit(
      [&](const auto& body) -> Decision {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, IngestEvents>) return decide_ingest(command, body, cx, message);
        else if constexpr (std::is_same_v<T, DeleteEvents>) return decide_delete(command, body, cx, message);
        else if constexpr (std::is_same_v<T, UpsertContact>) return decide_upsert(command, body, cx, message);
        else return decide_retention(command, body, cx, message);
      },
      command.body);
}

}  // namespace eventsd

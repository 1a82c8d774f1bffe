// Deciding an ingest: the ids the server makes, where a client's id is stored (a browser's in its
// own namespace), the retries it finds (answered with the stored id, recorded once), the contact
// an alias stands for, scoring points, and the suppression decisions against the contact's
// history (docs/suppression.md), all written into the EventsIngested fact so that folding or
// replaying it never decides again.
#include <set>
#include <unordered_set>

#include "commands/deciders.h"
#include "commands/event_input.h"
#include "commands/ingest_echo.h"
#include "commands/suppression.h"
#include "eventlog/log_events.h"

namespace eventsd {

namespace {

// What the decider settled for one event beyond what the client sent.
struct Settled {
  std::optional<std::string> contact;           // after alias resolution
  std::optional<std::string> original_contact;  // the client's contact, when an alias redirected it
  Millis timestamp = 0;
  std::int32_t points = 0;
};

void fill_event(schema::Event::Builder out, const EventInput& in, std::string_view id,
                const Settled& settled, Reason reason, Millis now) {
  out.setId(std::string(id));
  out.setEvent(in.event);
  if (settled.contact) out.setContactId(*settled.contact);
  if (settled.original_contact) out.setOriginalContactId(*settled.original_contact);
  out.setTimestamp(settled.timestamp);
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
  out.setSuppression(reason);
  out.setPoints(settled.points);
}

// The contact's recorded events: its own, and those of the contacts merged into it.
History contact_history(const DecideContext& cx, std::uint32_t tno) {
  return [&cx, tno](std::string_view contact, Millis from, Millis to,
                    const std::function<bool(const WindowEvent&)>& visit) {
    std::vector<std::string> contacts = cx.model.members(cx.txn, tno, contact);
    contacts.emplace_back(contact);
    cx.model.contact_events(cx.txn, tno, contacts, from, to, visit);
  };
}

}  // namespace

Decision decide_ingest(const Command& command, const IngestEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  const auto tno = cx.model.tenant_no(cx.txn, command.tenant);
  Ingested result;
  result.ids.reserve(cmd.events.size());
  // Indexes into cmd.events of the events to record.
  std::vector<std::size_t> fresh;
  std::unordered_set<std::string> in_request;
  for (std::size_t i = 0; i < cmd.events.size(); ++i) {
    const auto& in = cmd.events[i];
    if (in.id) {
      // A browser's id is another event than a server's of the same text: it is stored, and found
      // again by its retries, in the browser's namespace.
      std::string id = stored_event_id(*in.id, in.id_space);
      const bool stored = tno && cx.model.find_seq(cx.txn, *tno, id);
      const bool duplicate = stored || !in_request.insert(id).second;
      result.ids.push_back(std::move(id));  // a retry answers the stored id
      result.created.push_back(!duplicate);
      if (duplicate) continue;
    } else {
      result.ids.push_back(cx.ids.next(cx.now));
      result.created.push_back(true);
    }
    fresh.push_back(i);
  }
  // A stored duplicate as recorded, on the contact it now belongs to (merges move events).
  const StoredLookup lookup = [&](std::string_view id) -> std::optional<StoredEvent> {
    const auto seq = tno ? cx.model.find_seq(cx.txn, *tno, id) : std::nullopt;
    if (!seq) return std::nullopt;
    LogEvents log_events(cx.txn, cx.model.log());  // the event read is valid while this lives
    auto e = log_events.get(*seq);
    if (!e) return std::nullopt;
    StoredEvent out = copy_event(*seq, *e);
    if (out.contact_id) {
      std::string now = cx.model.resolve_contact(cx.txn, *tno, *out.contact_id);
      if (now != *out.contact_id) {
        if (!out.original_contact_id) out.original_contact_id = out.contact_id;
        out.contact_id = std::move(now);
      }
    }
    return out;
  };
  if (fresh.empty()) {
    if (cmd.echo) echo_events(result, {}, lookup);
    return {std::move(result), false};
  }

  // A tenant seen for the first time has no rules, aliases or history yet.
  SuppressionRules suppression;
  ScoringRules scoring;
  if (tno) {
    suppression = cx.model.suppression_rules(cx.txn, *tno);
    scoring = cx.model.scoring_rules(cx.txn, *tno);
  }
  SuppressionDecider decider(suppression, tno ? contact_history(cx, *tno) : History(
      [](std::string_view, Millis, Millis, const std::function<bool(const WindowEvent&)>&) {}));
  std::vector<Settled> settled;
  settled.reserve(fresh.size());
  for (std::size_t i : fresh) {
    const auto& in = cmd.events[i];
    Settled s;
    s.timestamp = in.timestamp.value_or(cmd.received_at);
    if (in.contact_id) {
      s.contact = tno ? cx.model.resolve_contact(cx.txn, *tno, *in.contact_id) : *in.contact_id;
      if (*s.contact != *in.contact_id) s.original_contact = *in.contact_id;
    }
    if (auto it = scoring.points.find(in.event); it != scoring.points.end()) s.points = it->second;
    if (!suppression.empty()) {
      decider.decide({in.event, s.contact, s.timestamp, in.data});
    }
    settled.push_back(std::move(s));
  }

  auto record = begin_record(command, cx, message);
  auto ingested = record.initFact().initEventsIngested();
  auto events = ingested.initEvents(static_cast<unsigned>(fresh.size()));
  for (unsigned k = 0; k < fresh.size(); ++k) {
    const Reason reason = suppression.empty() ? Reason::NONE : decider.reasons()[k];
    fill_event(events[k], cmd.events[fresh[k]], result.ids[fresh[k]], settled[k], reason, cx.now);
  }
  if (cmd.echo) echo_events(result, events.asReader(), lookup);
  if (!decider.regrouped().empty()) {
    // Recorded events a burst regrouped, by id (each once).
    const std::set<std::uint64_t> seqs(decider.regrouped().begin(), decider.regrouped().end());
    LogEvents log_events(cx.txn, cx.model.log());
    std::vector<std::string> ids;
    for (auto seq : seqs) {
      if (auto e = log_events.get(seq)) ids.emplace_back(text_view(e->getId()));
    }
    auto regrouped = ingested.initRegrouped(static_cast<unsigned>(ids.size()));
    for (unsigned k = 0; k < ids.size(); ++k) regrouped.set(k, ids[k]);
  }
  return {std::move(result), true};
}

}  // namespace eventsd

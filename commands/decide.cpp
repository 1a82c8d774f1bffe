#include "commands/decide.h"

#include <set>
#include <unordered_set>

#include "commands/echo.h"
#include "commands/suppression.h"
#include "eventlog/keys.h"
#include "eventlog/log_events.h"

namespace eventsd {

using keys::Key;

namespace {

schema::LogRecord::Builder begin_record(const Command& command, const DecideContext& cx,
                                        capnp::MessageBuilder& message) {
  auto record = message.initRoot<schema::LogRecord>();
  record.setRecordedAt(cx.now);
  record.setTenant(command.tenant);
  record.setActor(command.actor);
  return record;
}

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

Decision decide_ingest(const Command& command, const IngestEvents& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  const auto tno = cx.model.tenant_no(cx.txn, command.tenant);
  Ingested result;
  result.ids.reserve(cmd.events.size());
  // Indexes into cmd.events of the events to record.
  std::vector<std::size_t> fresh;
  std::unordered_set<std::string_view> in_request;
  for (std::size_t i = 0; i < cmd.events.size(); ++i) {
    const auto& in = cmd.events[i];
    if (in.id) {
      const bool stored = tno && cx.model.find_seq(cx.txn, *tno, *in.id);
      result.ids.push_back(*in.id);  // a retry answers the stored id
      const bool duplicate = stored || !in_request.insert(*in.id).second;
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

Decision decide_upsert(const Command& command, const UpsertContact& cmd, DecideContext& cx,
                       capnp::MessageBuilder& message) {
  // A contact merged into another is an alias: its profile goes to the contact it stands for,
  // where every read looks.
  const auto tno = cx.model.tenant_no(cx.txn, command.tenant);
  const std::string contact = tno ? cx.model.resolve_contact(cx.txn, *tno, cmd.contact_id) : cmd.contact_id;
  auto record = begin_record(command, cx, message);
  auto fact = record.initFact().initContactUpserted();
  fact.setContactId(contact);
  if (cmd.firstname) fact.setFirstname(*cmd.firstname);
  if (cmd.lastname) fact.setLastname(*cmd.lastname);
  if (cmd.email) fact.setEmail(*cmd.email);
  if (cmd.company_name) fact.setCompanyName(*cmd.company_name);
  if (cmd.company_domain) fact.setCompanyDomain(*cmd.company_domain);
  return {Recorded{}, true};
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

Rejection merge_rejection(std::string field, std::string message) {
  return Rejection{400, "invalid_request", std::move(message), std::move(field)};
}

Decision decide_merge(const Command& command, const MergeContacts& cmd, DecideContext& cx,
                      capnp::MessageBuilder& message) {
  const auto tno = cx.model.tenant_no(cx.txn, command.tenant);
  MergeContacts::Progress progress;
  std::string into = cmd.into;
  if (cmd.progress) {
    // A later step: `from` is an alias now; it stands for whatever its merge led to since.
    progress = *cmd.progress;
    into = tno ? cx.model.resolve_contact(cx.txn, *tno, cmd.from) : cmd.into;
  } else {
    if (cmd.from == cmd.into) return {merge_rejection("into", "cannot merge a contact into itself"), false};
    if (tno) {
      const std::string from_now = cx.model.resolve_contact(cx.txn, *tno, cmd.from);
      if (from_now != cmd.from) {
        return {merge_rejection("from", cmd.from + " was already merged into " + from_now), false};
      }
      into = cx.model.resolve_contact(cx.txn, *tno, cmd.into);
      if (into == cmd.from) {
        return {merge_rejection("into", cmd.into + " was merged into " + cmd.from + ": this merge would make a cycle"),
                false};
      }
      progress.sources = cx.model.members(cx.txn, *tno, cmd.from);
    }
    progress.sources.insert(progress.sources.begin(), cmd.from);
  }
  // The next live events of `from` (and of the contacts merged into it), at most kStepEvents.
  std::vector<std::string> moved;
  if (tno) {
    LogEvents log_events(cx.txn, cx.model.log());
    while (progress.source < progress.sources.size() && moved.size() < kStepEvents) {
      const auto seqs = cx.model.contact_seqs(cx.txn, *tno, progress.sources[progress.source], progress.after,
                                              kStepEvents - moved.size());
      for (auto seq : seqs) {
        if (auto e = log_events.get(seq)) moved.emplace_back(text_view(e->getId()));
      }
      if (moved.size() < kStepEvents) {
        ++progress.source;
        progress.after.clear();
      }
    }
  }
  if (cmd.progress && moved.empty()) return {Merged{into, 0}, false};
  auto record = begin_record(command, cx, message);
  auto fact = record.initFact().initContactsMerged();
  fact.setFrom(cmd.from);
  fact.setInto(into);
  auto list = fact.initMoved(static_cast<unsigned>(moved.size()));
  for (unsigned i = 0; i < moved.size(); ++i) list.set(i, moved[i]);
  Decision d{Merged{into, moved.size()}, true};
  if (progress.source < progress.sources.size()) {
    Command next = command;
    std::get<MergeContacts>(next.body).progress = std::move(progress);
    d.more = std::move(next);
  }
  return d;
}

Decision decide_suppression_rules(const Command& command, const SetSuppressionRules& cmd,
                                  DecideContext& cx, capnp::MessageBuilder& message) {
  auto record = begin_record(command, cx, message);
  const auto& r = cmd.rules;
  auto rules = record.initFact().initSuppressionRulesSet().initRules(
      static_cast<unsigned>(r.velocity.size() + r.metadata.size()));
  unsigned k = 0;
  for (const auto& v : r.velocity) {
    auto out = rules[k++].initVelocity();
    out.setMaxEvents(v.max_events);
    out.setWindowSeconds(v.window_seconds);
    if (v.event) out.setEvent(*v.event);
    out.setKeepFirst(v.keep_first);
  }
  for (const auto& m : r.metadata) {
    auto out = rules[k++].initMetadata();
    out.setKey(m.key);
    if (m.equals) out.setEquals(*m.equals);
    else out.setContains(m.contains.value_or(""));
  }
  return {Recorded{}, true};
}

Decision decide_scoring_rules(const Command& command, const SetScoringRules& cmd, DecideContext& cx,
                              capnp::MessageBuilder& message) {
  auto record = begin_record(command, cx, message);
  auto rules = record.initFact().initScoringRulesSet().initRules(static_cast<unsigned>(cmd.rules.size()));
  for (unsigned k = 0; k < cmd.rules.size(); ++k) {
    rules[k].setEvent(cmd.rules[k].first);
    rules[k].setPoints(cmd.rules[k].second);
  }
  return {Recorded{}, true};
}

}  // namespace

Outcome merge_outcomes(Outcome so_far, Outcome next) {
  if (std::holds_alternative<Rejection>(next)) return next;
  if (std::holds_alternative<Rejection>(so_far)) return so_far;
  if (auto* m = std::get_if<Merged>(&so_far); m && std::holds_alternative<Merged>(next)) {
    const auto& n = std::get<Merged>(next);
    m->into = n.into;
    m->moved += n.moved;
  } else if (auto* d = std::get_if<Deleted>(&so_far); d && std::holds_alternative<Deleted>(next)) {
    d->deleted += std::get<Deleted>(next).deleted;
  }
  std::visit([&](auto& o) {
    if constexpr (requires { o.position; }) o.position = std::max(o.position, position_of(next));
  }, so_far);
  return so_far;
}

Decision decide(const Command& command, DecideContext& cx, capnp::MessageBuilder& message) {
  return std::visit(
      [&](const auto& body) -> Decision {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, IngestEvents>) return decide_ingest(command, body, cx, message);
        else if constexpr (std::is_same_v<T, DeleteEvents>) return decide_delete(command, body, cx, message);
        else if constexpr (std::is_same_v<T, UpsertContact>) return decide_upsert(command, body, cx, message);
        else if constexpr (std::is_same_v<T, ApplyRetention>) return decide_retention(command, body, cx, message);
        else if constexpr (std::is_same_v<T, MergeContacts>) return decide_merge(command, body, cx, message);
        else if constexpr (std::is_same_v<T, SetSuppressionRules>) return decide_suppression_rules(command, body, cx, message);
        else return decide_scoring_rules(command, body, cx, message);
      },
      command.body);
}

}  // namespace eventsd

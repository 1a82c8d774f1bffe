// Deciding for contacts: a profile upsert goes to the contact an alias stands for; a merge is
// checked (no self-merge, no alias as its source, no cycle), then moves the source's events and
// those of the contacts merged into it, at most kStepEvents per record, in steps.
#include <string>
#include <vector>

#include "commands/deciders.h"
#include "eventlog/log_events.h"

namespace eventsd {

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

namespace {

Rejection merge_rejection(std::string field, std::string message) {
  return Rejection{400, "invalid_request", std::move(message), std::move(field)};
}

}  // namespace

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

}  // namespace eventsd

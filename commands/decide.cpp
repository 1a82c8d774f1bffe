// decide(): a command to the decider of its kind (deciders.h), and the outcome of a command
// decided in steps.
#include "commands/decide.h"

#include <algorithm>

#include "commands/deciders.h"

namespace eventsd {

schema::LogRecord::Builder begin_record(const Command& command, const DecideContext& cx,
                                        capnp::MessageBuilder& message) {
  auto record = message.initRoot<schema::LogRecord>();
  record.setRecordedAt(cx.now);
  record.setTenant(command.tenant);
  record.setActor(command.actor);
  return record;
}

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

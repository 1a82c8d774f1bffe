// What the deciders ask the write model, in the writer's transaction: tenants by name and
// number, live events by id, aliases and members, the rules in force, the events recorded under
// contacts (velocity windows, merges) and campaign events by age (retention).
#include <string>
#include <utility>
#include <vector>

#include "commands/write_model.h"
#include "commands/write_model_layout.h"
#include "eventlog/keys.h"

namespace eventsd {

using keys::Key;
using namespace write_model_layout;

namespace {

// A wm_contact_events entry as the deciders see it.
WindowEvent window_event(std::string_view key, std::string_view value) {
  const bool suppressed = !value.empty() && (value[0] & kSuppressedFlag);
  return {keys::read_i64(key, key.size() - 16), keys::read_u64(key, key.size() - 8), suppressed,
          value.substr(value.empty() ? 0 : 1)};
}

}  // namespace

std::optional<std::uint32_t> WriteModel::tenant_no(const lmdb::Txn& txn, std::string_view tenant) const {
  std::string_view v;
  if (!txn.get(dbs_.tenants, tenant, v)) return std::nullopt;
  return keys::read_u32(v, 0);
}

std::optional<std::string> WriteModel::tenant_name(const lmdb::Txn& txn, std::uint32_t tno) const {
  std::string_view v;
  if (!txn.get(dbs_.tenants, Key().u8(0).u32(tno), v)) return std::nullopt;
  return std::string(v);
}

std::optional<std::uint64_t> WriteModel::find_seq(const lmdb::Txn& txn, std::uint32_t tno,
                                                  std::string_view id) const {
  std::string_view v;
  if (!txn.get(dbs_.ids, Key().u32(tno).raw(id), v)) return std::nullopt;
  return keys::read_u64(v, 0);
}

std::string WriteModel::resolve_contact(const lmdb::Txn& txn, std::uint32_t tno,
                                        std::string_view contact) const {
  std::string_view v;
  if (txn.get(dbs_.aliases, Key().u32(tno).str(contact), v)) return std::string(v);
  return std::string(contact);
}

std::vector<std::string> WriteModel::members(const lmdb::Txn& txn, std::uint32_t tno,
                                             std::string_view contact) const {
  std::vector<std::string> out;
  const Key prefix = Key().u32(tno).str(contact);
  lmdb::Cursor cursor(txn, dbs_.members);
  for (bool ok = cursor.seek(prefix); ok && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
    const auto rest = cursor.key().substr(prefix.size());
    out.emplace_back(rest.substr(0, rest.size() - 1));
  }
  return out;
}

SuppressionRules WriteModel::suppression_rules(const lmdb::Txn& txn, std::uint32_t tno) const {
  std::string_view v;
  if (!txn.get(dbs_.rules, Key().u32(tno).u8(kSuppressionRules), v)) return {};
  return from_message<schema::SuppressionRulesSet>(v, [](auto r) { return eventsd::suppression_rules(r); });
}

ScoringRules WriteModel::scoring_rules(const lmdb::Txn& txn, std::uint32_t tno) const {
  std::string_view v;
  if (!txn.get(dbs_.rules, Key().u32(tno).u8(kScoringRules), v)) return {};
  return from_message<schema::ScoringRulesSet>(v, [](auto r) { return eventsd::scoring_rules(r); });
}

void WriteModel::contact_events(const lmdb::Txn& txn, std::uint32_t tno, std::string_view contact,
                                Millis from, Millis to,
                                const std::function<bool(const WindowEvent&)>& visit) const {
  const Key prefix = Key().u32(tno).str(contact);
  lmdb::Cursor cursor(txn, dbs_.contact_events);
  for (bool ok = cursor.seek(Key().raw(prefix).i64(from)); ok && cursor.key().starts_with(prefix.view());
       ok = cursor.next()) {
    const WindowEvent e = window_event(cursor.key(), cursor.value());
    if (e.timestamp > to) break;
    if (!visit(e)) break;
  }
}

void WriteModel::contact_events(const lmdb::Txn& txn, std::uint32_t tno,
                                const std::vector<std::string>& contacts, Millis from, Millis to,
                                const std::function<bool(const WindowEvent&)>& visit) const {
  if (contacts.size() == 1) return contact_events(txn, tno, contacts[0], from, to, visit);
  // A k-way merge of the contacts' ranges (a contact and the few merged into it).
  struct Head {
    lmdb::Cursor cursor;
    std::size_t prefix;
    bool live;
  };
  std::vector<Head> heads;
  for (const auto& c : contacts) {
    const Key prefix = Key().u32(tno).str(c);
    lmdb::Cursor cursor(txn, dbs_.contact_events);
    const bool ok = cursor.seek(Key().raw(prefix).i64(from)) && cursor.key().starts_with(prefix.view()) &&
                    keys::read_i64(cursor.key(), cursor.key().size() - 16) <= to;
    heads.push_back({std::move(cursor), prefix.size(), ok});
  }
  auto order = [](const Head& h) {
    const auto key = h.cursor.key();
    return std::pair(keys::read_i64(key, key.size() - 16), keys::read_u64(key, key.size() - 8));
  };
  for (;;) {
    Head* next = nullptr;
    for (auto& h : heads) {
      if (h.live && (!next || order(h) < order(*next))) next = &h;
    }
    if (!next) return;
    const auto key = next->cursor.key();
    if (!visit(window_event(key, next->cursor.value()))) return;
    const std::string prefix(key.substr(0, next->prefix));
    next->live = next->cursor.next() && next->cursor.key().starts_with(prefix) &&
                 keys::read_i64(next->cursor.key(), next->cursor.key().size() - 16) <= to;
  }
}

std::vector<std::uint64_t> WriteModel::contact_seqs(const lmdb::Txn& txn, std::uint32_t tno,
                                                    std::string_view contact, std::string& after,
                                                    std::size_t limit) const {
  std::vector<std::uint64_t> out;
  const Key prefix = Key().u32(tno).str(contact);
  lmdb::Cursor cursor(txn, dbs_.contact_events);
  bool ok = after.empty() ? cursor.seek(prefix) : cursor.seek(after);
  if (ok && !after.empty() && cursor.key() == after) ok = cursor.next();
  for (; ok && out.size() < limit && cursor.key().starts_with(prefix.view()); ok = cursor.next()) {
    out.push_back(keys::read_u64(cursor.key(), cursor.key().size() - 8));
    after = std::string(cursor.key());
  }
  return out;
}

std::vector<AgedEvent> WriteModel::expired_campaign_events(const lmdb::Txn& txn, Millis cutoff,
                                                           std::size_t limit) const {
  std::vector<AgedEvent> out;
  lmdb::Cursor cursor(txn, dbs_.campaign_events);
  for (bool ok = cursor.first(); ok && out.size() < limit; ok = cursor.next()) {
    const auto key = cursor.key();
    const Millis ts = keys::read_i64(key, 0);
    if (ts >= cutoff) break;
    out.push_back({ts, keys::read_u32(key, 8), keys::read_u64(key, 12)});
  }
  return out;
}

}  // namespace eventsd

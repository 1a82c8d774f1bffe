#include "projections/bulk_collect.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "eventlog/log_events.h"

namespace eventsd::bulk {

std::string_view Arena::keep(std::string_view s) {
  if (s.size() > left_) {
    const std::size_t size = std::max(kBlock, s.size());
    blocks_.push_back(std::make_unique<char[]>(size));
    next_ = blocks_.back().get();
    left_ = size;
  }
  std::memcpy(next_, s.data(), s.size());
  const std::string_view out(next_, s.size());
  next_ += s.size();
  left_ -= s.size();
  return out;
}

std::uint32_t Dictionary::intern(std::string_view s) {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  const std::string_view kept = arena_.keep(s);
  ids_.emplace(kept, static_cast<std::uint32_t>(strings_.size()));
  strings_.push_back(kept);
  return static_cast<std::uint32_t>(strings_.size() - 1);
}

namespace {

void add(Counters& c, std::uint8_t flags) {
  c.all += 1;
  if (flags & kIdentified) c.identified += 1;
  if (flags & kSuppressed) c.suppressed += 1;
  if ((flags & kIdentified) && (flags & kSuppressed)) c.identified_suppressed += 1;
}

class Collector {
 public:
  explicit Collector(Collected& out) : c_(out) {}

  bool collect(const lmdb::Txn& log_txn, const Log& log, const BulkLimits& limits,
               const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
    LogCursor cursor(log_txn, log);
    for (bool ok = cursor.seek(1); ok && c_.events < limits.max_events && cursor.position() <= limits.until;
         ok = cursor.next()) {
      const std::uint64_t position = cursor.position();
      c_.views.emplace_back(std::make_unique<RecordView>(cursor.bytes()));
      const auto record = c_.views.back()->root();
      const auto fact = record.getFact();
      const std::string_view tenant = text_view(record.getTenant());
      switch (fact.which()) {
        case schema::LogRecord::Fact::EVENTS_INGESTED: {
          Tenant& t = assign(tenant);
          std::uint32_t index = 0;
          for (auto e : fact.getEventsIngested().getEvents()) insert(t, event_seq(position, index++), e);
          break;
        }
        case schema::LogRecord::Fact::CONTACTS_MERGED:
        case schema::LogRecord::Fact::SUPPRESSION_RULES_SET:
        case schema::LogRecord::Fact::SCORING_RULES_SET:
        case schema::LogRecord::Fact::CONTACT_UPSERTED:
          assign(tenant);
          break;
        case schema::LogRecord::Fact::RETENTION_APPLIED:
          if (!fact.getRetentionApplied().getListed()) return false;  // purges by age, not by name
          break;
        case schema::LogRecord::Fact::EVENTS_DELETED:
          break;
      }
      if (ReadModels::mutates(record)) c_.mutations.push_back({position, c_.views.size() - 1});
      else c_.views.back().reset();  // nothing to apply later (what pass 2 needs was copied)
      c_.last = position;
      if (progress && (position & 0x3FF) == 0) progress(position, c_.events);
    }
    // An id used again after its event was deleted or purged names a new event from the record
    // that ingested it on: pass 2 writes each id's first event, and pass 3 puts the later ones in
    // log order, between the deletions (which find the earlier event) and what follows.
    for (auto& t : c_.tenants) {
      std::stable_sort(t->ids.begin(), t->ids.end(), [](const IdEntry& a, const IdEntry& b) { return a.id < b.id; });
      std::size_t kept = 0;
      for (std::size_t i = 0; i < t->ids.size(); ++i) {
        if (kept > 0 && t->ids[i].id == t->ids[kept - 1].id) {
          c_.reused.push_back({seq_position(t->ids[i].seq), t->tno, t->ids[i]});
        } else {
          t->ids[kept++] = t->ids[i];
        }
      }
      t->ids.resize(kept);
    }
    std::sort(c_.reused.begin(), c_.reused.end(), [](const Reused& a, const Reused& b) { return a.id.seq < b.id.seq; });
    return c_.last > 0;
  }

 private:
  Tenant& assign(std::string_view name) {
    if (last_tenant_ && last_tenant_->name == name) return *last_tenant_;
    auto it = tenant_index_.find(name);
    if (it == tenant_index_.end()) {
      c_.tenants.push_back(std::make_unique<Tenant>());
      c_.tenants.back()->name = c_.strings.keep(name);
      name = c_.tenants.back()->name;
      c_.tenants.back()->tno = static_cast<std::uint32_t>(c_.tenants.size());
      it = tenant_index_.emplace(name, c_.tenants.back().get()).first;
    }
    return *(last_tenant_ = it->second);
  }

  void insert(Tenant& t, std::uint64_t seq, schema::Event::Reader e) {
    ++c_.events;
    std::uint8_t flags = 0;
    if (e.hasContactId()) flags |= kIdentified;
    if (e.getSuppression() != schema::SuppressionReason::NONE) flags |= kSuppressed;
    const std::int64_t ts = e.getTimestamp();
    const Entry entry{ts, seq | (std::uint64_t{flags} << 62)};
    const std::uint32_t name = c_.names.intern(text_view(e.getEvent()));
    const std::uint32_t domain = e.hasDomain() ? c_.domains.intern(text_view(e.getDomain())) : 0;
    const std::uint32_t campaign = e.hasCampaignId() ? c_.campaigns.intern(text_view(e.getCampaignId())) : 0;
    t.events.push_back(seq);
    t.ids.push_back({c_.strings.keep(text_view(e.getId())), seq});
    t.by_time.push_back(entry);
    t.by_type[name].push_back(entry);
    std::uint32_t contact = 0;
    if (e.hasContactId()) {
      contact = c_.contacts.intern(text_view(e.getContactId()));
      t.by_contact[contact].push_back(ContactIndexEntry{entry, e.getPoints(), name});
    }
    if (!(flags & kSuppressed)) {
      if (contact) t.contact_points[contact].push_back(entry);
      else if (e.hasSessionId()) t.anonymous_points[c_.session_ids.intern(text_view(e.getSessionId()))].push_back(entry);
    }
    if (domain) t.by_domain[domain].push_back(entry);
    if (campaign) {
      t.by_campaign[campaign].push_back(entry);
      c_.campaign_expiry.push_back({ts, t.tno, entry.seq_flags});
    }
    const std::uint8_t reason = flags & kSuppressed ? static_cast<std::uint8_t>(e.getSuppression()) : 0;
    add(c_.cells[CellKey{t.tno, name, domain, campaign, day_start(ts), reason}], flags);
  }

  Collected& c_;
  std::unordered_map<std::string_view, Tenant*> tenant_index_;
  Tenant* last_tenant_ = nullptr;
};

}  // namespace

bool collect(const lmdb::Txn& log_txn, const Log& log, const BulkLimits& limits,
             const std::function<void(std::uint64_t, std::uint64_t)>& progress, Collected& out) {
  return Collector(out).collect(log_txn, log, limits, progress);
}

}  // namespace eventsd::bulk

#include "projections/aggregate.h"

#include <utility>

#include "projections/aggregate_sources.h"
#include "projections/index_scan.h"

namespace eventsd {

namespace {

constexpr std::pair<std::string_view, MetricKind> kMetricNames[] = {
    {"count", MetricKind::count},   {"unique_contacts", MetricKind::unique_contacts},
    {"unique_sessions", MetricKind::unique_sessions},
    {"sum", MetricKind::sum},       {"avg", MetricKind::avg},
    {"min", MetricKind::min},       {"max", MetricKind::max},
    {"p50", MetricKind::p50},       {"p95", MetricKind::p95},
};

std::string_view take_str(std::string_view key, std::size_t& at) {
  const std::size_t end = key.find('\0', at);
  const std::string_view s = key.substr(at, end - at);
  at = end + 1;
  return s;
}

}  // namespace

std::string_view source_name(AggregateSource source) {
  switch (source) {
    case AggregateSource::events: return "events";
    case AggregateSource::contacts: return "contacts";
    case AggregateSource::companies: return "companies";
  }
  return {};
}

std::optional<Metric> parse_metric(std::string_view name) {
  const auto open = name.find('(');
  if (open == std::string_view::npos) {
    for (const auto& [n, k] : kMetricNames) {
      if (n == name && k <= MetricKind::unique_sessions) return Metric{k, {}};
    }
    return std::nullopt;
  }
  if (name.back() != ')') return std::nullopt;
  const auto field = parse_field(name.substr(open + 1, name.size() - open - 2));
  if (!field || field->field != Field::data) return std::nullopt;
  for (const auto& [n, k] : kMetricNames) {
    if (n == name.substr(0, open) && k >= MetricKind::sum) return Metric{k, field->key};
  }
  return std::nullopt;
}

std::string metric_name(const Metric& m) {
  for (const auto& [n, k] : kMetricNames) {
    if (k != m.kind) continue;
    if (k <= MetricKind::unique_sessions) return std::string(n);
    return std::string(n) + "(" + field_name(FieldRef{Field::data, m.key}) + ")";
  }
  return {};
}

bool dimension_allowed(AggregateSource source, const FieldRef& f) {
  switch (source) {
    case AggregateSource::events: return true;
    case AggregateSource::contacts:
      return f.field == Field::contact_id || is_profile_field(f.field) || is_time_bucket(f.field);
    case AggregateSource::companies: return is_company_field(f.field);
  }
  return false;
}

bool metric_allowed(AggregateSource source, const Metric& m) {
  switch (source) {
    case AggregateSource::events: return true;
    case AggregateSource::contacts: return m.kind == MetricKind::count;
    case AggregateSource::companies: return m.kind == MetricKind::count || m.kind == MetricKind::unique_contacts;
  }
  return false;
}

bool counters_can_answer(const AggregateRequest& r) {
  if (!r.use_counters || r.source != AggregateSource::events || !r.where.empty()) return false;
  const EventFilter& f = r.filter;
  if (f.contact_id || f.campaign_id || f.url_contains || f.search) return false;
  for (const Metric& m : r.metrics) {
    if (m.kind != MetricKind::count) return false;
  }
  for (const FieldRef& g : r.group_by) {
    if (g.field == Field::day ? !r.zone.always_utc() : g.field != Field::event && g.field != Field::domain) {
      return false;
    }
  }
  // Counters are per UTC day: bounds must fall on midnights.
  if (f.after && *f.after % kMillisPerDay != 0) return false;
  if (f.before && (*f.before + 1) % kMillisPerDay != 0) return false;
  return true;
}

void aggregate_from_counters(const ReadView& view, std::uint32_t tno, const AggregateRequest& r,
                             GroupTable& table, AggregateResult& result) {
  const EventFilter& f = r.filter;
  bool by_day = false, by_name_or_domain = f.event_type || f.domain;
  for (const FieldRef& g : r.group_by) {
    if (g.field == Field::day) by_day = true;
    else by_name_or_domain = true;
  }
  bool full = false;
  auto add = [&](std::optional<std::string_view> name, std::optional<std::string_view> domain,
                 std::optional<Millis> day, const Counters& c) {
    if (f.event_type && name != std::string_view(*f.event_type)) return;
    if (f.domain && domain != std::string_view(*f.domain)) return;
    const std::uint64_t n = listing::pick(c, f);
    if (n == 0) return;
    GroupTable::Key key{};
    for (std::size_t d = 0; d < r.group_by.size(); ++d) {
      switch (r.group_by[d].field) {
        case Field::event: key[d] = table.value_id(d, FieldValue::text(name)); break;
        // A missing domain is counted under "".
        case Field::domain:
          key[d] = table.value_id(d, FieldValue::text(domain && !domain->empty() ? domain : std::nullopt));
          break;
        default: key[d] = table.bucket_id(d, *day);
      }
    }
    if (auto* acc = table.group(key)) acc->count += n;
    else full = true;
  };
  lmdb::Cursor cursor(view.txn, view.models.dbs().counts);
  auto walk = [&](CountKind kind, auto&& on_row) {
    const rm::Key prefix = rm::counts_prefix(tno, kind);
    const bool dated = kind != CountKind::type_domain;
    bool ok = cursor.seek(dated && f.after ? rm::counts_day_seek(tno, kind, *f.after).view() : prefix.view());
    for (; ok && cursor.key().starts_with(prefix.view()) && !full; ok = cursor.next()) {
      const std::string_view key = cursor.key();
      std::size_t at = prefix.size();
      std::optional<Millis> day;
      if (dated) {
        day = rm::counts_key_day(key);
        if (f.before && *day > *f.before) break;
        at += 8;
      }
      on_row(key, at, day, rm::read_counts_value(cursor.value()));
    }
  };
  if (!by_day && !f.after && !f.before) {
    result.plan = "rm_counts (event name, domain)";
    walk(CountKind::type_domain, [&](std::string_view key, std::size_t at, std::optional<Millis>, const Counters& c) {
      const auto name = take_str(key, at);
      add(name, take_str(key, at), std::nullopt, c);
    });
  } else if (!by_name_or_domain) {
    result.plan = "rm_counts (day)";
    walk(CountKind::day, [&](std::string_view, std::size_t, std::optional<Millis> day, const Counters& c) {
      add(std::nullopt, std::nullopt, day, c);
    });
  } else {
    result.plan = "rm_counts (day, event name, domain)";
    walk(CountKind::day_type_domain, [&](std::string_view key, std::size_t at, std::optional<Millis> day, const Counters& c) {
      const auto name = take_str(key, at);
      add(name, take_str(key, at), day, c);
    });
  }
  if (full) result.truncated = "max_groups";
}

void aggregate_events(const ReadView& view, std::uint32_t tno, const AggregateRequest& r,
                      GroupTable& table, AggregateResult& result) {
  ScanSpec spec;
  add_list_filter(r.filter, spec);
  spec.where.insert(spec.where.end(), r.where.begin(), r.where.end());
  spec.max_examined = r.max_examined;
  for (const FieldRef& g : r.group_by) {
    if (!is_time_bucket(g.field)) spec.reads.push_back(g);
  }
  const FieldRef contact{Field::contact_id, {}}, session{Field::session_id, {}};
  if (table.wants_sessions()) spec.reads.push_back(session);
  std::vector<FieldRef> numeric;
  for (const auto& k : table.numeric_keys()) numeric.push_back(FieldRef{Field::data, k});
  spec.reads.insert(spec.reads.end(), numeric.begin(), numeric.end());

  // Unique contacts need only identified events, which rm_by_contact lists with their contact and
  // name: when the other metrics can come from an index too, two scans without the log beat one
  // that reads every event from it.
  ScanSpec people = spec;
  people.identified_only = true;
  people.reads.push_back(contact);
  bool split = false;
  if (table.wants_contacts()) {
    ScanSpec all = spec;
    all.reads.push_back(contact);
    split = scan_reads_log(view, tno, all) && !scan_reads_log(view, tno, spec) && !scan_reads_log(view, tno, people);
    if (!split) spec = std::move(all);
  }

  bool full = false;
  auto key_of = [&](ScannedEvent& e) {
    GroupTable::Key key{};
    for (std::size_t d = 0; d < r.group_by.size(); ++d) {
      key[d] = is_time_bucket(r.group_by[d].field) ? table.bucket_id(d, e.timestamp())
                                                   : table.value_id(d, e.value(r.group_by[d]));
    }
    return key;
  };
  auto add_contact = [&](ScannedEvent& e, GroupTable::Acc& acc) {
    const FieldValue v = e.value(contact);
    if (v.present()) acc.contacts.add(table.contact_id(v.v));
  };
  ScanOutcome outcome = scan_events(view, tno, spec, [&](ScannedEvent& e) {
    GroupTable::Acc* acc = table.group(key_of(e));
    if (!acc) {
      full = true;
      return false;
    }
    ++acc->count;
    if (table.wants_contacts() && !split) add_contact(e, *acc);
    if (table.wants_sessions()) {
      const FieldValue v = e.value(session);
      if (v.present()) acc->sessions.add(table.session_id(v.v));
    }
    for (std::size_t s = 0; s < numeric.size(); ++s) {
      const FieldValue v = e.value(numeric[s]);
      if (v.kind != FieldValue::Kind::json) continue;
      if (auto n = read_number(v.v)) table.add_number(*acc, s, *n);
    }
    return true;
  });
  result.plan = outcome.plan;
  if (split && !full && outcome.examined < r.max_examined) {
    people.max_examined = r.max_examined - outcome.examined;
    const ScanOutcome second = scan_events(view, tno, people, [&](ScannedEvent& e) {
      GroupTable::Acc* acc = table.group(key_of(e));
      if (!acc) {
        full = true;
        return false;
      }
      add_contact(e, *acc);
      return true;
    });
    outcome.examined += second.examined;
    outcome.truncated = outcome.truncated || second.truncated;
    result.plan += ", then " + second.plan + " for unique_contacts";
  } else if (split) {
    outcome.truncated = true;
  }
  result.examined = outcome.examined;
  if (full) result.truncated = "max_groups";
  else if (outcome.truncated) result.truncated = "max_examined";
}

AggregateResult run_aggregate(const ReadView& view, std::optional<std::uint32_t> tno,
                              const AggregateRequest& request) {
  AggregateResult result;
  GroupTable table(request);
  if (!tno) {
    result.plan = "none (the tenant has recorded nothing)";
  } else if (request.source == AggregateSource::contacts) {
    aggregate_contacts(view, *tno, request, table, result);
  } else if (request.source == AggregateSource::companies) {
    aggregate_companies(view, *tno, request, table, result);
  } else if (counters_can_answer(request)) {
    aggregate_from_counters(view, *tno, request, table, result);
  } else {
    aggregate_events(view, *tno, request, table, result);
  }
  table.finish(result);
  return result;
}

}  // namespace eventsd

#include "http/dialects/aggregate_input.h"

#include <algorithm>
#include <limits>

#include "commands/event_input.h"
#include "common/json_reader.h"
#include "http/api/api.h"
#include "http/api/filters.h"

namespace eventsd::http {

namespace {

constexpr std::size_t kMaxConditions = 20;
constexpr std::size_t kMaxValueBytes = 1024;

std::string at(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string at(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const JsonValue& object_at(const JsonValue& v, const std::string& path) {
  if (!v.is_object()) throw bad_param(path.empty() ? "body" : path, (path.empty() ? "the body" : path) + " must be an object");
  return v;
}

void only_keys(const JsonValue& o, const std::string& path, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : o.members()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      throw bad_param(at(path, k), "unknown field '" + std::string(k) + "'");
    }
  }
}

std::string text_at(const JsonValue& v, const std::string& field, std::size_t max) {
  if (!v.is_string() || !is_clean_text(v.get_string(), max)) {
    throw bad_param(field, field + " must be a string of 1-" + std::to_string(max) + " bytes without control characters");
  }
  return std::string(v.get_string());
}

std::int64_t int_at(const JsonValue& v, const std::string& field, std::int64_t min, std::int64_t max) {
  const std::optional<std::int64_t> n = v.to_int64();
  if (!n || *n < min || *n > max) {
    throw bad_param(field, field + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return *n;
}

bool bool_at(const JsonValue& v, const std::string& field) {
  if (!v.is_bool()) throw bad_param(field, field + " must be true or false");
  return v.get_bool();
}

// The one conversion of a number in a request body to the double conditions compare with.
// A parsed number is always within a double's range, so to_double() has a value.
double request_number(const JsonValue& v) { return v.to_double().value_or(0); }

FieldRef field_at(const JsonValue& v, const std::string& path) {
  if (!v.is_string()) throw bad_param(path, path + " must be a field name");
  auto f = parse_field(v.get_string());
  if (!f) throw bad_param(path, "unknown field '" + std::string(v.get_string()) + "'");
  return *f;
}

Condition condition_at(const JsonValue& v, const std::string& path) {
  const auto& o = object_at(v, path);
  only_keys(o, path, {"field", "op", "value"});
  const JsonValue* field = o.find("field");
  if (!field) throw bad_param(at(path, "field"), at(path, "field") + " is required");
  Condition c;
  c.field = field_at(*field, at(path, "field"));
  if (is_time_bucket(c.field.field)) {
    throw bad_param(at(path, "field"), "a time bucket cannot be a condition; use filters.date_after/date_before");
  }
  const JsonValue* op = o.find("op");
  const std::string op_path = at(path, "op");
  if (!op || !op->is_string()) throw bad_param(op_path, op_path + " must be one of eq, ne, contains, exists, gt, gte, lt, lte");
  const std::string_view name = op->get_string();
  constexpr std::pair<std::string_view, Op> kOps[] = {{"eq", Op::eq}, {"ne", Op::ne}, {"contains", Op::contains},
                                                      {"exists", Op::exists}, {"gt", Op::gt}, {"gte", Op::gte},
                                                      {"lt", Op::lt}, {"lte", Op::lte}};
  auto it = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& p) { return p.first == name; });
  if (it == std::end(kOps)) throw bad_param(op_path, op_path + " must be one of eq, ne, contains, exists, gt, gte, lt, lte");
  c.op = it->second;
  const JsonValue* value = o.find("value");
  const std::string value_path = at(path, "value");
  const bool data = c.field.field == Field::data;
  switch (c.op) {
    case Op::exists:
      c.exists = value ? bool_at(*value, value_path) : true;
      break;
    case Op::contains:
      if (!value) throw bad_param(value_path, value_path + " is required");
      c.text = text_at(*value, value_path, 256);
      break;
    case Op::eq:
    case Op::ne:
      if (!value) throw bad_param(value_path, value_path + " is required");
      if (value->is_string() && value->get_string().size() <= kMaxValueBytes) {
        c.value = Condition::Value::string;
        c.text = std::string(value->get_string());
      } else if (data && value->is_number()) {
        c.value = Condition::Value::number;
        c.number = request_number(*value);
      } else if (data && (value->is_bool() || value->is_null())) {
        c.value = Condition::Value::literal;
        c.text = value->compact();
      } else {
        throw bad_param(value_path, data ? value_path + " must be a string (up to 1024 bytes), a number, true, false or null"
                                         : value_path + " must be a string (up to 1024 bytes)");
      }
      break;
    default:  // gt, gte, lt, lte
      if (!data) throw bad_param(at(path, "field"), "numeric comparisons apply to data.<key> fields only");
      if (!value || !value->is_number()) throw bad_param(value_path, value_path + " must be a number");
      c.value = Condition::Value::number;
      c.number = request_number(*value);
  }
  return c;
}

// "filters": the list route's filters, typed as JSON, plus conditions.
void parse_filters(const JsonValue& v, const Request& req, EventFilter& f, std::vector<Condition>& where) {
  const std::string path = "filters";
  const auto& o = object_at(v, path);
  only_keys(o, path, {"event_type", "contact_id", "domain", "campaign_id", "url_contains", "search", "date_after",
                      "date_before", "range", "identified_only", "suppressed", "conditions"});
  auto text = [&](std::string_view key, std::size_t max) -> std::optional<std::string> {
    const JsonValue* x = o.find(key);
    if (!x) return std::nullopt;
    return text_at(*x, at(path, key), max);
  };
  f.event_type = text("event_type", 128);
  f.contact_id = text("contact_id", 128);
  f.domain = text("domain", 253);
  f.campaign_id = text("campaign_id", 128);
  f.url_contains = text("url_contains", 2048);
  f.search = text("search", 256);
  auto date = [&](std::string_view key) -> std::optional<Millis> {
    auto s = text(key, 64);
    if (!s) return std::nullopt;
    auto t = parse_iso8601(*s);
    if (!t) throw bad_param(at(path, key), at(path, key) + " must be an ISO 8601 date or date-time");
    return t;
  };
  narrow(f, date("date_after"), date("date_before"));
  if (const JsonValue* range = o.find("range")) {
    apply_range(at(path, "range"), range->is_string() ? std::string_view(range->get_string()) : "", req, f);
  }
  if (const JsonValue* x = o.find("identified_only")) f.identified_only = bool_at(*x, at(path, "identified_only"));
  if (const JsonValue* x = o.find("suppressed")) {
    const std::string s = x->is_string() ? std::string(x->get_string()) : "";
    if (s == "include") f.suppressed = SuppressedFilter::include;
    else if (s == "exclude") f.suppressed = SuppressedFilter::exclude;
    else if (s == "only") f.suppressed = SuppressedFilter::only;
    else throw bad_param(at(path, "suppressed"), at(path, "suppressed") + " must be one of include, exclude, only");
  }
  if (const JsonValue* x = o.find("conditions")) {
    const std::string cpath = at(path, "conditions");
    if (!x->is_array() || x->items().size() > kMaxConditions) {
      throw bad_param(cpath, cpath + " must be an array of at most " + std::to_string(kMaxConditions) + " conditions");
    }
    for (std::size_t i = 0; i < x->items().size(); ++i) where.push_back(condition_at(x->items()[i], at(cpath, i)));
  }
}

std::uint64_t max_examined_at(const JsonValue& o) {
  const JsonValue* v = o.find("max_examined");
  return v ? static_cast<std::uint64_t>(int_at(*v, "max_examined", 1, static_cast<std::int64_t>(kMaxExamined)))
           : kMaxExamined;
}

std::uint32_t limit_at(const JsonValue& o) {
  const JsonValue* v = o.find("limit");
  return v ? static_cast<std::uint32_t>(int_at(*v, "limit", 1, kMaxAggregateLimit)) : kDefaultAggregateLimit;
}

}  // namespace

AggregateRequest parse_aggregate(const JsonValue& body, const Request& req) {
  const auto& o = object_at(body, "");
  only_keys(o, "", {"source", "filters", "group_by", "time_zone", "metrics", "order_by", "order_dir", "limit",
                    "max_examined"});
  AggregateRequest r;
  r.filter.suppressed = SuppressedFilter::exclude;  // suppressed events count only when asked for
  if (const JsonValue* v = o.find("source")) {
    const std::string s = v->is_string() ? std::string(v->get_string()) : "";
    if (s == "events") r.source = AggregateSource::events;
    else if (s == "contacts") r.source = AggregateSource::contacts;
    else if (s == "companies") r.source = AggregateSource::companies;
    else throw bad_param("source", "source must be one of events, contacts, companies");
  }
  if (const JsonValue* v = o.find("filters")) parse_filters(*v, req, r.filter, r.where);
  if (const JsonValue* v = o.find("time_zone")) {
    const std::string name = v->is_string() ? std::string(v->get_string()) : "";
    auto zone = Zone::find(name);
    if (!zone) throw bad_param("time_zone", "time_zone must be an IANA time zone name such as Europe/Berlin or UTC");
    r.zone = *zone;
  }
  if (const JsonValue* v = o.find("group_by")) {
    if (!v->is_array() || v->items().size() > kMaxGroupBy) {
      throw bad_param("group_by", "group_by must be an array of at most 3 dimensions");
    }
    std::optional<std::size_t> time_dim;
    for (std::size_t i = 0; i < v->items().size(); ++i) {
      const std::string path = at("group_by", i);
      FieldRef f = field_at(v->items()[i], path);
      if (std::find(r.group_by.begin(), r.group_by.end(), f) != r.group_by.end()) {
        throw bad_param(path, "'" + field_name(f) + "' is given twice");
      }
      if (!dimension_allowed(r.source, f)) {
        throw bad_param(path, "'" + field_name(f) + "' is not a dimension of source " + std::string(source_name(r.source)));
      }
      if (is_time_bucket(f.field)) {
        if (time_dim) throw bad_param(path, "group by at most one time bucket");
        time_dim = i;
      }
      r.group_by.push_back(std::move(f));
    }
    if (time_dim && r.filter.after && r.filter.before && *r.filter.after <= *r.filter.before) {
      Bucketer b(r.zone, time_unit(r.group_by[*time_dim].field));
      if (count_buckets(b, *r.filter.after, *r.filter.before, kMaxBuckets) > kMaxBuckets) {
        throw bad_param(at("group_by", *time_dim),
                        "the date range spans more than 10,000 " + field_name(r.group_by[*time_dim]) +
                            " buckets; narrow the dates or use a coarser bucket");
      }
    }
  }
  if (const JsonValue* v = o.find("metrics")) {
    if (!v->is_array() || v->items().empty() || v->items().size() > kMaxMetrics) {
      throw bad_param("metrics", "metrics must be an array of 1-20 metrics");
    }
    for (std::size_t i = 0; i < v->items().size(); ++i) {
      const std::string path = at("metrics", i);
      const JsonValue& m = v->items()[i];
      auto metric = m.is_string() ? parse_metric(m.get_string()) : std::nullopt;
      if (!metric) {
        throw bad_param(path, path + " must be count, unique_contacts, unique_sessions, or sum, avg, min, max, p50 "
                                     "or p95 of a data field, as in sum(data.amount)");
      }
      if (std::find(r.metrics.begin(), r.metrics.end(), *metric) != r.metrics.end()) {
        throw bad_param(path, "'" + metric_name(*metric) + "' is given twice");
      }
      if (!metric_allowed(r.source, *metric)) {
        throw bad_param(path, "'" + metric_name(*metric) + "' is not a metric of source " + std::string(source_name(r.source)));
      }
      r.metrics.push_back(std::move(*metric));
    }
  } else {
    r.metrics.push_back(Metric{});
  }
  std::optional<bool> descending;
  if (const JsonValue* v = o.find("order_dir")) {
    const std::string s = v->is_string() ? std::string(v->get_string()) : "";
    if (s != "asc" && s != "desc") throw bad_param("order_dir", "order_dir must be asc or desc");
    descending = s == "desc";
  }
  if (const JsonValue* v = o.find("order_by")) {
    const std::string name = v->is_string() ? std::string(v->get_string()) : "";
    // Metrics go largest first unless told otherwise, dimensions smallest first.
    for (std::size_t i = 0; i < r.metrics.size() && !r.order; ++i) {
      if (metric_name(r.metrics[i]) == name) r.order = AggregateOrder{true, i, descending.value_or(true)};
    }
    for (std::size_t i = 0; i < r.group_by.size() && !r.order; ++i) {
      if (field_name(r.group_by[i]) == name) r.order = AggregateOrder{false, i, descending.value_or(false)};
    }
    if (!r.order) throw bad_param("order_by", "order_by must name one of the request's metrics or group_by dimensions");
  } else if (descending) {
    throw bad_param("order_dir", "order_dir needs order_by");
  }
  r.limit = limit_at(o);
  r.max_examined = max_examined_at(o);
  return r;
}

FunnelRequest parse_funnel(const JsonValue& body, const Request& req) {
  const auto& o = object_at(body, "");
  only_keys(o, "", {"steps", "window_seconds", "filters", "breakdown", "limit", "max_examined"});
  FunnelRequest r;
  r.filter.suppressed = SuppressedFilter::exclude;
  const JsonValue* steps = o.find("steps");
  if (!steps || !steps->is_array() || steps->items().size() < kMinFunnelSteps ||
      steps->items().size() > kMaxFunnelSteps) {
    throw bad_param("steps", "steps must be an array of 2-10 steps");
  }
  for (std::size_t i = 0; i < steps->items().size(); ++i) {
    const std::string path = at("steps", i);
    const auto& s = object_at(steps->items()[i], path);
    only_keys(s, path, {"event", "conditions"});
    FunnelStep step;
    const JsonValue* event = s.find("event");
    if (!event) throw bad_param(at(path, "event"), at(path, "event") + " is required");
    step.event = text_at(*event, at(path, "event"), 128);
    if (const JsonValue* x = s.find("conditions")) {
      const std::string cpath = at(path, "conditions");
      if (!x->is_array() || x->items().size() > kMaxConditions) {
        throw bad_param(cpath, cpath + " must be an array of at most " + std::to_string(kMaxConditions) + " conditions");
      }
      for (std::size_t k = 0; k < x->items().size(); ++k) step.where.push_back(condition_at(x->items()[k], at(cpath, k)));
    }
    r.steps.push_back(std::move(step));
  }
  if (const JsonValue* v = o.find("window_seconds")) {
    r.window = int_at(*v, "window_seconds", 1, kMaxFunnelWindow / 1000) * 1000;
  }
  if (const JsonValue* v = o.find("filters")) parse_filters(*v, req, r.filter, r.where);
  if (const JsonValue* v = o.find("breakdown")) {
    r.breakdown = field_at(*v, "breakdown");
    if (is_time_bucket(r.breakdown->field)) throw bad_param("breakdown", "a funnel cannot be broken down by a time bucket");
  }
  r.limit = limit_at(o);
  r.max_examined = max_examined_at(o);
  return r;
}

}  // namespace eventsd::http

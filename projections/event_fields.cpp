#include "projections/event_fields.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <utility>

#include "projections/data_fields.h"

namespace eventsd {

namespace {

constexpr std::pair<std::string_view, Field> kNames[] = {
    {"event", Field::event},
    {"contact_id", Field::contact_id},
    {"url", Field::url},
    {"path", Field::path},
    {"referrer", Field::referrer},
    {"domain", Field::domain},
    {"session_id", Field::session_id},
    {"utm_source", Field::utm_source},
    {"utm_medium", Field::utm_medium},
    {"utm_campaign", Field::utm_campaign},
    {"campaign_id", Field::campaign_id},
    {"step_id", Field::step_id},
    {"email", Field::email},
    {"contact.firstname", Field::contact_firstname},
    {"contact.lastname", Field::contact_lastname},
    {"contact.email", Field::contact_email},
    {"company.id", Field::company_id},
    {"company.name", Field::company_name},
    {"company.domain", Field::company_domain},
    {"hour", Field::hour},
    {"day", Field::day},
    {"week", Field::week},
    {"month", Field::month},
};

constexpr std::string_view kDataPrefix = "data.";

bool equals(const Condition& c, FieldValue v, std::string& scratch) {
  if (v.kind == FieldValue::Kind::missing) return false;
  if (v.kind == FieldValue::Kind::text) return c.value == Condition::Value::string && v.v == c.text;
  switch (c.value) {
    case Condition::Value::string: {
      auto s = read_string(v.v, scratch);
      return s && *s == c.text;
    }
    case Condition::Value::number: {
      auto n = read_number(v.v);
      return n && n->value == c.number;
    }
    case Condition::Value::literal: return v.v == c.text;
  }
  return false;
}

}  // namespace

std::optional<FieldRef> parse_field(std::string_view name) {
  if (name.starts_with(kDataPrefix)) {
    const std::string_view key = name.substr(kDataPrefix.size());
    if (key.empty() || key.size() > kMaxDataKeyBytes) return std::nullopt;
    return FieldRef{Field::data, std::string(key)};
  }
  for (const auto& [n, f] : kNames) {
    if (n == name) return FieldRef{f, {}};
  }
  return std::nullopt;
}

std::string field_name(const FieldRef& f) {
  if (f.field == Field::data) return std::string(kDataPrefix) + f.key;
  for (const auto& [n, field] : kNames) {
    if (field == f.field) return std::string(n);
  }
  return {};
}

TimeUnit time_unit(Field f) {
  switch (f) {
    case Field::hour: return TimeUnit::hour;
    case Field::week: return TimeUnit::week;
    case Field::month: return TimeUnit::month;
    default: return TimeUnit::day;
  }
}

bool contains_ascii_icase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

bool condition_holds(const Condition& c, FieldValue v, std::string& scratch) {
  switch (c.op) {
    case Op::eq: return equals(c, v, scratch);
    case Op::ne: return !equals(c, v, scratch);
    case Op::exists: return v.present() == c.exists;
    case Op::contains: {
      if (v.kind == FieldValue::Kind::text) return contains_ascii_icase(v.v, c.text);
      if (v.kind != FieldValue::Kind::json) return false;
      auto s = read_string(v.v, scratch);
      return s && contains_ascii_icase(*s, c.text);
    }
    case Op::contains_exact:
      return v.kind == FieldValue::Kind::text && v.v.find(c.text) != std::string_view::npos;
    case Op::one_of:
      return v.kind == FieldValue::Kind::text &&
             std::find(c.values.begin(), c.values.end(), v.v) != c.values.end();
    case Op::gt:
    case Op::gte:
    case Op::lt:
    case Op::lte: {
      if (v.kind != FieldValue::Kind::json) return false;
      auto n = read_number(v.v);
      if (!n) return false;
      switch (c.op) {
        case Op::gt: return n->value > c.number;
        case Op::gte: return n->value >= c.number;
        case Op::lt: return n->value < c.number;
        default: return n->value <= c.number;
      }
    }
    case Op::search: return false;  // spans three fields: the scan checks it (event_scan.cpp)
  }
  return false;
}

std::optional<std::string_view> url_path(std::string_view url) {
  // As stored (percent-encoded as sent): a view into `url`.
  const auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) return std::nullopt;
  const std::string_view path = parsed->encoded_path();
  if (path.empty()) return parsed->has_authority() ? std::optional<std::string_view>("/") : std::nullopt;
  return path;
}

}  // namespace eventsd

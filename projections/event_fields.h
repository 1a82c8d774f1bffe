// The fields an aggregate or a funnel can name — an event's own fields, a member of its data,
// its contact's and company's fields, time buckets of its timestamp — and conditions on them.
//
// Names as the API spells them: `event`, `contact_id`, `url`, `path` (the URL's path), `referrer`,
// `domain`, `session_id`, `utm_source`, `utm_medium`, `utm_campaign`, `campaign_id`, `step_id`,
// `email`, `data.<key>` (a top-level member of data), `contact.firstname|lastname|email`,
// `company.id|name|domain`, and the time buckets `hour`, `day`, `week`, `month`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "projections/time_buckets.h"

namespace eventsd {

enum class Field : std::uint8_t {
  event, contact_id, url, path, referrer, domain, session_id, utm_source, utm_medium,
  utm_campaign, campaign_id, step_id, email,
  data,  // a member of data: FieldRef::key names it
  contact_firstname, contact_lastname, contact_email,
  company_id, company_name, company_domain,
  hour, day, week, month,  // time buckets of the timestamp (dimensions only)
};

struct FieldRef {
  Field field = Field::event;
  std::string key;  // the data member, for Field::data
  bool operator==(const FieldRef&) const = default;
};

inline constexpr std::size_t kMaxDataKeyBytes = 256;

// Parses an API field name; nullopt when it names no field.
std::optional<FieldRef> parse_field(std::string_view name);
std::string field_name(const FieldRef& f);

inline bool is_time_bucket(Field f) { return f >= Field::hour; }
TimeUnit time_unit(Field f);  // for a time bucket
// Fields of the contact's profile or of its company (they need the contact and a lookup).
inline bool is_profile_field(Field f) { return f >= Field::contact_firstname && f <= Field::company_domain; }
inline bool is_company_field(Field f) { return f >= Field::company_id && f <= Field::company_domain; }

// A field's value for one event: absent, a plain string, or a data member's JSON text (a string
// literal with its quotes, a number, true, an object...). Views are valid while the event is.
struct FieldValue {
  enum class Kind : std::uint8_t { missing, text, json } kind = Kind::missing;
  std::string_view v;
  static FieldValue text(std::optional<std::string_view> s) {
    return s ? FieldValue{Kind::text, *s} : FieldValue{};
  }
  bool present() const { return kind != Kind::missing && !(kind == Kind::json && v == "null"); }
};

enum class Op : std::uint8_t {
  eq, ne, contains, exists, gt, gte, lt, lte,
  // The list route's filters, as conditions:
  contains_exact,  // url_contains: case-sensitive substring
  search,          // search: case-insensitive substring of the event name, url or domain
  one_of,          // the value is one of `values` (the event names of a funnel's steps)
};

// One condition. For eq/ne the wanted value is a string (`text`), a number (`number`, with its
// text in `text`), or true/false/null (`text` holds the JSON literal). A missing field is not
// equal to anything, so `ne` holds for it; `exists` is true when the field is present and not
// null; `contains` is an ASCII case-insensitive substring of a string value; gt..lte compare
// numbers (data members whose value is a number).
struct Condition {
  FieldRef field;
  Op op = Op::eq;
  enum class Value : std::uint8_t { string, number, literal } value = Value::string;
  std::string text;
  double number = 0;
  bool exists = true;               // Op::exists: the field must (true) or must not be present
  std::vector<std::string> values;  // Op::one_of
};

// Whether a value meets a condition. `scratch` holds a decoded JSON string when one is needed.
bool condition_holds(const Condition& c, FieldValue value, std::string& scratch);

// The path of a URL as stored ("/pricing" of "https://example.com/pricing?x=1"); "/" when it has
// an authority and no path; nullopt when it is not a URI reference (RFC 3986, Boost.URL) or has
// no path at all ("?only=query").
std::optional<std::string_view> url_path(std::string_view url);

bool contains_ascii_icase(std::string_view hay, std::string_view needle);

}  // namespace eventsd

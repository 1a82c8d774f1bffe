#include "commands/event_input.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <unordered_set>

#include "common/json_writer.h"
#include "common/text.h"

namespace eventsd {

using F = EventField;

namespace {

constexpr std::pair<std::string_view, EventField> kNative[] = {
    {"id", F::id},
    {"event", F::event},
    {"contact_id", F::contact_id},
    {"timestamp", F::timestamp},
    {"url", F::url},
    {"referrer", F::referrer},
    {"session_id", F::session_id},
    {"utm_source", F::utm_source},
    {"utm_medium", F::utm_medium},
    {"utm_campaign", F::utm_campaign},
    {"campaign_id", F::campaign_id},
    {"step_id", F::step_id},
    {"email", F::email},
    {"data", F::data},
};

constexpr std::pair<std::string_view, EventField> kOrgUnit[] = {
    {"id", F::id},
    {"event", F::event},
    {"event_type", F::event},
    {"contact_id", F::contact_id},
    {"lead_id", F::contact_id},
    {"timestamp", F::timestamp},
    {"created_at", F::timestamp},
    {"url", F::url},
    {"referrer", F::referrer},
    {"session_id", F::session_id},
    {"utm_source", F::utm_source},
    {"utm_medium", F::utm_medium},
    {"utm_campaign", F::utm_campaign},
    {"campaign_id", F::campaign_id},
    {"step_id", F::step_id},
    {"email", F::email},
    {"data", F::data},
    {"metadata", F::data},
};

constexpr std::pair<std::string_view, EventField> kWorkspace[] = {
    {"id", F::id},
    {"type", F::event},
    {"contactId", F::contact_id},
    {"timestamp", F::timestamp},
    {"pageUrl", F::url},
    {"referrer", F::referrer},
    {"sessionId", F::session_id},
    {"utmSource", F::utm_source},
    {"utmMedium", F::utm_medium},
    {"utmCampaign", F::utm_campaign},
    {"metadata", F::data},
};

std::optional<EventField> lookup(FieldNames names, std::string_view key) {
  for (const auto& [name, field] : names) {
    if (name == key) return field;
  }
  return std::nullopt;
}

}  // namespace

const FieldNames kNativeFieldNames{kNative};
const FieldNames kOrgUnitFieldNames{kOrgUnit};
const FieldNames kWorkspaceFieldNames{kWorkspace};

std::string stored_event_id(std::string_view id, IdSpace space) {
  if (space == IdSpace::server) return std::string(id);
  std::string out(kBrowserIdPrefix);
  out.append(id);
  return out;
}

bool is_valid_event_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventId) return false;
  // The names of the routes beside /v1/events/{id}: an event so named could never be fetched.
  for (std::string_view route : {"stats", "types", "stream", "export", "batch"}) {
    if (id == route) return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '-';
  });
}

bool is_clean_text(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && !has_control_characters(s);
}

std::optional<FieldError> unknown_field(const JsonValue& o, std::initializer_list<std::string_view> keys,
                                        const std::string& prefix) {
  for (const auto& [key, v] : o.members()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return FieldError{prefix + key, "unknown field '" + key + "'"};
    }
  }
  return std::nullopt;
}

bool host_is_utf8(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  return !parsed || !parsed->has_authority() || valid_utf8(parsed->host());
}

std::optional<std::string> domain_of(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority()) return std::nullopt;
  std::string host = parsed->host();
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty() || !is_clean_text(host, 253)) return std::nullopt;
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

namespace {

// The wire name a field was given as, for error messages.
struct Context {
  const std::string& path;
  std::string_view wire;
  std::string field() const { return path.empty() ? std::string(wire) : path + "." + std::string(wire); }
};

struct TextRule {
  std::size_t max;
  bool empty_means_absent;  // free text: "" is the same as not sent
  const char* what;
};

std::optional<FieldError> take_text(const JsonValue& v, const Context& cx, TextRule rule,
                                    std::optional<std::string>& out) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_string()) return FieldError{cx.field(), std::string(cx.wire) + " must be a string"};
  std::string_view s = v.get_string();
  if (s.empty() && rule.empty_means_absent) return std::nullopt;
  if (!is_clean_text(s, rule.max)) {
    return FieldError{cx.field(), std::string(cx.wire) + " must be " + rule.what};
  }
  out = std::string(s);
  return std::nullopt;
}

}  // namespace

std::variant<EventInput, FieldError> parse_event(const JsonValue& value, FieldNames names,
                                                 const std::string& path, IdSpace space) {
  const std::string where = path.empty() ? "event" : path;
  if (!value.is_object()) return FieldError{path, where + " must be a JSON object"};
  EventInput in;
  in.id_space = space;
  std::array<bool, 14> seen{};
  bool has_event = false;
  for (const auto& [key, v] : value.members()) {
    const Context cx{path, key};
    auto field = lookup(names, key);
    if (!field) return FieldError{cx.field(), "unknown field '" + std::string(key) + "'"};
    auto& once = seen[static_cast<std::size_t>(*field)];
    if (once) return FieldError{cx.field(), "field given twice under different names"};
    once = true;
    constexpr TextRule kId{128, false, "1-128 bytes without control characters"};
    constexpr TextRule kFree{2048, true, "at most 2048 bytes without control characters"};
    constexpr TextRule kShort{256, true, "at most 256 bytes without control characters"};
    std::optional<FieldError> err;
    switch (*field) {
      case F::id:
        if (v.is_null()) break;
        if (!v.is_string() || !is_valid_event_id(v.get_string())) {
          return FieldError{cx.field(), "id must be 1-128 characters of A-Z a-z 0-9 _ . : - (and not "
                                        "stats, types, stream, export or batch)"};
        }
        if (space == IdSpace::browser && v.get_string().size() > kMaxBrowserEventId) {
          return FieldError{cx.field(), "a publishable key's id must be at most 120 characters"};
        }
        in.id = std::string(v.get_string());
        break;
      case F::event: {
        std::optional<std::string> name;
        if (v.is_null()) break;
        err = take_text(v, cx, {128, false, "1-128 bytes without control characters"}, name);
        if (name) {
          in.event = std::move(*name);
          has_event = true;
        }
        break;
      }
      case F::contact_id: err = take_text(v, cx, kId, in.contact_id); break;
      case F::campaign_id: err = take_text(v, cx, kId, in.campaign_id); break;
      case F::step_id: err = take_text(v, cx, kId, in.step_id); break;
      case F::url:
        err = take_text(v, cx, kFree, in.url);
        if (!err && in.url && !host_is_utf8(*in.url)) {
          return FieldError{cx.field(), std::string(key) + " has a host that is not UTF-8 once percent-decoded"};
        }
        break;
      case F::referrer: err = take_text(v, cx, kFree, in.referrer); break;
      case F::session_id: err = take_text(v, cx, kShort, in.session_id); break;
      case F::utm_source: err = take_text(v, cx, kShort, in.utm_source); break;
      case F::utm_medium: err = take_text(v, cx, kShort, in.utm_medium); break;
      case F::utm_campaign: err = take_text(v, cx, kShort, in.utm_campaign); break;
      case F::email:
        err = take_text(v, cx, {254, false, "an email address of at most 254 bytes"}, in.email);
        if (!err && in.email) {
          const auto at = in.email->find('@');
          if (at == 0 || at == std::string::npos || at + 1 == in.email->size() ||
              in.email->find(' ') != std::string::npos) {
            return FieldError{cx.field(), "email must be an email address"};
          }
        }
        break;
      case F::timestamp:
        if (v.is_null()) break;
        if (!v.is_string()) {
          return FieldError{cx.field(), std::string(key) + " must be an ISO 8601 string"};
        }
        in.timestamp = parse_iso8601(v.get_string());
        if (!in.timestamp) {
          return FieldError{cx.field(), std::string(key) + " is not an ISO 8601 date-time"};
        }
        break;
      case F::data:
        if (v.is_null()) break;
        if (!v.is_object()) return FieldError{cx.field(), std::string(key) + " must be a JSON object"};
        in.data = v.compact();  // numbers as sent (json_reader.h)
        if (in.data.size() > kMaxDataBytes) {
          return FieldError{cx.field(), std::string(key) + " exceeds 32 KiB when serialized"};
        }
        break;
    }
    if (err) return *err;
  }
  if (!has_event) {
    std::string_view wire = "event";
    for (const auto& [name, field] : names) {
      if (field == F::event) {
        wire = name;
        break;
      }
    }
    return FieldError{Context{path, wire}.field(), std::string(wire) + " is required"};
  }
  if (in.url) in.domain = domain_of(*in.url);
  return in;
}

std::variant<IngestEvents, FieldError> parse_ingest(const JsonValue& body, FieldNames names, Millis received_at,
                                                    IdSpace space) {
  IngestEvents cmd;
  cmd.received_at = received_at;
  if (const JsonValue* batch = body.find("batch")) {
    if (body.members().size() != 1) return FieldError{"batch", "a batch body holds only \"batch\""};
    if (!batch->is_array()) return FieldError{"batch", "batch must be an array of events"};
    const auto& arr = batch->items();
    if (arr.empty() || arr.size() > kMaxBatch) {
      return FieldError{"batch", "batch must hold 1-1000 events"};
    }
    cmd.events.reserve(arr.size());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      auto r = parse_event(arr[i], names, "batch[" + std::to_string(i) + "]", space);
      if (auto* e = std::get_if<FieldError>(&r)) return *e;
      cmd.events.push_back(std::move(std::get<EventInput>(r)));
    }
    return cmd;
  }
  auto r = parse_event(body, names, "", space);
  if (auto* e = std::get_if<FieldError>(&r)) return *e;
  cmd.events.push_back(std::move(std::get<EventInput>(r)));
  return cmd;
}

std::variant<DeleteEvents, FieldError> parse_delete(const JsonValue& body) {
  const JsonValue* ids = body.find("event_ids");
  if (!ids || !ids->is_array()) {
    return FieldError{"event_ids", "body must be {\"event_ids\": [ids]}"};
  }
  if (body.members().size() != 1) return FieldError{"event_ids", "body holds only \"event_ids\""};
  const auto& arr = ids->items();
  if (arr.empty() || arr.size() > kMaxBatch) {
    return FieldError{"event_ids", "event_ids must hold 1-1000 ids"};
  }
  DeleteEvents cmd;
  std::unordered_set<std::string_view> distinct;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string() || !is_clean_text(arr[i].get_string(), 128)) {
      return FieldError{"event_ids[" + std::to_string(i) + "]",
                        "each event id must be a string of 1-128 bytes"};
    }
    const std::string_view s = arr[i].get_string();
    if (distinct.insert(s).second) cmd.ids.emplace_back(s);
  }
  return cmd;
}

}  // namespace eventsd

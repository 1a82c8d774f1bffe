// Validation of client JSON into commands (docs/api.md, "Ingest"). Every dialect and every tool
// (eventctl import) goes through these functions, so an event is valid or not the same way
// everywhere. A batch is all or nothing: the first invalid event rejects the whole request.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "commands/command.h"
#include "common/json_reader.h"

namespace eventsd {

enum class EventField {
  id, event, contact_id, timestamp, url, referrer, session_id, utm_source, utm_medium,
  utm_campaign, campaign_id, step_id, email, data
};

// How a dialect spells the fields of an event: (name on the wire, field). Names not listed are
// rejected, so a misspelt field is an error rather than silently lost data.
using FieldNames = std::span<const std::pair<std::string_view, EventField>>;

extern const FieldNames kNativeFieldNames;     // the native names (docs/api.md, "Ingest")
extern const FieldNames kOrgUnitFieldNames;    // §1 names plus event_type, lead_id, metadata, created_at
extern const FieldNames kWorkspaceFieldNames;  // seed 004's camelCase names

inline constexpr std::size_t kMaxBatch = 1000;
inline constexpr std::size_t kMaxDataBytes = 32 * 1024;

// A browser's event id is stored as this prefix and the id the page sent ("order-1001" from a
// publishable key is the event "browser~order-1001"): '~' is in no id a client may send, so the
// two namespaces never meet. A stored id is at most 128 bytes, so a browser's is at most 120.
inline constexpr std::string_view kBrowserIdPrefix = "browser~";
inline constexpr std::size_t kMaxEventId = 128;
inline constexpr std::size_t kMaxBrowserEventId = kMaxEventId - kBrowserIdPrefix.size();
// The id an event whose client sent `id` is stored under.
std::string stored_event_id(std::string_view id, IdSpace space);

struct FieldError {
  std::string field;
  std::string message;
};

// `space`: whose ids the events' ids are (a publishable key's: IdSpace::browser, which takes ids
// of at most kMaxBrowserEventId characters).
std::variant<EventInput, FieldError> parse_event(const JsonValue& value, FieldNames names,
                                                 const std::string& path, IdSpace space = IdSpace::server);

// A body that is one event object or {"batch": [events]} (1..1000 events).
std::variant<IngestEvents, FieldError> parse_ingest(const JsonValue& body, FieldNames names, Millis received_at,
                                                    IdSpace space = IdSpace::server);
// {"event_ids": [...]} with 1..1000 ids.
std::variant<DeleteEvents, FieldError> parse_delete(const JsonValue& body);

// Lower-case host of an absolute URL, without port; nullopt when there is none.
std::optional<std::string> domain_of(std::string_view url);
// False when `url` has a host that is not UTF-8 once percent-decoded (http://%FF.example/):
// such a URL is refused, since its domain could be neither stored nor shown as text.
bool host_is_utf8(std::string_view url);

// 1-128 bytes of [A-Za-z0-9._:-]: what an event id a client sends may be.
bool is_valid_event_id(std::string_view id);
// Non-empty, at most `max` bytes of well-formed UTF-8 without control characters (common/text.h:
// C0, DEL, C1 and the bidirectional controls), so that it is safe to show an operator.
bool is_clean_text(std::string_view s, std::size_t max);
// The first key of the JSON object `o` that `keys` lacks, as the error "unknown field" of the
// field `prefix` + key; nullopt when every key is known.
std::optional<FieldError> unknown_field(const JsonValue& o, std::initializer_list<std::string_view> keys,
                                        const std::string& prefix);

}  // namespace eventsd

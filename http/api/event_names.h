// Event names as each dialect spells them (docs/api.md, "Event names by dialect"). The log stores
// the native name; a dialect whose product names an event differently (seed 004's `form.submitted`
// for the native `form_submit`) translates at its edge: what it is sent before it reaches a
// filter or the writer, what it shows when it renders an event.
//
// Each dialect's table pairs names, and a pair is read both ways: the dialect's `message.open` is
// the stored `email_open`, and the dialect's `email_open` the stored `message.open`. So the
// translation is its own inverse, every name of a dialect stands for exactly one stored name, and
// whatever a client sends comes back as sent in its own dialect (and in another's as that
// dialect spells it).
//
// Pure functions over constant tables; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "http/api/errors.h"

namespace eventsd::http {

// (native name, the dialect's name) for every name `dialect` spells differently; empty for the
// dialects that use the native names.
std::span<const std::pair<std::string_view, std::string_view>> event_name_table(Dialect dialect);

// The name the log stores for `name` as a client of `dialect` sent it (a body's event type, a
// filter's value).
std::string stored_event_name(Dialect dialect, std::string_view name);
// The name `dialect` shows for the stored name `stored` (a view of `stored` or of the table).
std::string_view shown_event_name(Dialect dialect, std::string_view stored);

}  // namespace eventsd::http

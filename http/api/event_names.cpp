#include "http/api/event_names.h"

namespace eventsd::http {

namespace {

using Names = std::pair<std::string_view, std::string_view>;

// Seed 004's auto-generated types. The native names are the tracker's (`form_submit`,
// docs/tracker.md) and the e-mail sources' (`email_open`, `email_click`).
constexpr Names kWorkspace[] = {
    {"form_submit", "form.submitted"},
    {"email_open", "message.open"},
    {"email_click", "message.click"},
};

// The name paired with `name` in `dialect`'s table (either way), else `name` itself.
std::string_view translate(Dialect dialect, std::string_view name) {
  for (const auto& [native, own] : event_name_table(dialect)) {
    if (name == native) return own;
    if (name == own) return native;
  }
  return name;
}

}  // namespace

std::span<const Names> event_name_table(Dialect dialect) {
  if (dialect == Dialect::workspace) return kWorkspace;
  return {};
}

std::string stored_event_name(Dialect dialect, std::string_view name) { return std::string(translate(dialect, name)); }

std::string_view shown_event_name(Dialect dialect, std::string_view stored) { return translate(dialect, stored); }

}  // namespace eventsd::http

// What the provider-webhook fuzz targets (sendgrid_events, mailgun_events, postmark_events) assert
// of the events a payload is read into (http/dialects/provider_events.h).
#pragma once

#include <algorithm>
#include <string_view>
#include <utility>

#include "http/dialects/provider_events.h"
#include "tests/fuzz/checks.h"

namespace eventsd::fuzz {

// The input's first line (without its '\n') and the rest.
inline std::pair<std::string_view, std::string_view> first_line(std::string_view input) {
  const auto nl = input.find('\n');
  if (nl == std::string_view::npos) return {input, {}};
  return {input.substr(0, nl), input.substr(nl + 1)};
}

// Each event obeys the native rules (check_native_event), has a provider's id and one of the
// names docs/integrations.md maps provider events to.
inline void check_provider_events(const http::ProviderEvents& events, std::string_view body) {
  static constexpr std::string_view kNames[] = {"email_open",        "email_click",      "email_delivered",
                                                "email_bounce",      "email_spam_report", "email_unsubscribe"};
  for (const auto& e : events.events) {
    check(std::find(std::begin(kNames), std::end(kNames), e.event) != std::end(kNames),
          "a provider event became an event no mapping names", body);
    check(e.id.has_value(), "a provider event without the provider's id", body);
    check(e.event == "email_click" || !e.url,
          "a url on an event other than a click", body);
    check_native_event(e, body);
  }
}

}  // namespace eventsd::fuzz

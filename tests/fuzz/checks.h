// What every fuzz target asserts beyond "no crash, no sanitizer report": the promises of
// docs/api.md ("Ingest", "Numbers and JSON") for any input. A broken promise is a finding: it is printed and the process aborts, so
// libFuzzer saves the input (and the replay of the corpus fails).
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "commands/event_input.h"
#include "common/json_reader.h"
#include "tests/fuzz/live_app.h"

namespace eventsd::fuzz {

[[noreturn]] void finding(std::string_view what, std::string_view detail = {});

inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) finding(what, detail);
}

// An answer to any request: never a 5xx (bad input is a 4xx; the fuzz store neither fills up nor
// fails), a JSON body (valid UTF-8) wherever the content type says JSON, errors shaped
// {"error":{"code","message"}}, and a streamed body that did not fail half-way.
void check_answer(const Answer& answer, std::string_view request);

// An event validation accepted obeys docs/api.md, "Ingest" (clean bounded text, valid ids, data
// an object of at most 32 KiB), and written back in the native names (as export and dump write
// it) is accepted again as the very same event: no value changes on its way through.
void check_native_event(const EventInput& e, std::string_view body);

// The bytes as text, for a target whose input is text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The bytes as a request body: its text, and its JSON as http::json_body reads it (none when the
// reader refuses it: then no parser of commands sees it, and a target has nothing to check).
struct Body {
  std::string_view text;
  std::optional<JsonValue> json;
};
inline Body as_body(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  auto read = parse_json(text);
  if (!std::holds_alternative<JsonValue>(read)) return {text, std::nullopt};
  return {text, std::get<JsonValue>(std::move(read))};
}

}  // namespace eventsd::fuzz

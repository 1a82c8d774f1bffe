// One line of an `eventctl import` file: blank, a record of `eventctl dump` (it has "kind"; its
// fact becomes the command that recorded it), or one event in the native API's field names.
// Validation is the HTTP API's (commands/*_input.h); nothing is decided here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "commands/command.h"
#include "commands/event_input.h"

namespace eventsd::cli {

struct BlankLine {};

// A dump record's command; a plain event (the reader gathers them into ingest commands); or why
// the line is refused. `tenant` (--tenant) says whose plain events are; without it they are refused.
using ImportLine = std::variant<BlankLine, Command, EventInput, FieldError>;
ImportLine parse_import_line(std::string_view line, const std::optional<std::string>& tenant);

}  // namespace eventsd::cli

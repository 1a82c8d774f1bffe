// Lines of `eventctl import` (tools/import_line.h): dump records of every kind and plain events.
// A line that validation accepts is a command as the HTTP API would make it: it goes to the
// writer of a real store, as import sends it, and is decided without a 5xx (a refusal is a 4xx).
// The tenant of an accepted record is one a token could name (or "", the server's retention).
#include <cstdint>
#include <string>

#include "accounts/tokens.h"
#include "tests/fuzz/checks.h"
#include "tools/import_line.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eventsd;
  const std::string_view line = fuzz::as_text(data, size);
  if (line.find('\n') != std::string_view::npos) return 0;  // import reads one line at a time
  auto parsed = cli::parse_import_line(line, std::string(fuzz::kTenant));
  Command command;
  if (auto* c = std::get_if<Command>(&parsed)) {
    command = std::move(*c);
    const bool retention = std::holds_alternative<ApplyRetention>(command.body);
    fuzz::check(is_valid_tenant(command.tenant) || (retention && command.tenant.empty()),
                "an import record with a tenant no token can name is accepted: '" + command.tenant + "'", line);
  } else if (auto* e = std::get_if<EventInput>(&parsed)) {
    command = Command{std::string(fuzz::kTenant), "eventctl:import", IngestEvents{{std::move(*e)}, now_millis()}};
  } else {
    return 0;
  }
  const Outcome outcome = fuzz::live_app().submit(std::move(command));
  if (const auto* r = std::get_if<Rejection>(&outcome)) {
    fuzz::check(r->status < 500, "an accepted import line failed in the writer: " + r->message, line);
  }
  return 0;
}

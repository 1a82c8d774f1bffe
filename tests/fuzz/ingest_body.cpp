// Ingest bodies of every dialect through validation (commands/event_input.h): POST /v1/events
// (native names), POST /ingest (organizational-unit names), POST /api/workspaces/{id}/events
// (workspace names), and the body of DELETE /v1/events/batch.
//
// Beyond not crashing: what validation accepts obeys docs/api.md, "Ingest" (1-1000 events, clean bounded
// text, data a JSON object of at most 32 KiB), and an accepted event written back in the native
// names (as export and dump write it) is accepted again as the very same event: no value changes
// on its way through.
#include <cstdint>

#include "commands/event_input.h"
#include "common/json_reader.h"
#include "tests/fuzz/checks.h"

namespace {

using namespace eventsd;
using fuzz::check;
using fuzz::check_native_event;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [body, json] = fuzz::as_body(data, size);
  if (!json) return 0;
  const JsonValue& v = *json;
  for (FieldNames names : {kNativeFieldNames, kOrgUnitFieldNames, kWorkspaceFieldNames}) {
    const auto parsed = parse_ingest(v, names, 1'770'000'000'000);
    if (const auto* error = std::get_if<FieldError>(&parsed)) {
      check(!error->message.empty(), "a refusal without a message", body);
      continue;
    }
    const auto& cmd = std::get<IngestEvents>(parsed);
    check(!cmd.events.empty() && cmd.events.size() <= kMaxBatch, "an accepted batch is not 1-1000 events", body);
    for (const auto& e : cmd.events) check_native_event(e, body);
  }
  const auto deleted = parse_delete(v);
  if (const auto* cmd = std::get_if<DeleteEvents>(&deleted)) {
    check(!cmd->ids.empty() && cmd->ids.size() <= kMaxBatch, "an accepted delete is not 1-1000 ids", body);
    for (const auto& id : cmd->ids) check(is_clean_text(id, 128), "an accepted delete id is not clean", body);
  }
  return 0;
}

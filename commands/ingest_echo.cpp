#include "commands/ingest_echo.h"

#include <stdexcept>
#include <unordered_map>

namespace eventsd {

void echo_events(Ingested& result, capnp::List<schema::Event>::Reader recorded, const StoredLookup& stored) {
  result.events.clear();
  result.events.reserve(result.ids.size());
  std::unordered_map<std::string_view, std::size_t> created_at;  // id -> index in the request
  unsigned next = 0;
  for (std::size_t i = 0; i < result.ids.size(); ++i) {
    const std::string& id = result.ids[i];
    if (result.created[i]) {
      if (next >= recorded.size()) throw std::logic_error("echo_events: fewer recorded events than created");
      result.events.push_back(copy_event(0, recorded[next++]));
      created_at.emplace(id, i);
    } else if (auto it = created_at.find(id); it != created_at.end()) {
      result.events.push_back(result.events[it->second]);
    } else if (auto found = stored(id)) {
      result.events.push_back(std::move(*found));
    } else {
      throw std::logic_error("echo_events: the duplicate " + id + " is not stored");
    }
  }
}

}  // namespace eventsd

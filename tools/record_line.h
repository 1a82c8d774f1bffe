// One log record as a line of JSON on standard output (projections/fact_json.h): what eventctl
// dump and audit print, with no control character left raw (tools/terminal_text.h).
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "common/json_writer.h"
#include "projections/fact_json.h"
#include "tools/terminal_text.h"

namespace eventsd::cli {

// `keep`, when given, chooses the events an ingest record shows.
inline void print_record(std::uint64_t position, schema::LogRecord::Reader record,
                  const std::function<bool(schema::Event::Reader)>& keep = {}) {
  std::string line;
  JsonWriter w(line);
  write_record_json(w, position, record, keep);
  line = printable_json(line);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
}

}  // namespace eventsd::cli

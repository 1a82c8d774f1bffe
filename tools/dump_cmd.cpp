// eventctl dump: the log as JSON lines. On a cluster node's directory (tools/log_dirs.h) it reads
// one shard's log (--shard N: positions are per shard).
#include <cstdio>

#include "common/flags.h"
#include "eventlog/log.h"
#include "eventlog/store.h"
#include "projections/stored_event.h"
#include "tools/commands.h"
#include "tools/data_option.h"
#include "tools/exit_status.h"
#include "tools/log_dirs.h"
#include "tools/record_line.h"

namespace eventsd::cli {

namespace {

struct DumpOptions {
  std::string data;
  std::optional<unsigned> shard;
  std::uint64_t from = 1;
};

int dump(const DumpOptions& o) {
  const auto parts = log_dirs(o.data, o.shard);
  if (parts.size() != 1) {
    throw Usage(o.data + " is a cluster node's: give --shard N (each shard has a log of its own)");
  }
  auto store = open_log_store(parts.front().dir, false);
  Log log(*store);
  // One snapshot for the whole dump: a consistent prefix of the log, even while eventsd writes.
  auto reader = store->read();
  LogCursor cursor(reader.txn(), log);
  for (bool ok = cursor.seek(o.from); ok; ok = cursor.next()) {
    RecordView view(cursor.bytes());
    print_record(cursor.position(), view.root());
  }
  return std::fflush(stdout) == 0 ? kOk : kFailed;
}

}  // namespace

void add_dump_command(CLI::App& app, Run& run) {
  auto [dump, d] = add_data_command(app, run, "dump",
                                    "the log as JSON lines, one record each, from one snapshot; on a cluster node's "
                                    "directory, the log of the shard --shard names",
                                    cli::dump);
  add_shard_option(*dump, d->shard);
  dump->add_option("--from", d->from, "start at this log position (default 1: the first record)")
      ->type_name("POSITION")
      ->check(flags::whole(0, UINT64_MAX));
}

}  // namespace eventsd::cli

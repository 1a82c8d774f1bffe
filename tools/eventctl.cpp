// eventctl: the operator's and auditor's tool (docs/operations.md). main() makes the command line
// of every command (tools/commands.h), parses it and runs the command it names.
#include <sys/stat.h>

#include <iostream>
#include <string>

#include "common/flags.h"
#include "common/version.h"
#include "tools/commands.h"
#include "tools/exit_status.h"
#include "tools/terminal_text.h"

int main(int argc, char** argv) {
  using namespace eventsd;
  using namespace eventsd::cli;
  // What it creates in a data directory (a new one, a rebuilt generation, an import) is the
  // user's alone, as eventsd's files are (docs/security.md, "Files and metadata").
  ::umask(077);
  CLI::App app("eventctl: tokens, console users, rebuilding and checking the read models, reading and importing "
               "the log of eventsd, and a cluster's status (docs/operations.md)",
               "eventctl");
  flags::configure(app, "eventctl " + std::string(version()) + " (revision " + std::string(revision()) + ")");
  app.require_subcommand(1);
  Run run;
  add_token_commands(app, run);
  add_user_commands(app, run);
  add_rebuild_commands(app, run);
  add_dump_command(app, run);
  add_audit_command(app, run);
  add_import_command(app, run);
  add_cluster_commands(app, run);
  app.footer(
      "Run eventctl COMMAND --help for the options of a command.\n"
      "\n"
      "A cluster node's DIR (DIR/shards/N) holds a log per shard: rebuild, verify and audit work on\n"
      "every shard (--shard N: one), dump on the one --shard names.\n"
      "\n"
      "Exit status: 0 ok, 1 failed, 2 usage, 3 hash chain broken, 4 read model differs,\n"
      "5 data directory busy");

  // No command: the help, as a usage error; `eventctl help` is `eventctl --help`.
  if (argc < 2 || std::string(argv[1]) == "help") {
    std::cout << app.help();
    return argc < 2 ? kUsage : kOk;
  }
  if (auto status = flags::parse(app, argc, argv)) return *status;
  try {
    return run();
  } catch (const Usage& e) {
    return flags::usage_error(app, printable(e.what()));
  } catch (const std::exception& e) {
    std::cerr << "eventctl: " << printable(e.what()) << "\n";
    return kFailed;
  }
}

// eventctl's commands (docs/operations.md), a group in each file: each add_*() adds its commands,
// with their options, to eventctl's CLI11 app (common/flags.h). When the command line names one of
// them, parsing it sets `run` to what runs that command, which returns the exit status
// (tools/exit_status.h) or throws Usage for a command line it cannot run. `run` must outlive the
// app's parse.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace eventsd::cli {

using Run = std::function<int()>;

// Adds the command `name` to `parent` with its options in a new Options, which the caller binds
// to flags through the pointer returned; when the command line names it, parsing sets `run` to
// call `body` with them.
template <class Options>
std::pair<CLI::App*, std::shared_ptr<Options>> add_command(CLI::App& parent, Run& run, const std::string& name,
                                                           const std::string& what, int (*body)(const Options&)) {
  auto options = std::make_shared<Options>();
  CLI::App* command = parent.add_subcommand(name, what);
  command->callback([&run, options, body] { run = [options, body] { return body(*options); }; });
  return {command, options};
}

// Adds the group `name` (token, user, cluster) to `parent`: a command whose subcommands are its
// commands, one of which the command line must name.
inline CLI::App* add_group(CLI::App& parent, const std::string& name, const std::string& what) {
  CLI::App* group = parent.add_subcommand(name, what);
  group->require_subcommand(1);
  return group;
}

// token create|import|list|revoke|check (tokens_cmd.cpp)
void add_token_commands(CLI::App& app, Run& run);
// user create|list|delete|passwd|revoke-sessions (users_cmd.cpp)
void add_user_commands(CLI::App& app, Run& run);
// rebuild (alias replay), verify (rebuild_cmd.cpp)
void add_rebuild_commands(CLI::App& app, Run& run);
// dump (dump_cmd.cpp)
void add_dump_command(CLI::App& app, Run& run);
// audit (audit_cmd.cpp)
void add_audit_command(CLI::App& app, Run& run);
// import (import_cmd.cpp)
void add_import_command(CLI::App& app, Run& run);
// cluster status|nkey (cluster_cmd.cpp)
void add_cluster_commands(CLI::App& app, Run& run);

}  // namespace eventsd::cli

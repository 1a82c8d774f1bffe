// Command lines, one way for both programs (eventsd, eventctl): CLI11 parses them and writes the
// --help that the man pages are made from (packaging/man.cmake); these are the checks and the
// exits both share. A bad command line exits 2 with "COMMAND: what is wrong" (COMMAND: the
// program, and the subcommands it was given, as in "eventctl token create") and the usage hint;
// --help and --version exit 0.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventsd::flags {

inline constexpr int kUsage = 2;

// Sets `app` up as both programs are: -h/--help and --version (printing `version_line`), and
// help text in two columns, the descriptions wrapped to 100 columns. A program's help lists every
// command under it by its whole name ("token create"), each with its description. Call it before
// adding subcommands: they take the help flag and the layout from `app` when they are added.
void configure(CLI::App& app, const std::string& version_line);

// A whole number from min to max: digits only (no sign, no spaces, no exponent).
CLI::Validator whole(std::uint64_t min, std::uint64_t max);
// A finite decimal number from min to max.
CLI::Validator real(double min, double max);
// A list separated by commas (split_commas) of at least one item, each of which `item` accepts:
// it returns what is wrong with one item, "" when nothing is. `what` names the items ("URLs").
CLI::Validator list_of(std::function<std::string(const std::string&)> item, const std::string& what);
// NATS servers: nats://host:port or tls://host:port URLs separated by commas, at least one; no
// user or password in them (the command line is public: ps shows it).
CLI::Validator nats_urls();
// A file this process can read now (what is in it is checked where it is used).
CLI::Validator readable_file();

// Parses the command line. Returns the exit status when the program should stop here (0 after
// --help or --version, kUsage after an error, both printed), nullopt to go on.
std::optional<int> parse(CLI::App& app, int argc, char** argv);

// The command the last parse of `app` selected: `app`, or the innermost subcommand given.
const CLI::App& selected(const CLI::App& app);
// Prints "COMMAND: `message`" and the usage hint, as parse() does, for a command line that
// parses but cannot be run; COMMAND is the one selected in `app`. Returns kUsage.
int usage_error(const CLI::App& app, std::string_view message);

// "a,b,,c" -> {"a", "b", "c"}: a flag's comma-separated list, empty parts dropped.
std::vector<std::string> split_commas(std::string_view s);

}  // namespace eventsd::flags

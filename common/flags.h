// Command lines, one way for both programs (eventsd, eventctl): CLI11 parses them and writes the
// --help that the man pages are made from (packaging/man.cmake); these are the checks and the
// exits both share. A bad command line exits 2 with "PROGRAM: what is wrong" and the usage hint;
// --help and --version exit 0.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventsd::flags {

inline constexpr int kUsage = 2;

// Sets `app` up as both programs are: -h/--help and --version (printing `version_line`), and
// help text in two columns, the descriptions wrapped to 100 columns.
void configure(CLI::App& app, const std::string& version_line);

// A whole number from min to max: digits only (no sign, no spaces, no exponent).
CLI::Validator whole(std::uint64_t min, std::uint64_t max);
// A finite decimal number from min to max.
CLI::Validator real(double min, double max);

// Parses the command line. Returns the exit status when the program should stop here (0 after
// --help or --version, kUsage after an error, both printed), nullopt to go on.
std::optional<int> parse(CLI::App& app, int argc, char** argv);

// "a,b,,c" -> {"a", "b", "c"}: a flag's comma-separated list, empty parts dropped.
std::vector<std::string> split_commas(std::string_view s);

}  // namespace eventsd::flags

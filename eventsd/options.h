// eventsd's command line (docs/operations.md, "Flags"): every flag with its range, checked before
// anything is opened; --help is what the man page is made from.
#pragma once

#include <chrono>
#include <variant>

#include "eventsd/node.h"
#include "http/server/server.h"

namespace eventsd {

struct Options {
  NodeOptions node;
  http::ServerOptions server;
  std::chrono::milliseconds retention_interval = std::chrono::hours(1);
};

// The options, or the exit status when the program should stop here (after --help, --version or
// a bad command line, each printed).
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace eventsd

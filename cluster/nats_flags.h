// The flags that say how to reach NATS securely (docs/operations.md, "Cluster"; docs/cluster.md,
// "Securing NATS"), defined once for eventsd and for eventctl's commands that connect to NATS:
// --nats-creds, --nats-user-file, --nats-nkey-seed, --nats-ca, --nats-cert, --nats-key. Each
// names a file, which must be readable when the command line is parsed; what is in it is checked
// when the connection is made (cluster/nats.h, Security).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "cluster/nats.h"

namespace eventsd::nats {

// Adds the flags to `app`, bound to `into`, in the help's `group` (none when empty), each
// needing `servers` (the --nats flag) when given.
void add_security_flags(CLI::App& app, Security& into, CLI::Option* servers, const std::string& group = "");

}  // namespace eventsd::nats

// Checks of flag values that several eventctl commands share (common/flags.h holds those both
// programs share): a value refused here exits 2 naming its flag, before anything is opened.
#pragma once

#include <CLI/CLI.hpp>

namespace eventsd::cli {

// A tenant id as accounts/tokens.h takes it: 1-64 characters of A-Z a-z 0-9 _ . -
CLI::Validator tenant_id();
// Scopes separated by commas, each one of accounts/tokens.h's kScopes, at least one.
CLI::Validator scope_list();
// A publishable key's rate as accounts/tokens.h bounds it: 0 (the server's default) or
// 0.1-10000 requests per second.
CLI::Validator key_rate();

}  // namespace eventsd::cli

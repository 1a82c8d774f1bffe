#include "tools/validators.h"

#include <string>

#include "accounts/tokens.h"
#include "common/flags.h"

namespace eventsd::cli {

CLI::Validator tenant_id() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return is_valid_tenant(value) ? std::string()
                                      : "needs 1-64 characters of A-Z a-z 0-9 _ . - (got '" + value + "')";
      },
      "", "tenant");
}

CLI::Validator scope_list() {
  return flags::list_of(
      [](const std::string& scope) -> std::string {
        if (is_known_scope(scope)) return {};
        if (scope == kOperatorScope) return "'operator' is no tenant's scope: --operator makes an operator's token";
        std::string known;
        for (const auto s : kScopes) known += (known.empty() ? "" : " ") + std::string(s);
        return "unknown scope '" + scope + "' (the scopes: " + known + ")";
      },
      "scopes");
}

CLI::Validator key_rate() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (std::string wrong = flags::real(0, kMaxKeyRate)(value); !wrong.empty()) return wrong;
        try {
          check_key_rate("rate", std::stod(value));
          return {};
        } catch (const std::invalid_argument&) {
          return "must be 0 (the server's default) or from 0.1 to 10000 (got '" + value + "')";
        }
      },
      "", "rate");
}

}  // namespace eventsd::cli

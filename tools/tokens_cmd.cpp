// eventctl token create|import|list|revoke|check
#include <iostream>
#include <sstream>

#include "eventlog/store.h"
#include "eventlog/time.h"
#include "eventlog/tokens.h"
#include "tools/cli.h"

namespace eventsd::cli {

namespace {
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}
}  // namespace

int tokens(const std::string& verb, const Args& args) {
  args.only({"data", "tenant", "scopes", "create", "publishable", "origins", "rate", "address-rate", "key"});
  const bool writes = verb == "create" || verb == "import" || verb == "revoke";
  auto store_ptr = open_log_store(args.need("data"), writes, verb == "create" && args.get("create").has_value());
  Store& store = *store_ptr;
  TokenStore tokens(store);
  if (verb == "create") {
    try {
      if (args.get("publishable")) {
        if (args.get("scopes")) throw Usage("a publishable key has the events:write scope only; drop --scopes");
        PublishableSpec spec;
        spec.origins = split_commas(args.need("origins"));
        auto rate = [&](const char* name) {
          auto v = args.get(name);
          if (!v) return 0.0;
          std::size_t used = 0;
          double d = -1;
          try {
            d = std::stod(*v, &used);
          } catch (const std::exception&) {
          }
          if (used != v->size() || !(d >= 0)) throw Usage(std::string("--") + name + " needs a number >= 0");
          return d;
        };
        spec.rate = rate("rate");
        spec.address_rate = rate("address-rate");
        std::cout << tokens.create_publishable(args.need("tenant"), spec) << "\n";
        return kOk;
      }
      std::cout << tokens.create(args.need("tenant"), split_commas(args.need("scopes"))) << "\n";
    } catch (const std::invalid_argument& e) {
      throw Usage(e.what());
    }
    return kOk;
  }
  if (verb == "import") {
    // "--key -" reads the key from the first line of stdin, keeping it out of the process list
    // and the shell's history.
    std::string key = args.need("key");
    if (key == "-" && !std::getline(std::cin, key)) throw Usage("--key -: no key on stdin");
    if (!key.empty() && key.back() == '\r') key.pop_back();
    try {
      std::cout << tokens.import(args.need("tenant"), split_commas(args.need("scopes")), key) << "\n";
    } catch (const std::invalid_argument& e) {
      throw Usage(e.what());
    }
    return kOk;
  }
  if (verb == "list") {
    for (const auto& t : tokens.list()) {
      std::string scopes;
      for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
      std::cout << t.id << "\t" << t.tenant << "\t" << scopes << "\t" << format_iso8601_s(t.created_at);
      if (t.publishable) {
        std::string origins;
        for (const auto& o : t.origins) origins += (origins.empty() ? "" : ",") + o;
        std::cout << "\tpublishable\t" << origins;
      }
      std::cout << "\n";
    }
    return kOk;
  }
  if (verb == "revoke" || verb == "check") {
    if (args.positional.size() != 1) throw Usage("token " + verb + " takes one argument");
    if (verb == "revoke") {
      if (!tokens.revoke(args.positional[0])) {
        std::cerr << "eventctl: no token " << args.positional[0] << "\n";
        return kFailed;
      }
      return kOk;
    }
    auto reader = store.read();
    auto info = tokens.find(reader.txn(), args.positional[0]);
    if (!info) return kFailed;
    std::cout << info->id << "\t" << info->tenant << "\n";
    return kOk;
  }
  throw Usage("unknown token command: " + verb);
}

}  // namespace eventsd::cli

// eventctl: the operator's tool. Subcommands:
//   token create --data DIR --tenant T --scopes a,b   prints the new token alone on stdout
//   token list   --data DIR                            one token per line: id tenant scopes created
//   token revoke --data DIR ID
//   token check  --data DIR TOKEN                      exit 0 if the token is valid (prints it)
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "eventlog/store.h"
#include "eventlog/time.h"
#include "eventlog/tokens.h"

namespace {

using namespace eventsd;

const char* kUsage =
    "usage: eventctl <command> [options]\n"
    "  token create --data DIR --tenant T --scopes a,b,...\n"
    "  token list   --data DIR\n"
    "  token revoke --data DIR ID\n"
    "  token check  --data DIR TOKEN\n"
    "scopes: events:read events:write campaigns:read admin\n";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;

  const std::string& need(const std::string& name) const {
    auto it = options.find(name);
    if (it == options.end()) throw std::invalid_argument("--" + name + " is required");
    return it->second;
  }
};

Args parse(int argc, char** argv, int from) {
  Args args;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      if (i + 1 >= argc) throw std::invalid_argument("missing value for " + a);
      args.options[a.substr(2)] = argv[++i];
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

int token_command(const std::string& verb, const Args& args) {
  Store store(args.need("data"));
  TokenStore tokens(store);
  if (verb == "create") {
    std::cout << tokens.create(args.need("tenant"), split_commas(args.need("scopes"))) << "\n";
    return 0;
  }
  if (verb == "list") {
    for (const auto& t : tokens.list()) {
      std::string scopes;
      for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
      std::cout << t.id << "\t" << t.tenant << "\t" << scopes << "\t"
                << format_iso8601_s(t.created_at) << "\n";
    }
    return 0;
  }
  if (verb == "revoke") {
    if (args.positional.size() != 1) throw std::invalid_argument("token revoke needs the token id");
    if (!tokens.revoke(args.positional[0])) {
      std::cerr << "eventctl: no token " << args.positional[0] << "\n";
      return 1;
    }
    return 0;
  }
  if (verb == "check") {
    if (args.positional.size() != 1) throw std::invalid_argument("token check needs the token");
    auto reader = store.read();
    auto info = tokens.find(reader.txn(), args.positional[0]);
    if (!info) return 1;
    std::cout << info->id << "\t" << info->tenant << "\n";
    return 0;
  }
  throw std::invalid_argument("unknown token command: " + verb);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  try {
    const std::string command = argv[1];
    if (command == "token" && argc >= 3) return token_command(argv[2], parse(argc, argv, 3));
    throw std::invalid_argument("unknown command: " + command);
  } catch (const std::invalid_argument& e) {
    std::cerr << "eventctl: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "eventctl: " << e.what() << "\n";
    return 1;
  }
}

// eventctl: the operator's and auditor's tool (docs/operations.md).
#include <iostream>

#include "common/version.h"
#include "tools/cli.h"

namespace {

// Each command, then what it does on the next line: the shape help2man reads (the man page).
const char* kHelp =
    "usage: eventctl COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  token create --data DIR --tenant T --scopes a,b,... [--create]\n"
    "                   print a new token for tenant T with those scopes (--create: make the\n"
    "                   data directory if it is new)\n"
    "  token create --data DIR --tenant T --publishable --origins https://a.example,... [--rate RPS] [--address-rate RPS]\n"
    "                   print a new publishable (browser) key\n"
    "  token create --nats URL,... --tenant T (--scopes a,b,... | --publishable ...) [--replicas 1|3|5]\n"
    "                   the same for a cluster: published to its system stream, no data directory\n"
    "  token import --data DIR --tenant T --scopes a,b,... --key KEY|-\n"
    "                   store an existing API key (hashed) as a token; print its id\n"
    "  token list --data DIR\n"
    "                   each token's id, tenant, scopes and creation time (never the secret)\n"
    "  token revoke --data DIR TOKEN_ID\n"
    "                   revoke a token; the running server refuses it at once\n"
    "  token check --data DIR TOKEN\n"
    "                   print the id and tenant of a valid token; exit 1 if it is not valid\n"
    "  user create --data DIR --email E --tenants a,b [--role admin|member] [--create]\n"
    "                   a console user; the password from a prompt, or the first line of stdin\n"
    "  user list --data DIR\n"
    "                   the console users\n"
    "  user delete | passwd | revoke-sessions --data DIR --email E\n"
    "                   remove a user, set a new password, or end the user's sessions\n"
    "  rebuild --data DIR [--shard N]\n"
    "                   fold the log into a new read-model generation and switch to it (while\n"
    "                   eventsd serves, or not; `replay` is the same)\n"
    "  verify --data DIR [--shard N] [--json] [--scratch DIR]\n"
    "                   check the hash chain and every read model against a replay; print the\n"
    "                   read models' position and digest (equal on nodes at the same position)\n"
    "  dump --data DIR [--shard N] [--from POSITION]\n"
    "                   the log as JSON lines\n"
    "  audit --data DIR (--event ID | --contact ID) [--tenant T] [--shard N] [--from TIME] [--to TIME]\n"
    "                   the records that touched an event or a contact, as JSON lines\n"
    "  import --data DIR [--tenant T] [--create] FILE\n"
    "                   JSON lines (dump records or events) as commands (server stopped)\n"
    "  cluster status --nats URL,... [--json]\n"
    "                   each shard's owner, epoch and stream sequence, each live node's lag (as\n"
    "                   a table, or one JSON document); exit 1 when a shard has no owner\n"
    "  --version\n"
    "                   print the version and the git revision it was built from\n"
    "  --help\n"
    "                   print this help\n"
    "\n"
    "Scopes: events:read events:write campaigns:read admin\n"
    "\n"
    "A cluster node's DIR (DIR/shards/N) holds a log per shard: rebuild, verify and audit work on\n"
    "every shard (--shard N: one), dump on the one --shard names.\n"
    "\n"
    "Exit status: 0 ok, 1 failed, 2 usage, 3 hash chain broken, 4 read model differs,\n"
    "5 data dir busy\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace eventsd::cli;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
    std::cout << kHelp;
    return argc < 2 ? kUsage : kOk;
  }
  if (std::string(argv[1]) == "--version") {
    std::cout << "eventctl " << eventsd::version() << " (revision " << eventsd::revision() << ")\n";
    return kOk;
  }
  try {
    const std::string command = argv[1];
    if (command == "token") {
      if (argc < 3) throw Usage("token needs create, import, list, revoke or check");
      return tokens(argv[2], parse(argc, argv, 3, {"create", "publishable"}));
    }
    if (command == "user") {
      if (argc < 3) throw Usage("user needs create, list, delete, passwd or revoke-sessions");
      return users(argv[2], parse(argc, argv, 3, {"create"}));
    }
    if (command == "cluster") {
      if (argc < 3) throw Usage("cluster needs status");
      return cluster(argv[2], parse(argc, argv, 3, {"json"}));
    }
    const Args args = parse(argc, argv, 2, {"create", "json"});
    if (command == "rebuild" || command == "replay") return rebuild(args);
    if (command == "verify") return verify(args);
    if (command == "dump") return dump(args);
    if (command == "audit") return audit(args);
    if (command == "import") return import(args);
    throw Usage("unknown command: " + command);
  } catch (const Usage& e) {
    std::cerr << "eventctl: " << e.what() << "\n" << kHelp;
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "eventctl: " << e.what() << "\n";
    return kFailed;
  }
}

// eventctl's command line (tools/commands.h, common/flags.h): a usage error names the command and
// what is wrong with it and exits 2 before anything is opened; the help lists every command, and
// each command's help its options.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/e2e.h"

namespace eventsd {
namespace {

// eventctl with `args`, its stderr and stdout together in `out`.
test::RunResult eventctl_said(std::vector<std::string> args) {
  args.insert(args.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", test::eventctl_binary()});
  return test::run_command(args);
}

TEST(EventctlFlags, AUsageErrorNamesTheCommandAndTheFlag) {
  test::TempDir dir;
  const std::string data = (dir.path() / "never-created").string();
  struct Case {
    std::vector<std::string> args;
    std::string command, named;
  };
  const std::vector<Case> cases = {
      {{"token", "create", "--data", data, "--tenant", "t", "--scopes", "admin", "--rate", "5"},
       "eventctl token create", "--rate"},
      {{"token", "create", "--data", data, "--tenant", "t", "--scopes", "admin", "--publishable", "--origins",
        "https://a.example"},
       "eventctl token create", "--publishable"},
      {{"token", "create", "--data", data, "--nats", "nats://127.0.0.1:1", "--tenant", "t", "--scopes", "admin"},
       "eventctl token create", "--nats"},
      {{"token", "create", "--tenant", "t", "--scopes", "admin"}, "eventctl token create", "--data"},
      // An operator's token belongs to no tenant and has the operator scope alone.
      {{"token", "create", "--data", data, "--operator", "--tenant", "t"}, "eventctl token create", "--tenant"},
      {{"token", "create", "--data", data, "--operator", "--scopes", "admin"}, "eventctl token create", "--scopes"},
      {{"token", "create", "--data", data, "--operator", "--publishable", "--origins", "https://a.example"},
       "eventctl token create", "--publishable"},
      {{"token", "create", "--data", data, "--scopes", "admin"}, "eventctl token create", "--tenant, or --operator"},
      {{"token", "create", "--data", data, "--tenant", "t", "--scopes", "operator"}, "eventctl token create",
       "--scopes"},
      {{"token", "list", "--data", data, "--create"}, "eventctl token list", "--create"},
      {{"token", "revoke", "--data", data}, "eventctl token revoke", "TOKEN_ID"},
      {{"user", "create", "--data", data, "--email", "a@example.com"}, "eventctl user create", "--tenants"},
      {{"verify", "--data", data, "--bogus"}, "eventctl verify", "--bogus"},
      {{"verify", "--data", data, "--scratch"}, "eventctl verify", "--scratch"},
      {{"dump", "--data", data, "--from", "3", "--from", "4"}, "eventctl dump", "--from is given more than once"},
      {{"audit", "--data", data, "--event", "x", "--contact", "y"}, "eventctl audit", "--contact"},
      {{"audit", "--data", data}, "eventctl audit", "--event ID or --contact ID"},
      {{"import", "--data", data}, "eventctl import", "FILE"},
      {{"cluster", "status"}, "eventctl cluster status", "--nats"},
      {{"cluster", "status", "--nats", "nats://127.0.0.1:1", "--nats-ca", data}, "eventctl cluster status",
       "--nats-ca: cannot read " + data},
      {{"cluster", "status", "--nats", "nats://127.0.0.1:1", "--nats-cert", "/dev/null"}, "eventctl cluster status",
       "--nats-key"},
      {{"token", "create", "--data", data, "--tenant", "t", "--scopes", "admin", "--nats-user-file", "/dev/null"},
       "eventctl token create", "--nats"},
      {{"cluster", "nkey"}, "eventctl cluster nkey", "--seed-file"},
      {{"token"}, "eventctl token", "create, import, list, revoke or check"},
      {{"cluster", "stats"}, "eventctl cluster", "'stats'"},
      {{"frobnicate"}, "eventctl", "'frobnicate'"},
  };
  for (const auto& c : cases) {
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    SCOPED_TRACE(line);
    const auto r = eventctl_said(c.args);
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_EQ(r.out.rfind(c.command + ": ", 0), 0u) << r.out;
    EXPECT_NE(r.out.find(c.named), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Run " + c.command + " --help for the options."), std::string::npos) << r.out;
  }
  // A usage error found once the command runs reads the same.
  const auto typo = eventctl_said({"token", "list", "--data", data});
  EXPECT_EQ(typo.status, 2);
  EXPECT_EQ(typo.out.rfind("eventctl token list: " + data + " holds no eventsd data", 0), 0u) << typo.out;
  EXPECT_FALSE(std::filesystem::exists(data));
}

TEST(EventctlFlags, AValueOutOfItsRangeIsRefusedBeforeAnythingIsOpened) {
  test::TempDir dir;
  const std::string data = (dir.path() / "never-created").string();
  const std::vector<std::string> create{"token", "create", "--data", data, "--create", "--tenant", "t"};
  auto with = [](std::vector<std::string> args, std::vector<std::string> more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {with(create, {"--publishable", "--origins", "https://a.example", "--rate", "1000001"}), "--rate"},
      {with(create, {"--publishable", "--origins", "https://a.example", "--address-rate", "-1"}), "--address-rate"},
      {with(create, {"--publishable", "--origins", "https://a.example", "--rate", "nan"}), "--rate"},
      {with(create, {"--publishable", "--origins", "ftp://a.example"}), "--origins"},
      {with(create, {"--scopes", "events:reed"}), "--scopes"},
      {with(create, {"--scopes", ","}), "--scopes"},
      {{"token", "create", "--data", data, "--create", "--tenant", "t 7", "--scopes", "admin"}, "--tenant"},
      {{"token", "create", "--nats", "nats://127.0.0.1:1", "--tenant", "t", "--scopes", "admin", "--replicas", "2"},
       "--replicas"},
      {{"token", "create", "--nats", "127.0.0.1:4222", "--tenant", "t", "--scopes", "admin"}, "--nats"},
      {{"user", "create", "--data", data, "--create", "--email", "a@example.com", "--tenants", "t", "--role", "boss"},
       "--role"},
      {{"rebuild", "--data", data, "--shard", "1024"}, "--shard"},
      {{"verify", "--data", data, "--shard", "-1"}, "--shard"},
      {{"dump", "--data", data, "--from", "-1"}, "--from"},
      {{"dump", "--data", data, "--from", "1e3"}, "--from"},
      {{"audit", "--data", data, "--event", "x", "--from", "yesterday"}, "--from"},
      {{"import", "--data", data, "--create", "--tenant", "", "file.jsonl"}, "--tenant"},
      {{"cluster", "status", "--nats", "nats://"}, "--nats"},
      {{"cluster", "status", "--nats", "tls://eventsd:secret@127.0.0.1:4222"}, "--nats-user-file"},
  };
  for (const auto& [args, flag] : cases) {
    SCOPED_TRACE(args[0] + " " + flag);
    const auto r = eventctl_said(args);
    EXPECT_EQ(r.status, 2) << r.out;
    EXPECT_NE(r.out.find(flag), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(data)) << "opened before checking its flags";
  }
  // The range is in the message.
  const auto shard = eventctl_said({"verify", "--data", data, "--shard", "5000"});
  EXPECT_NE(shard.out.find("--shard: must be an integer from 0 to 1023"), std::string::npos) << shard.out;
}

TEST(EventctlFlags, HelpListsEveryCommandAndEachCommandItsOptions) {
  const auto help = test::run_command({test::eventctl_binary(), "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Usage: eventctl [OPTIONS] COMMAND"), std::string::npos) << help.out;
  for (const char* command : {"token create", "token import", "token list", "token revoke", "token check",
                              "user create", "user list", "user delete", "user passwd", "user revoke-sessions",
                              "rebuild, replay", "verify", "dump", "audit", "import", "cluster status",
                              "cluster nkey"}) {
    EXPECT_NE(help.out.find("\n  " + std::string(command) + " "), std::string::npos) << command << "\n" << help.out;
  }
  // `eventctl help` is the same; no command at all is a usage error that shows it.
  EXPECT_EQ(test::run_command({test::eventctl_binary(), "help"}).out, help.out);
  const auto none = test::run_command({test::eventctl_binary()});
  EXPECT_EQ(none.status, 2);
  EXPECT_EQ(none.out, help.out);

  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> commands = {
      {{"token", "create"},
       {"--data DIR", "--nats URL", "--create", "--tenant T", "--scopes", "--publishable", "--operator", "--origins",
        "--rate RPS", "--address-rate RPS", "--replicas N", "0.1-10000", "--nats-user-file FILE"}},
      {{"token", "import"}, {"--data DIR (required)", "--tenant T", "--scopes", "--key KEY|-"}},
      {{"token", "list"}, {"--data DIR"}},
      {{"token", "revoke"}, {"--data DIR", "TOKEN_ID"}},
      {{"token", "check"}, {"--data DIR", "TOKEN"}},
      {{"token"}, {"create", "import", "list", "revoke", "check"}},
      {{"user", "create"}, {"--data DIR", "--email E", "--tenants", "--role admin|member", "--create"}},
      {{"user", "list"}, {"--data DIR"}},
      {{"user", "delete"}, {"--data DIR", "--email E"}},
      {{"user", "passwd"}, {"--data DIR", "--email E"}},
      {{"user", "revoke-sessions"}, {"--data DIR", "--email E"}},
      {{"rebuild"}, {"--data DIR", "--shard N"}},
      {{"replay"}, {"--data DIR", "--shard N"}},
      {{"verify"}, {"--data DIR", "--shard N", "--json", "--scratch DIR"}},
      {{"dump"}, {"--data DIR", "--shard N", "--from POSITION"}},
      {{"audit"}, {"--data DIR", "--event ID", "--contact ID", "--tenant T", "--shard N", "--from TIME", "--to TIME"}},
      {{"import"}, {"--data DIR", "--tenant T", "--create", "FILE"}},
      {{"cluster", "status"},
       {"--nats URL", "--json", "--nats-creds FILE", "--nats-user-file FILE", "--nats-nkey-seed FILE",
        "--nats-ca FILE", "--nats-cert FILE", "--nats-key FILE"}},
      {{"cluster", "nkey"}, {"--seed-file FILE (required)"}},
  };
  for (const auto& [command, options] : commands) {
    std::vector<std::string> argv{test::eventctl_binary()};
    argv.insert(argv.end(), command.begin(), command.end());
    std::string name = "eventctl";
    for (const auto& word : command) name += " " + word;
    SCOPED_TRACE(name);
    argv.push_back("--help");
    const auto r = test::run_command(argv);
    EXPECT_EQ(r.status, 0);
    // An alias's help is its command's.
    const std::string usage = "Usage: " + (name == "eventctl replay" ? std::string("eventctl rebuild") : name) + " ";
    EXPECT_NE(r.out.find(usage), std::string::npos) << r.out;
    for (const auto& option : options) EXPECT_NE(r.out.find(option), std::string::npos) << option << "\n" << r.out;
  }
}

}  // namespace
}  // namespace eventsd

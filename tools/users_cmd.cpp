// eventctl user create|list|delete|passwd|revoke-sessions
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "eventlog/store.h"
#include "common/time.h"
#include "accounts/users.h"
#include "tools/cli.h"

namespace eventsd::cli {

namespace {

// One line from the terminal without echo.
std::string prompt_hidden(const char* prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

// The password: asked twice on a terminal, else the first line of standard input (so that it is
// never on the command line, where other users can see it).
std::string read_password() {
  if (::isatty(STDIN_FILENO)) {
    std::string first = prompt_hidden("password: ");
    std::string again = prompt_hidden("again: ");
    if (first != again) throw Usage("the passwords differ");
    return first;
  }
  std::string line;
  if (!std::getline(std::cin, line)) throw Usage("no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int users(const std::string& verb, const Args& args) {
  args.only({"data", "email", "tenants", "role", "create"});
  auto store = open_log_store(args.need("data"), true, verb == "create" && args.get("create").has_value());
  UserStore users(*store);
  try {
    if (verb == "create") {
      const auto user = users.create_user(args.need("email"), read_password(),
                                          split_commas(args.need("tenants")), args.get("role").value_or("member"));
      std::cout << user.id << "\n";
      return kOk;
    }
    if (verb == "list") {
      for (const auto& u : users.list_users()) {
        std::string tenants;
        for (const auto& t : u.tenants) tenants += (tenants.empty() ? "" : ",") + t;
        std::cout << u.id << "\t" << u.email << "\t" << u.role << "\t" << tenants << "\t"
                  << format_iso8601_s(u.created_at) << "\n";
      }
      return kOk;
    }
    if (verb == "delete" || verb == "passwd" || verb == "revoke-sessions") {
      const std::string& email = args.need("email");
      bool found = true;
      if (verb == "delete") found = users.delete_user(email);
      else if (verb == "passwd") found = users.set_password(email, read_password());
      else std::cout << users.revoke_sessions(email) << "\n";
      if (!found) {
        std::cerr << "eventctl: no user " << email << "\n";
        return kFailed;
      }
      return kOk;
    }
  } catch (const std::invalid_argument& e) {
    throw Usage(e.what());
  }
  throw Usage("unknown user command: " + verb);
}

}  // namespace eventsd::cli

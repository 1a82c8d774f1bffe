// eventctl user create|list|delete|passwd|tenants|revoke-sessions
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "accounts/users.h"
#include "common/flags.h"
#include "common/time.h"
#include "eventlog/store.h"
#include "tools/commands.h"
#include "tools/data_option.h"
#include "tools/exit_status.h"
#include "tools/terminal_text.h"

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

struct UserOptions {
  std::string data, email, tenants, role = "member";
  bool create = false;
};

// Runs `body` on the data directory's users; what UserStore refuses is a usage error.
template <class Body>
int with_users(const UserOptions& o, bool create, Body&& body) {
  auto store = open_log_store(o.data, true, create);
  UserStore users(*store);
  try {
    return body(users);
  } catch (const std::invalid_argument& e) {
    throw Usage(e.what());
  }
}

int not_found(const std::string& email) {
  std::cerr << "eventctl: no user " << printable(email) << "\n";
  return kFailed;
}

// A command of `user` with --data and, if `email`, --email E; `body` runs it.
std::pair<CLI::App*, std::shared_ptr<UserOptions>> add_user_command(CLI::App& user, Run& run, const char* name,
                                                                    const char* what, bool email,
                                                                    int (*body)(const UserOptions&)) {
  auto [command, o] = add_data_command(user, run, name, what, body);
  if (email) command->add_option("--email", o->email, "the user's e-mail address")->type_name("E")->required();
  return {command, o};
}

int create_user(const UserOptions& o) {
  return with_users(o, o.create, [&](UserStore& users) {
    const auto user = users.create_user(o.email, read_password(), flags::split_commas(o.tenants), o.role);
    std::cout << user.id << "\n";
    return kOk;
  });
}

int list_users(const UserOptions& o) {
  return with_users(o, false, [](UserStore& users) {
    for (const auto& u : users.list_users()) {
      std::string tenants;
      for (const auto& t : u.tenants) tenants += (tenants.empty() ? "" : ",") + t;
      std::cout << printable(u.id) << "\t" << printable(u.email) << "\t" << printable(u.role) << "\t"
                << printable(tenants) << "\t" << format_iso8601_s(u.created_at) << "\n";
    }
    return kOk;
  });
}

int delete_user(const UserOptions& o) {
  return with_users(o, false, [&](UserStore& users) { return users.delete_user(o.email) ? kOk : not_found(o.email); });
}

int set_password(const UserOptions& o) {
  return with_users(o, false, [&](UserStore& users) {
    return users.set_password(o.email, read_password()) ? kOk : not_found(o.email);
  });
}

int set_tenants(const UserOptions& o) {
  return with_users(o, false, [&](UserStore& users) {
    return users.set_tenants(o.email, flags::split_commas(o.tenants)) ? kOk : not_found(o.email);
  });
}

int revoke_sessions(const UserOptions& o) {
  return with_users(o, false, [&](UserStore& users) {
    std::cout << users.revoke_sessions(o.email) << "\n";
    return kOk;
  });
}

}  // namespace

void add_user_commands(CLI::App& app, Run& run) {
  auto* user = add_group(app, "user", "console users");

  auto [create, o] = add_user_command(*user, run, "create",
                                      "a new console user of the tenants, the password from a prompt or the "
                                      "first line of standard input; print the user's id",
                                      true, create_user);
  create->add_option("--tenants", o->tenants, "the tenants the user may see; a login starts in the first")
      ->type_name("a,b,...")
      ->required();
  create->add_option("--role", o->role, "admin (every scope in the tenants) or member (all but admin; the "
                                        "default)")
      ->type_name("admin|member")
      ->check(CLI::IsMember({"admin", "member"}).description(""));
  create->add_flag("--create", o->create, "make the data directory if it is new");

  add_user_command(*user, run, "list", "each console user's id, e-mail, role, tenants and creation time", false,
                   list_users);
  add_user_command(*user, run, "delete", "remove a console user, ending the user's sessions", true, delete_user);
  add_user_command(*user, run, "passwd", "set a console user's password (as create reads it), ending the user's "
                                         "sessions", true, set_password);
  auto [tenants, t] = add_user_command(*user, run, "tenants",
                                      "replace a console user's tenants; the user's sessions and event streams "
                                      "lose the tenants removed at once",
                                      true, set_tenants);
  tenants->add_option("--tenants", t->tenants, "the tenants the user may see from now on")
      ->type_name("a,b,...")
      ->required();
  add_user_command(*user, run, "revoke-sessions", "end a console user's sessions; print how many ended", true,
                   revoke_sessions);
}

}  // namespace eventsd::cli

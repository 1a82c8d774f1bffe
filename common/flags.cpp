#include "common/flags.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace eventsd::flags {

CLI::Validator whole(std::uint64_t min, std::uint64_t max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& value) -> std::string {
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || value.front() == '-' || value.front() == '+' || ec != std::errc() ||
            end != value.data() + value.size() || n < min || n > max) {
          return "must be an integer from " + range + " (got '" + value + "')";
        }
        return {};
      },
      "", "whole");
}

namespace {

// 1000000 rather than 1e+06; 0.5 as it is.
std::string number_text(double v) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// `text` in lines of at most `width` columns, broken at spaces.
std::string wrap(const std::string& text, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return out + line;
}

// The commands under `app` that a user can give (not option groups, not hidden ones).
std::vector<const CLI::App*> commands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty() && !sub->get_group().empty(); });
}

// Two columns, the descriptions wrapped; an option's requirements are said in its description.
// Commands are listed by their whole name under the app whose help it is ("token create", with
// its arguments), so a program's help names every command a user can run; they come before the
// options, and the footer with them, so that help2man puts them in the man page's DESCRIPTION
// and only the options in its OPTIONS.
class Formatter : public CLI::Formatter {
 public:
  static constexpr std::size_t kWidth = 100;
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (commands(*app).empty()) return CLI::Formatter::make_help(app, std::move(name), mode);
    std::string out = make_description(app) + make_usage(app, name) + make_subcommands(app, mode);
    if (const std::string footer = make_footer(app); !footer.empty()) out += "\n" + footer;
    return out + make_groups(app, mode) + "\n";
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out;
    if (!opt->get_positional() && opt->get_type_size() != 0 && !opt->get_type_name().empty()) {
      out += " " + opt->get_type_name();
    }
    if (opt->get_required()) out += " (required)";
    return out;
  }
  std::string make_option_desc(const CLI::Option* opt) const override { return wrap(opt->get_description(), width()); }
  std::string make_description(const CLI::App* app) const override {
    const std::string& text = app->get_description();
    return text.empty() ? text : wrap(text, kWidth) + "\n";
  }
  std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode) const override {
    std::string rows = command_rows(*app, "");
    return rows.empty() ? rows : "\n" + get_label("Commands") + ":\n" + rows;
  }

 private:
  std::size_t width() const { return kWidth > get_column_width() + 20 ? kWidth - get_column_width() : 40; }
  std::string command_rows(const CLI::App& app, const std::string& prefix) const {
    std::string out;
    for (const CLI::App* sub : commands(app)) {
      std::string name = prefix + sub->get_name();
      if (!commands(*sub).empty()) {
        out += command_rows(*sub, name + " ");
        continue;
      }
      for (const CLI::Option* arg : sub->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
        name += " " + make_option_usage(arg);
      }
      for (const auto& alias : sub->get_aliases()) name += ", " + prefix + alias;
      std::ostringstream row;
      CLI::detail::format_help(row, name, wrap(sub->get_description(), width()), get_column_width());
      out += row.str();
    }
    return out;
  }
};

}  // namespace

void configure(CLI::App& app, const std::string& version_line) {
  app.set_help_flag("-h,--help", "print this help");
  app.set_version_flag("--version", version_line, "print the version and the git revision it was built from");
  auto formatter = std::make_shared<Formatter>();
  formatter->column_width(30);
  formatter->label("SUBCOMMAND", "COMMAND");
  app.formatter(formatter);
}

CLI::Validator real(double min, double max) {
  return CLI::Validator(
      [min, max](std::string& value) -> std::string {
        double n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !std::isfinite(n) ||
            n < min || n > max) {
          return "must be a number from " + number_text(min) + " to " + number_text(max) +
                 " (got '" + value + "')";
        }
        return {};
      },
      "", "real");
}

CLI::Validator list_of(std::function<std::string(const std::string&)> item, const std::string& what) {
  return CLI::Validator(
      [item = std::move(item), what](std::string& value) -> std::string {
        const auto items = split_commas(value);
        if (items.empty()) return "needs at least one of the " + what + ", separated by commas";
        for (const auto& one : items) {
          if (std::string wrong = item(one); !wrong.empty()) return wrong;
        }
        return {};
      },
      "", what);
}

CLI::Validator nats_urls() {
  return list_of(
      [](const std::string& url) -> std::string {
        const bool scheme = (url.starts_with("nats://") || url.starts_with("tls://"));
        if (!scheme || url.size() == url.find("://") + 3) {
          return "needs nats://host:port or tls://host:port URLs separated by commas (got '" + url + "')";
        }
        if (url.find('@') != std::string::npos) {
          return "takes no user or password in a URL, where ps shows them: use --nats-user-file (got '" +
                 url.substr(0, url.find("://") + 3) + "...@" + url.substr(url.rfind('@') + 1) + "')";
        }
        return {};
      },
      "URLs");
}

CLI::Validator readable_file() {
  return CLI::Validator(
      [](std::string& path) -> std::string {
        std::ifstream in(path);
        if (!in) return "cannot read " + path + ": " + std::strerror(errno);
        if (std::filesystem::is_directory(path)) return path + " is a directory, not a file";
        return {};
      },
      "", "file");
}

const CLI::App& selected(const CLI::App& app) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().front();
  return *at;
}

namespace {

// "eventctl token create": the program and the commands down to `app`.
std::string command_name(const CLI::App& app) {
  std::string name = app.get_name();
  for (const CLI::App* up = app.get_parent(); up; up = up->get_parent()) name = up->get_name() + " " + name;
  return name;
}

// What CLI11 says, said plainly where it is terse.
std::string explain(const CLI::ParseError& e, const CLI::App& app) {
  const CLI::App& command = selected(app);
  std::string message = e.what();
  // A flag given twice (CLI11 says "At Most 1 required but received 2").
  if (e.get_name() == "ArgumentMismatch" && message.find("At Most 1") != std::string::npos) {
    return message.substr(0, message.find(':')) + " is given more than once";
  }
  // What no option takes, in the order given (CLI11 lists them backwards).
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    message = "did not expect";
    for (const auto& arg : app.remaining(true)) message += " " + arg;
    return message;
  }
  // No command, or one that does not exist: name the ones there are.
  if (dynamic_cast<const CLI::RequiredError*>(&e) && message.starts_with("A subcommand")) {
    const auto names = commands(command);
    message = "needs a command:";
    for (std::size_t i = 0; i < names.size(); ++i) {
      message += (i == 0 ? " " : i + 1 == names.size() ? " or " : ", ") + names[i]->get_name();
    }
    if (const auto given = command.remaining(); !given.empty()) message += " (got '" + given.front() + "')";
  }
  return message;
}

}  // namespace

int usage_error(const CLI::App& app, std::string_view message) {
  const std::string name = command_name(selected(app));
  std::cerr << name << ": " << message << "\nRun " << name << " --help for the options.\n";
  return kUsage;
}

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::cout << app.version() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(app, explain(e, app));
  }
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    const std::string_view part = s.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace eventsd::flags

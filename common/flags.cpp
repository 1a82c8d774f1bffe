#include "common/flags.h"

#include <charconv>
#include <cmath>
#include <iostream>

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

// Two columns, the descriptions wrapped; an option's requirements are said in its description.
class Formatter : public CLI::Formatter {
 public:
  static constexpr std::size_t kWidth = 100;
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out;
    if (opt->get_type_size() != 0 && !opt->get_type_name().empty()) out += " " + opt->get_type_name();
    if (opt->get_required()) out += " (required)";
    return out;
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    const std::string text = opt->get_description();
    const std::size_t width = kWidth > get_column_width() + 20 ? kWidth - get_column_width() : 40;
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
};

}  // namespace

void configure(CLI::App& app, const std::string& version_line) {
  app.set_help_flag("-h,--help", "print this help");
  app.set_version_flag("--version", version_line, "print the version and the git revision it was built from");
  auto formatter = std::make_shared<Formatter>();
  formatter->column_width(30);
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
    std::string message = e.what();
    // A flag given twice: say so plainly (CLI11 says "At Most 1 required but received 2").
    if (e.get_name() == "ArgumentMismatch" && message.find("At Most 1") != std::string::npos) {
      message = message.substr(0, message.find(':')) + " is given more than once";
    }
    std::cerr << app.get_name() << ": " << message << "\nRun " << app.get_name() << " --help for the options.\n";
    return kUsage;
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

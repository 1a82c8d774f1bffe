#include "http/api/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "common/version.h"

namespace eventsd::http {

namespace {

void metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name)
      .append(" ").append(type).append("\n").append(name).append(" ").append(buf).append("\n");
}

// The fields of /proc/self/stat after the command name (field 3, the state, is [0]).
std::optional<std::vector<std::string>> stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      if (in >> t) return t;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

void append_process_metrics(std::string& out) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (auto f = stat_fields(); f && ticks > 0) {
    // proc(5): utime (14) and stime (15) in clock ticks, starttime (22) in ticks after boot,
    // vsize (23) in bytes, rss (24) in pages; [0] is field 3.
    const double cpu = (std::stod((*f)[11]) + std::stod((*f)[12])) / ticks;
    metric(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpu);
    metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", std::stod((*f)[20]));
    metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", std::stod((*f)[21]) * page);
    if (auto boot = boot_time()) {
      metric(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
             *boot + std::stod((*f)[19]) / ticks);
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
  if (!ec && fds > 0) {
    // The directory iterator's own descriptor is among those listed.
    metric(out, "process_open_fds", "gauge", "Number of open file descriptors.", static_cast<double>(fds - 1));
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    metric(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<double>(limit.rlim_cur));
  }
  if (getrlimit(RLIMIT_AS, &limit) == 0) {
    // client_golang reports an unlimited address space as -1.
    metric(out, "process_virtual_memory_max_bytes", "gauge", "Maximum amount of virtual memory available in bytes.",
           limit.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(limit.rlim_cur));
  }
}

void append_build_info(std::string& out) {
  // Both values are the build's own (digits, dots, hex, "-dirty"): nothing to escape.
  const std::string labels =
      "version=\"" + std::string(version()) + "\",revision=\"" + std::string(revision()) + "\"";
  out.append("# HELP eventsd_build_info The version of eventsd and the git revision it was built from.\n")
      .append("# TYPE eventsd_build_info gauge\n")
      .append("eventsd_build_info{").append(labels).append("} 1\n");
}

}  // namespace eventsd::http

// Dialects by path, and mounts: a dialect served under a prefix (--mount DIALECT=/PREFIX).
#include "http/api/mounts.h"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "http/api/route_match.h"

namespace eventsd::http {

namespace {

constexpr std::pair<Dialect, std::string_view> kDialectNames[] = {
    {Dialect::native, "native"},
    {Dialect::org_unit, "org_unit"},
    {Dialect::campaign, "campaign"},
    {Dialect::workspace, "workspace"}};

}  // namespace

Mount parse_mount(std::string_view spec) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos) throw std::invalid_argument("--mount needs DIALECT=/PREFIX");
  const std::string_view name = spec.substr(0, eq);
  const std::string_view prefix = spec.substr(eq + 1);
  std::optional<Dialect> dialect;
  for (const auto& [d, n] : kDialectNames) {
    if (n == name) dialect = d;
  }
  if (!dialect) {
    throw std::invalid_argument("--mount: unknown dialect '" + std::string(name) +
                                "' (native, org_unit, campaign or workspace)");
  }
  auto bad = [&](const char* why) {
    return std::invalid_argument("--mount: prefix '" + std::string(prefix) + "' " + why);
  };
  if (prefix.size() < 2 || prefix.front() != '/') throw bad("must start with / and name a path");
  if (prefix.back() == '/') throw bad("must not end with /");
  if (prefix.size() > 200) throw bad("is longer than 200 bytes");
  for (char c : prefix) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '-' || c == '_' || c == '.' || c == '~';
    if (!ok) throw bad("may hold only letters, digits, '/', '-', '_', '.' and '~'");
  }
  Mount mount{*dialect, std::string(prefix), pattern_segments(prefix)};
  for (const auto& seg : mount.segments) {
    if (seg.empty() || seg == "." || seg == "..") throw bad("has an empty, '.' or '..' segment");
  }
  return mount;
}

bool under_mount(const std::vector<std::string>& path, const Mount& mount) {
  return path.size() >= mount.segments.size() && std::equal(mount.segments.begin(), mount.segments.end(), path.begin());
}

Dialect dialect_of_path(const std::vector<std::string>& path, const std::vector<Mount>& mounts) {
  for (const auto& m : mounts) {
    if (under_mount(path, m)) return m.dialect;
  }
  if (!path.empty() && path[0] == "api") return Dialect::workspace;
  if (path.size() >= 2 && path[0] == "v1" && path[1] == "campaigns") return Dialect::campaign;
  if (!path.empty() && (path[0] == "v1" || path[0] == "hooks")) return Dialect::native;
  return Dialect::org_unit;
}

Dialect dialect_of_target(std::string_view target) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return Dialect::org_unit;
  std::vector<std::string> path;
  for (auto seg : parsed->segments()) {
    path.push_back(seg);
    if (path.size() == 2) break;
  }
  return dialect_of_path(path);
}

}  // namespace eventsd::http

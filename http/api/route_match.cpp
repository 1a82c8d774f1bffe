// Matching a method and a decoded path against the routes: the most specific pattern, then the
// method, under the mounts first.
#include "http/api/route_match.h"

#include <optional>
#include <span>

#include "accounts/tokens.h"

namespace eventsd::http {

bool Route::spans_tenants() const { return scope == kOperatorScope; }

namespace {

bool is_placeholder(const std::string& seg) {
  return seg.size() > 1 && seg.front() == '{' && seg.back() == '}';
}

bool matches(const Route& route, std::span<const std::string> path,
             std::vector<std::string>& captures) {
  if (route.segments.size() != path.size()) return false;
  captures.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& seg = route.segments[i];
    if (is_placeholder(seg)) {
      if (path[i].empty()) return false;
      captures.push_back(path[i]);
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

// -1: `a` is more specific than `b` (a fixed segment where `b` has a placeholder, at the first
// place they differ); 1: less; 0: as specific.
int compare_specificity(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    const bool pa = is_placeholder(a.segments[i]), pb = is_placeholder(b.segments[i]);
    if (pa != pb) return pa ? 1 : -1;
  }
  return 0;
}

// The routes (of `only`'s dialect, when given) on `rest`.
RouteMatch search(const std::vector<Route>& routes, bhttp::verb method, std::span<const std::string> rest,
                  std::optional<Dialect> only) {
  RouteMatch m;
  const Route* best = nullptr;
  std::vector<std::string> captures;
  for (const auto& r : routes) {
    if (only && r.dialect != *only) continue;
    if (!matches(r, rest, captures)) continue;
    if (!best || compare_specificity(r, *best) < 0) best = &r;
  }
  if (!best) return m;
  m.path_known = true;
  m.dialect = best->dialect;
  const bhttp::verb wanted = method == bhttp::verb::head ? bhttp::verb::get : method;
  std::vector<std::string> methods;
  for (const auto& r : routes) {
    if (r.pattern != best->pattern || (only && r.dialect != *only)) continue;
    m.at_path.push_back(&r);
    if (r.method == wanted && !m.route) {
      m.route = &r;
      matches(r, rest, m.captures);
    }
    methods.emplace_back(bhttp::to_string(r.method));
    if (r.method == bhttp::verb::get) methods.emplace_back("HEAD");
  }
  for (const auto& name : methods) {
    if (m.allow.find(name) != std::string::npos) continue;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += name;
  }
  return m;
}

}  // namespace

std::vector<std::string> pattern_segments(std::string_view pattern) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    std::size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    out.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

RouteMatch match_route(const std::vector<Route>& routes, const std::vector<Mount>& mounts, bhttp::verb method,
                       const std::vector<std::string>& path) {
  // Under a mount, the mounted dialect's routes on what follows the prefix; then every route on
  // the whole path.
  for (const auto& mount : mounts) {
    if (!under_mount(path, mount)) continue;
    RouteMatch m = search(routes, method, std::span(path).subspan(mount.segments.size()), mount.dialect);
    if (m.path_known) return m;
  }
  return search(routes, method, path, std::nullopt);
}

}  // namespace eventsd::http

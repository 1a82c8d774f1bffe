#include "http/api/router.h"

#include "http/api/auth.h"
#include "http/api/cors.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdio>
#include <span>
#include <stdexcept>

#include "common/encoding.h"
#include "http/api/view.h"

namespace eventsd::http {

namespace {

std::vector<std::string> split(std::string_view pattern) {
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

Dialect dialect_of_path(const std::vector<std::string>& path) {
  if (!path.empty() && path[0] == "api") return Dialect::workspace;
  if (path.size() >= 2 && path[0] == "v1" && path[1] == "campaigns") return Dialect::campaign;
  if (!path.empty() && path[0] == "v1") return Dialect::native;
  return Dialect::org_unit;
}

// The decoded path segments of an origin-form target, with trailing slashes dropped ("/events/"
// is "/events"; "/" is no segment at all).
std::vector<std::string> path_of(const boost::urls::url_view& target) {
  std::vector<std::string> path;
  for (auto seg : target.segments()) path.push_back(seg);
  while (!path.empty() && path.back().empty()) path.pop_back();
  return path;
}

constexpr std::pair<Dialect, std::string_view> kDialectNames[] = {
    {Dialect::native, "native"},
    {Dialect::org_unit, "org_unit"},
    {Dialect::campaign, "campaign"},
    {Dialect::workspace, "workspace"}};

bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// The entity tag of an answer: the read models' position, how the answer depends on the clock
// ('-': not at all, 'd': by the UTC day), then a digest of what else it depends on.
std::string entity_tag(std::uint64_t checkpoint, char clock, Millis now, const Request& req) {
  std::string identity = req.principal.tenant;
  identity.push_back('\0');
  identity.append(req.raw.target());
  identity.push_back('\0');
  if (auto it = req.raw.find(bhttp::field::accept_encoding); it != req.raw.end()) {
    identity.append(it->value());  // a compressed answer is another representation
  }
  identity.push_back('\0');
  if (clock == 'd') identity.append(std::to_string(day_start(now)));
  std::string tag = std::to_string(checkpoint);
  tag.insert(tag.begin(), '"');
  tag.push_back(clock);
  tag.append(to_hex(sha256(identity)), 0, 20);
  tag.push_back('"');
  return tag;
}

// Whether an If-None-Match value names `tag` (weak comparison, RFC 9110 §13.1.2).
bool none_match_hits(std::string_view header, std::string_view tag) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  if (trim(header) == "*") return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == tag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// The clock code of a tag this server issued ('-' or 'd'), if it is one.
std::optional<char> tag_clock(std::string_view header) {
  const auto quote = header.find('"');
  if (quote == std::string_view::npos) return std::nullopt;
  for (std::size_t i = quote + 1; i < header.size(); ++i) {
    if (header[i] >= '0' && header[i] <= '9') continue;
    if (header[i] == '-' || header[i] == 'd') return header[i];
    break;
  }
  return std::nullopt;
}

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
  Mount mount{*dialect, std::string(prefix), split(prefix)};
  for (const auto& seg : mount.segments) {
    if (seg.empty() || seg == "." || seg == "..") throw bad("has an empty, '.' or '..' segment");
  }
  return mount;
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

Dialect Router::dialect_of(std::string_view target) const {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return Dialect::org_unit;
  const auto path = path_of(*parsed);
  for (const auto& m : mounts_) {
    if (starts_with(path, m.segments)) return m.dialect;
  }
  return dialect_of_path(path);
}

void Router::add(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                 Handler handler) {
  std::string name = std::string(bhttp::to_string(method)) + " " + pattern;
  Route route{method, pattern, dialect, std::move(scope), std::move(handler), split(pattern), std::move(name)};
  routes_.push_back(std::move(route));
}

void Router::add_log_write(bhttp::verb method, std::string pattern, Dialect dialect, std::string scope,
                           Handler handler) {
  add(method, std::move(pattern), dialect, std::move(scope), std::move(handler));
  routes_.back().writes_log = true;
}

void Router::mount(Mount mount) {
  for (const auto& m : mounts_) {
    if (m.prefix == mount.prefix) throw std::invalid_argument("--mount: prefix " + mount.prefix + " is mounted twice");
  }
  mounts_.push_back(std::move(mount));
  // The longest prefix is tried first.
  std::stable_sort(mounts_.begin(), mounts_.end(),
                   [](const Mount& a, const Mount& b) { return a.segments.size() > b.segments.size(); });
}

struct Router::Match {
  const Route* route = nullptr;
  std::vector<const Route*> at_path;  // every route of the winning pattern (CORS preflights)
  std::vector<std::string> captures;
  bool path_known = false;  // some pattern matches the path
  std::string allow;        // the methods of the winning pattern, when the method is not one
  Dialect dialect = Dialect::native;
};

Router::Match Router::find(bhttp::verb method, const std::vector<std::string>& path) const {
  // Under a mount, the mounted dialect's routes on what follows the prefix; then every route on
  // the whole path.
  auto search = [&](std::span<const std::string> rest, std::optional<Dialect> only) {
    Match m;
    const Route* best = nullptr;
    std::vector<std::string> captures;
    for (const auto& r : routes_) {
      if (only && r.dialect != *only) continue;
      if (!matches(r, rest, captures)) continue;
      if (!best || compare_specificity(r, *best) < 0) best = &r;
    }
    if (!best) return m;
    m.path_known = true;
    m.dialect = best->dialect;
    const bhttp::verb wanted = method == bhttp::verb::head ? bhttp::verb::get : method;
    std::vector<std::string> methods;
    for (const auto& r : routes_) {
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
  };
  for (const auto& mount : mounts_) {
    if (!starts_with(path, mount.segments)) continue;
    Match m = search(std::span(path).subspan(mount.segments.size()), mount.dialect);
    if (m.path_known) return m;
  }
  return search(path, std::nullopt);
}

boost::asio::awaitable<Reply> Router::handle(App& app, const RawRequest& raw,
                                             std::optional<std::string> forwarded_by) const {
  Access access;
  Reply reply = co_await dispatch(app, raw, std::move(forwarded_by), access);
  allow_origin(app, raw, access, reply.response);
  co_return reply;
}

boost::asio::awaitable<Reply> Router::dispatch(App& app, const RawRequest& raw,
                                               std::optional<std::string> forwarded_by, Access& access) const {
  Request request{raw, {}, {}, {}, {}, app.clock->now_millis(), std::move(forwarded_by)};
  Dialect dialect = Dialect::native;
  const Route* route = nullptr;
  // What every answer gets.
  auto finish = [&](Reply reply) {
    Response& res = reply.response;
    res.set(bhttp::field::date, format_http_date(request.received_at));
    if (route) {
      reply.route = route->name;
      if (!route->scope.empty() && res.find(bhttp::field::cache_control) == res.end()) {
        const bool fresh = res.result_int() < 300 && route->method == bhttp::verb::get;
        res.set(bhttp::field::cache_control, fresh ? "private, no-cache" : "no-store");
      }
    }
    // (HEAD gets GET's answer: the server sends its header alone, with the length GET's body has.)
    return reply;
  };
  try {
    auto target = boost::urls::parse_origin_form(raw.target());
    if (!target) throw ApiError(400, "invalid_request", "the request target is not a valid path");
    request.path = path_of(*target);
    dialect = dialect_of(raw.target());
    for (auto param : target->params()) {
      if (param.key.empty() && !param.has_value) continue;  // "?" alone, or "&&"
      request.query.add(param.key, param.has_value ? param.value : std::string());
    }

    Match match = find(raw.method(), request.path);
    if (match.path_known) dialect = match.dialect;
    if (!match.route) {
      if (!match.path_known) throw ApiError(404, "not_found", "no such route");
      if (raw.method() == bhttp::verb::options) co_return finish(preflight(app, raw, match.at_path, dialect));
      Response res = error_response(dialect, ApiError(405, "method_not_allowed",
                                                      "method not allowed on this route"));
      res.set(bhttp::field::allow, match.allow);
      co_return finish(Reply(std::move(res)));
    }
    route = match.route;
    request.captures = std::move(match.captures);
    dialect = route->dialect;

    access.route = route;
    if (!route->scope.empty()) authenticate(app, *route, request, access);
    if (route->method == bhttp::verb::get) {  // GET, or HEAD served by the GET route
      if (auto min = request.query.take("min_position")) {
        co_await await_min_position(app.engine(request.principal.tenant), *min);
      }
    } else if (route->writes_log && app.routing && !app.routing->decides(request.principal.tenant)) {
      // Cluster mode: the node that owns the tenant's shard decides; its answer is relayed.
      co_return finish(Reply(co_await app.routing->forward(request)));
    } else if (!route->scope.empty() && !app.engine(request.principal.tenant).writer.admits(raw.body().size())) {
      // Before the body is parsed: a full queue costs the server nothing more.
      throw overloaded();
    }

    // Conditional GET. The position is read before the handler's own snapshot, so the tag never
    // names a newer state than the answer shows (at worst a later request misses a 304).
    std::optional<std::uint64_t> checkpoint;
    if (route->method == bhttp::verb::get && !route->scope.empty()) {
      {
        TenantView view(app, request.principal.tenant);
        checkpoint = view.models().checkpoint(view.txn());
      }
      auto inm = raw.find(bhttp::field::if_none_match);
      // "*" asks whether the answer exists at all: only the handler can tell.
      if (inm != raw.end() && inm->value().find('"') != std::string_view::npos) {
        // The clock code of the tag the client holds says how this answer depends on the clock:
        // the same route and target read it the same way.
        const char clock = tag_clock(inm->value()).value_or('-');
        const std::string tag = entity_tag(*checkpoint, clock, request.received_at, request);
        if (none_match_hits(inm->value(), tag)) {
          Response res{bhttp::status::not_modified, 11};
          res.set(bhttp::field::etag, tag);
          co_return finish(Reply(std::move(res)));
        }
      }
    }

    Reply reply = co_await route->handler(app, request);
    if (checkpoint && !reply.chunks && reply.response.result() == bhttp::status::ok) {
      const Millis g = request.clock_granularity;
      if (g == 0 || g == kMillisPerDay) {
        const std::string tag = entity_tag(*checkpoint, g == 0 ? '-' : 'd', request.received_at, request);
        if (auto inm = raw.find(bhttp::field::if_none_match);
            inm != raw.end() && none_match_hits(inm->value(), tag)) {
          reply = Reply(Response{bhttp::status::not_modified, 11});
        }
        reply.response.set(bhttp::field::etag, tag);
      }
    }
    co_return finish(std::move(reply));
  } catch (const ApiError& e) {
    co_return finish(Reply(error_response(dialect, e)));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eventsd: %s %s: %s\n", std::string(raw.method_string()).c_str(),
                 std::string(raw.target()).c_str(), e.what());
    co_return finish(Reply(error_response(dialect, ApiError(500, "internal_error", "internal error"))));
  }
}

}  // namespace eventsd::http

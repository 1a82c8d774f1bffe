// The routes table (http/dialects/routes.h): docs/openapi.yaml (as served at /openapi.yaml) names
// every route the server has, and no other; every route that changes events says it writes the log.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

extern const std::string_view kOpenApiYaml;

namespace {

// "METHOD /path" for each operation under `paths:` (two-space path keys, four-space methods).
std::set<std::string> documented_routes() {
  std::set<std::string> out;
  std::istringstream in{std::string(kOpenApiYaml)};
  bool in_paths = false;
  std::string path;
  for (std::string line; std::getline(in, line);) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ' && line[0] != '#') break;  // the next top-level key
    if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
    } else if (line.rfind("    ", 0) == 0 && line[4] != ' ') {
      const std::string method = line.substr(4, line.find(':') - 4);
      if (method == "get" || method == "post" || method == "put" || method == "delete") {
        std::string upper = method;
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        out.insert(upper + " " + path);
      }
    }
  }
  return out;
}

TEST(OpenApi, DocumentsExactlyTheRoutesTheServerHas) {
  std::set<std::string> served;
  const Router router = make_router();
  for (const auto& r : router.routes()) {
    served.insert(std::string(bhttp::to_string(r.method)) + " " + r.pattern);
  }
  const auto documented = documented_routes();
  EXPECT_GT(documented.size(), 10u);
  for (const auto& r : served) EXPECT_TRUE(documented.count(r)) << r << " is served but not documented";
  for (const auto& r : documented) EXPECT_TRUE(served.count(r)) << r << " is documented but not served";
}

// Cluster mode forwards the routes that write the log to the shard's owner: every route that
// changes events must say so, or a non-owner would try to decide it itself (and answer 503).
TEST(Routes, EveryRouteThatChangesEventsWritesTheLog) {
  const Router router = make_router();
  std::size_t writes = 0;
  for (const auto& route : router.routes()) {
    if (route.method != bhttp::verb::get && route.scope == "events:write") {
      EXPECT_TRUE(route.writes_log) << route.name;
    }
    if (route.method == bhttp::verb::get) {
      EXPECT_FALSE(route.writes_log) << route.name;
    }
    writes += route.writes_log;
  }
  EXPECT_GE(writes, 10u);
}

}  // namespace
}  // namespace eventsd::http

// Operators and tenants (docs/security.md, "Operators and tenants"), through the router in
// process: what spans every tenant — rebuilding the read models, /healthz's positions and shards —
// takes an operator's token, which a tenant's admin can neither use in its place nor make; an
// operator's token reads no tenant's data.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "accounts/tokens.h"
#include "tests/support/api_test.h"

namespace eventsd {
namespace {

using test::ApiTest;
using test::HttpResponse;
using verb = boost::beast::http::verb;

void expect_refused_for_lack_of_operator(const HttpResponse& r) {
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.json().at("error").at("code"), "insufficient_permissions");
  EXPECT_NE(r.body.find("operator scope"), std::string::npos) << r.body;
}

TEST_F(ApiTest, ATenantAdminMayNotRebuildNorReadPositions) {
  // The fixture's token has every scope of tenant acme, admin included.
  auto admin = client();
  ASSERT_EQ(admin.post("/v1/events", R"({"event":"view"})").status, 201);
  expect_refused_for_lack_of_operator(admin.post("/v1/admin/rebuild", ""));
  expect_refused_for_lack_of_operator(admin.get("/v1/admin/rebuild"));
  expect_refused_for_lack_of_operator(admin.get("/healthz"));
  for (const Engine* e : node_->app().engines) EXPECT_FALSE(e->projector.rebuild_status().running);
}

TEST_F(ApiTest, AnOperatorRebuildsAndReadsPositionsButNoTenantsData) {
  ASSERT_EQ(client().post("/v1/events", R"({"event":"view"})").status, 201);
  auto op = client(operator_token());
  auto health = op.get("/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.json().at("log_position"), 1);
  auto started = op.post("/v1/admin/rebuild", "");
  EXPECT_EQ(started.status, 202) << started.body;
  auto progress = op.get("/v1/admin/rebuild");
  EXPECT_EQ(progress.status, 200) << progress.body;
  // Its answers are no tenant's read models: no ETag, and no min_position to wait for.
  EXPECT_EQ(progress.header("ETag"), "");
  EXPECT_EQ(op.get("/v1/admin/rebuild?min_position=1").status, 400);
  // No tenant's routes.
  for (const char* target : {"/v1/events", "/events", "/v1/tokens", "/v1/scoring/rules", "/api/workspaces/acme/events"}) {
    EXPECT_EQ(op.get(target).status, 403) << target;
  }
  EXPECT_EQ(op.post("/v1/events", R"({"event":"view"})").status, 403);
  EXPECT_EQ(op.post("/v1/tokens", R"({"scopes":["events:read"]})").status, 403);
}

TEST_F(ApiTest, ATenantAdminCannotMakeSeeOrRevokeAnOperatorsToken) {
  auto admin = client();
  auto made = admin.post("/v1/tokens", R"({"scopes":["operator"]})");
  EXPECT_EQ(made.status, 400) << made.body;
  EXPECT_EQ(admin.post("/v1/tokens", R"({"scopes":["admin","operator"]})").status, 400);
  const std::string op = operator_token();
  const std::string id = TokenStore::id_of(op);
  const auto listed = admin.get("/v1/tokens").json();
  for (const auto& t : listed.at("tokens").as_array()) {
    EXPECT_NE(t.at("id"), id.c_str());
  }
  EXPECT_EQ(admin.del("/v1/tokens/" + id, "").status, 404);
  EXPECT_EQ(client(op).get("/healthz").status, 200);
}

}  // namespace
}  // namespace eventsd

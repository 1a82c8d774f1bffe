// The limits kept per tenant, key and client address, over real HTTP (docs/security.md, "Tenants
// and limits"): a tenant admin's key cannot be made to outlast its bounds, one tenant's flood of
// addresses never limits another tenant's keys, and the client address is the TCP peer unless a
// trusted proxy sent the request. The limiter's own rules: tests/http/api/auth_test.cpp.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/support/e2e.h"

namespace eventsd {
namespace {

using test::HttpClient;
using test::HttpResponse;
using verb = boost::beast::http::verb;

constexpr const char* kSite = "https://shop.example";

// A publishable key of `tenant`, made over the API with `params` (",\"rate\":..."): its secret.
std::string create_key(HttpClient& admin, const std::string& params) {
  auto r = admin.post("/v1/tokens", std::string(R"({"publishable":true,"origins":[")") + kSite + "\"]" + params + "}");
  EXPECT_EQ(r.status, 201) << r.body;
  return r.status == 201 ? std::string(r.json().at("secret").as_string()) : "";
}

HttpResponse key_post(HttpClient& c, const std::string& key, const std::string& forwarded_for,
                      const std::string& body = R"({"event":"x"})") {
  return c.request(verb::post, "/v1/events?key=" + key, body, {{"Origin", kSite}, {"X-Forwarded-For", forwarded_for}});
}

using Limits = test::E2E;

TEST_F(Limits, ExtremeKeyParametersAreRefused) {
  auto admin = client();
  auto r = admin.post("/v1/tokens", std::string(R"({"publishable":true,"origins":[")") + kSite +
                                        R"("],"rate":1000000,"address_rate":1e-9})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("error").at("field"), "rate");
  r = admin.post("/v1/tokens", std::string(R"({"publishable":true,"origins":[")") + kSite + R"("],"address_rate":1e-9})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json().at("error").at("field"), "address_rate");
  // eventctl holds the same bounds.
  auto tool = test::eventctl({"token", "create", "--data", dir_.path().string(), "--tenant", "acme", "--publishable",
                              "--origins", kSite, "--address-rate", "0.000000001"});
  EXPECT_EQ(tool.status, 2) << tool.out;
}

TEST_F(Limits, RotatingForwardedForFromAnUntrustedPeerIsLimitedByThePeer) {
  auto admin = client();
  const std::string key = create_key(admin, R"(,"address_rate":0.1)");
  HttpClient c(server_->port());
  EXPECT_EQ(key_post(c, key, "203.0.113.1").status, 201);
  for (int i = 2; i < 15; ++i) {
    auto r = key_post(c, key, "203.0.113." + std::to_string(i));
    EXPECT_EQ(r.status, 429) << "no --trusted-proxies: the peer (127.0.0.1) is the client, whatever it forwards";
    EXPECT_EQ(r.header("Retry-After"), "10");
  }
}

// eventsd behind a proxy on the same host (--trusted-proxies 127.0.0.1), with small limiter
// tables: 50 buckets per tenant, 20 per key.
class LimitsBehindAProxy : public test::E2E {
 protected:
  std::vector<std::string> server_args() const override {
    return {"--trusted-proxies", "127.0.0.1/32,::1", "--limiter-tenant-buckets", "50", "--limiter-key-buckets", "20"};
  }
};

TEST_F(LimitsBehindAProxy, ForwardedAddressesAreTheClientsAndOneTenantsFloodLimitsNoOther) {
  auto acme = client();
  auto beta = client(token("beta"));
  const std::string flood = create_key(acme, R"(,"rate":10000)");
  // (The keys' own buckets are large: only the per-address buckets are under test.)
  const std::string other = create_key(beta, R"(,"rate":10000,"address_rate":0.1)");
  HttpClient c(server_->port());
  // From the trusted proxy, the forwarded address is the client's.
  EXPECT_EQ(key_post(c, other, "192.0.2.1").status, 201);
  EXPECT_EQ(key_post(c, other, "192.0.2.1").status, 429);
  EXPECT_EQ(key_post(c, other, "198.51.100.7, 192.0.2.1").status, 429) << "the client's own entry is not read";
  EXPECT_EQ(key_post(c, other, "192.0.2.2").status, 201);
  // 500 addresses through acme's key (bodies refused after the limits: nothing is written).
  for (int i = 0; i < 500; ++i) {
    const std::string address = "198.51." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    ASSERT_EQ(key_post(c, flood, address, "{}").status, 400) << i;
  }
  // beta's keys are neither forgotten nor refused.
  EXPECT_EQ(key_post(c, other, "192.0.2.1").status, 429);
  for (int i = 3; i < 60; ++i) EXPECT_EQ(key_post(c, other, "192.0.2." + std::to_string(i)).status, 201) << i;
}

}  // namespace
}  // namespace eventsd

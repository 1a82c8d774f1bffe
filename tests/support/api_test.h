// Fixture for tests of routing, validation and rendering: eventsd's node (eventsd/node.h), wired
// as main() wires it, on a temporary data directory, its router called in this process without
// sockets (service_client.h), a token with every scope for tenant "acme", and time that moves
// only when the test moves it (clock_: requests, sessions, rate limits, retention, deciders).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/flags.h"
#include "eventsd/node.h"
#include "tests/support/manual_clock.h"
#include "tests/support/service_client.h"
#include "tests/support/temp_dir.h"

namespace eventsd::test {


class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<Node>(node_options(), clock_);
    token_ = token("acme");
  }
  void TearDown() override { node_.reset(); }
  // What the node is started with: a fixture sets limits, mounts, ... here, as eventsd's flags do.
  virtual NodeOptions node_options() const {
    NodeOptions options;
    options.data_dir = dir_.path();
    return options;
  }

  ServiceClient client(const std::string& token) const { return ServiceClient(node_->service(), token); }
  ServiceClient client() const { return client(token_); }
  // A new token of `tenant` with `scopes` (comma-separated), as eventctl token create makes it.
  std::string token(const std::string& tenant, const std::string& scopes = kAllScopes) const {
    return node_->tokens().create(tenant, flags::split_commas(scopes));
  }
  // An operator's token, as eventctl token create --operator makes it.
  std::string operator_token() const { return node_->tokens().create_operator(); }
  // Stops the node and starts it again on the same directory (as a restarted eventsd), with
  // `options` (by default the fixture's).
  void restart() { restart(node_options()); }
  void restart(NodeOptions options) {
    node_.reset();
    node_ = std::make_unique<Node>(std::move(options), clock_);
  }

  ManualClock clock_;
  TempDir dir_;
  std::unique_ptr<Node> node_;
  std::string token_;
};

}  // namespace eventsd::test

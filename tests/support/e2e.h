// Fixture for end-to-end tests: a real eventsd on an ephemeral port with a temporary data
// directory, and a token with every scope for tenant "acme".
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "tests/support/http_client.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace eventsd::test {


class E2E : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(dir_.path(), server_args());
    token_ = create_token(dir_.path(), "acme", kAllScopes);
  }
  virtual std::vector<std::string> server_args() const { return {}; }

  HttpClient client(const std::string& token) const { return HttpClient(server_->port(), token); }
  HttpClient client() const { return client(token_); }
  std::string token(const std::string& tenant, const std::string& scopes = kAllScopes) const {
    return create_token(dir_.path(), tenant, scopes);
  }
  // An operator's token (eventctl token create --operator).
  std::string operator_token() const { return create_operator_token(dir_.path()); }
  void restart(std::vector<std::string> args = {}) {
    server_.reset();
    server_ = std::make_unique<ServerProcess>(dir_.path(), std::move(args));
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string token_;
};

}  // namespace eventsd::test

// Checks of answers that tests of every dialect make, whatever their client (client.h).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <string>

#include "tests/support/client.h"

namespace eventsd::test {

// The tenant's events, as GET /v1/events?count_only=true counts them (`query`: more parameters).
inline std::int64_t count_events(Client& c, const std::string& query = "") {
  auto r = c.get("/v1/events?count_only=true" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json().at("count").as_int64();
}

// A native-API error: the status, JSON, {"status":"error","error":{"code",...,"field"}}.
inline void expect_native_error(const HttpResponse& r, int status, const std::string& code,
                                const std::string& field = {}) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  auto v = r.json();
  ASSERT_TRUE(v.is_object()) << r.body;
  EXPECT_EQ(v.at("status"), "error") << r.body;
  EXPECT_EQ(v.at("error").at("code"), code.c_str()) << r.body;
  if (!field.empty()) {
    ASSERT_TRUE(v.at("error").as_object().contains("field")) << r.body;
    EXPECT_EQ(v.at("error").at("field"), field.c_str()) << r.body;
  }
}

// An error of the seeds' dialects: {"error":{"code",...}}, without the native "status".
inline void expect_plain_error(const HttpResponse& r, int status, const char* code) {
  EXPECT_EQ(r.status, status) << r.body;
  auto v = r.json();
  ASSERT_TRUE(v.is_object()) << r.body;
  EXPECT_FALSE(v.as_object().contains("status")) << "only the native API says status:error";
  EXPECT_EQ(v.at("error").at("code"), code) << r.body;
}

}  // namespace eventsd::test

#include "tests/support/client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace eventsd::test {

namespace bhttp = boost::beast::http;

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  EXPECT_FALSE(ec) << "response is not JSON: " << body;
  return v;
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : std::string(it->value());
}

HttpResponse Client::request(bhttp::verb method, const std::string& target, const std::string& body,
                             const Headers& headers) {
  Request req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!token_.empty()) req.set(bhttp::field::authorization, "Bearer " + token_);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  return send(std::move(req));
}

}  // namespace eventsd::test

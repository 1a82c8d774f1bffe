// What a test's client calls, whether it speaks HTTP to a real eventsd over a socket
// (http_client.h) or hands requests to a node's router in this process (service_client.h): the
// same requests, built the same way, and the same view of the answers.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <vector>

namespace eventsd::test {

struct HttpResponse {
  int status = 0;
  boost::beast::http::fields headers;
  std::string body;
  // The body parsed as JSON; fails the calling test if it is not JSON.
  boost::json::value json() const;
  std::string header(const std::string& name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Every scope a token can have (accounts/tokens.h).
inline constexpr const char* kAllScopes = "events:read,events:write,campaigns:read,admin";

// Not thread-safe: one test thread uses a client at a time.
class Client {
 public:
  explicit Client(std::string token = {}) : token_(std::move(token)) {}
  virtual ~Client() = default;

  // `headers` are set after the defaults (Host, Authorization with the token, Content-Type
  // application/json when there is a body), so they replace them.
  HttpResponse request(boost::beast::http::verb method, const std::string& target, const std::string& body = {},
                       const Headers& headers = {});
  HttpResponse get(const std::string& target) { return request(boost::beast::http::verb::get, target); }
  HttpResponse post(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::post, target, body);
  }
  HttpResponse put(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::put, target, body);
  }
  HttpResponse del(const std::string& target, const std::string& body) {
    return request(boost::beast::http::verb::delete_, target, body);
  }
  void set_token(std::string token) { token_ = std::move(token); }

 protected:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  virtual HttpResponse send(Request request) = 0;

 private:
  std::string token_;
};

}  // namespace eventsd::test

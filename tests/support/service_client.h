// A client that hands each request to a Service (http/server/message.h) in this process — what
// the server does once it has read a request — and reads the answer whole, a streamed body to its
// end. For tests of routing, validation and rendering, which need no socket (api_test.h). What
// only the server does (framing, Content-Length, HEAD's empty body, gzip either way, deadlines,
// connection limits) is tested over real HTTP in tests/e2e/.
// Not thread-safe: one test thread uses a client at a time.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "http/server/message.h"
#include "tests/support/client.h"

namespace eventsd::test {

class ServiceClient : public Client {
 public:
  explicit ServiceClient(http::Service& service, std::string token = {}) : Client(std::move(token)), service_(service) {}
  // The TCP peer the requests seem to come from (by default 127.0.0.1, as a local client's).
  void set_peer(const std::string& address) { peer_ = boost::asio::ip::make_address(address); }

 protected:
  HttpResponse send(Request request) override;

 private:
  http::Service& service_;
  boost::asio::ip::address peer_ = boost::asio::ip::make_address("127.0.0.1");
  boost::asio::io_context io_;
};

}  // namespace eventsd::test

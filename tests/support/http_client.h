// A blocking HTTP/1.1 client for tests (Boost.Beast) of a real eventsd, keeping one keep-alive
// connection and reconnecting when the server closed it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/client.h"

namespace eventsd::test {

class HttpClient : public Client {
 public:
  explicit HttpClient(std::uint16_t port, std::string token = {});
  ~HttpClient() override;


 protected:
  HttpResponse send(Request request) override;

 private:
  void connect();
  std::uint16_t port_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
  boost::beast::flat_buffer buffer_;
};

// Sends raw bytes on a fresh connection, then reads until the server closes the connection or
// `timeout` passes. Returns what the server sent.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Sends `head`, waits until the server has sent exactly `expected` (or closed, or timed out),
// then sends `rest` and reads like raw_exchange. Returns everything the server sent.
std::string raw_exchange_after(std::uint16_t port, const std::string& head, const std::string& expected,
                               const std::string& rest,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Sends raw bytes on a fresh connection and reads whatever comes back; true when the server closed
// the connection before `timeout` (a safety net: the answer does not depend on how fast either
// side runs).
bool server_hangs_up(std::uint16_t port, const std::string& bytes,
                     std::chrono::milliseconds timeout = std::chrono::seconds(120));

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

}  // namespace eventsd::test

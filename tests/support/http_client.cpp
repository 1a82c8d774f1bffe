#include "tests/support/http_client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace eventsd::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

HttpClient::HttpClient(std::uint16_t port, std::string token) : Client(std::move(token)), port_(port) {}

HttpClient::~HttpClient() = default;

void HttpClient::connect() {
  socket_.emplace(ioc_);
  socket_->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  socket_->set_option(tcp::no_delay(true));
  buffer_.clear();
}

HttpResponse HttpClient::send(Request req) {
  for (int attempt = 0;; ++attempt) {
    if (!socket_) connect();
    beast::error_code ec;
    bhttp::write(*socket_, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1ull << 32);
    if (!ec) bhttp::read(*socket_, buffer_, parser, ec);
    if (ec) {
      socket_.reset();
      // A keep-alive connection the server closed in the meantime: retry once on a new one.
      if (attempt == 0) continue;
      throw beast::system_error(ec);
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers.set(f.name_string(), f.value());
    out.body = std::move(res.body());
    if (!res.keep_alive()) socket_.reset();
    return out;
  }
}

namespace {

// Reads into `out` until the server closes, `enough` holds, or `deadline` passes. Returns true
// when the server closed the connection.
template <class Enough>
bool read_until(tcp::socket& socket, std::string& out, std::chrono::steady_clock::time_point deadline,
                Enough enough) {
  boost::system::error_code ec;
  while (!enough()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{socket.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    std::size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec || n == 0) return true;
    out.append(buf, n);
  }
  return false;
}

// A connection to the server on `port` that has been sent `bytes` (a failed write is not an error:
// the server may close before taking them all, and what it answered is read all the same).
tcp::socket connect_and_send(asio::io_context& ioc, std::uint16_t port, const std::string& bytes) {
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(bytes), ec);
  return socket;
}

}  // namespace

std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout) {
  return raw_exchange_after(port, bytes, "", "", timeout);
}

std::string raw_exchange_after(std::uint16_t port, const std::string& head, const std::string& expected,
                               const std::string& rest, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket socket = connect_and_send(ioc, port, head);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!expected.empty()) {
    read_until(socket, out, deadline, [&] { return out.size() >= expected.size(); });
    if (out != expected) return out;
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(rest), ec);
  }
  read_until(socket, out, deadline, [] { return false; });
  return out;
}

bool server_hangs_up(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  tcp::socket socket = connect_and_send(ioc, port, bytes);
  std::string out;
  return read_until(socket, out, std::chrono::steady_clock::now() + timeout, [] { return false; });
}

std::string url_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace eventsd::test

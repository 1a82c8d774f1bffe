#include "tests/support/sse_client.h"

#include <poll.h>

#include <functional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace eventsd::test {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct SseClient::Impl {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  std::string body;  // chunk data not yet split into messages
  // The parser keeps a reference to its callback: it lives here, beside it.
  std::function<std::size_t(std::uint64_t, boost::beast::string_view, boost::system::error_code&)> on_body;
};

namespace {

std::vector<std::pair<std::string, std::string>> token_headers(const std::string& token,
                                                               const std::optional<std::string>& last_event_id) {
  std::vector<std::pair<std::string, std::string>> headers{{"Authorization", "Bearer " + token}};
  if (last_event_id) headers.emplace_back("Last-Event-ID", *last_event_id);
  return headers;
}

}  // namespace

SseClient::SseClient(std::uint16_t port, const std::string& token, const std::string& target,
                     std::optional<std::string> last_event_id)
    : SseClient(port, target, token_headers(token, last_event_id)) {}

SseClient::SseClient(std::uint16_t port, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers)
    : impl_(new Impl) {
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::accept, "text/event-stream");
  for (const auto& [name, value] : headers) req.set(name, value);
  bhttp::write(impl_->socket, req);
  impl_->parser.body_limit(boost::none);
  impl_->on_body = [this](std::uint64_t, boost::beast::string_view data, boost::system::error_code&) {
    impl_->body.append(data.data(), data.size());
    return data.size();
  };
  impl_->parser.on_chunk_body(impl_->on_body);
  bhttp::read_header(impl_->socket, impl_->buffer, impl_->parser);
  status_ = static_cast<int>(impl_->parser.get().result_int());
}

SseClient::~SseClient() { delete impl_; }

void SseClient::read_some(std::chrono::milliseconds timeout) {
  pollfd p{impl_->socket.native_handle(), POLLIN, 0};
  if (impl_->buffer.size() == 0 && ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  boost::system::error_code ec;
  bhttp::read_some(impl_->socket, impl_->buffer, impl_->parser, ec);
  if (ec || impl_->parser.is_done()) ended_ = true;
  // Split complete messages (blank-line separated) out of the body.
  std::size_t end;
  while ((end = impl_->body.find("\n\n")) != std::string::npos) {
    const std::string block = impl_->body.substr(0, end);
    impl_->body.erase(0, end + 2);
    SseMessage m;
    std::size_t start = 0;
    while (start <= block.size()) {
      std::size_t nl = block.find('\n', start);
      if (nl == std::string::npos) nl = block.size();
      const std::string line = block.substr(start, nl - start);
      if (line.rfind("event: ", 0) == 0) m.event = line.substr(7);
      if (line.rfind("id: ", 0) == 0) m.id = line.substr(4);
      if (line.rfind("data: ", 0) == 0) m.data += line.substr(6);
      start = nl + 1;
    }
    if (!m.data.empty()) messages_.push_back(std::move(m));
  }
}

std::vector<SseMessage> SseClient::wait_for(std::size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (messages_.size() < count && !ended_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    read_some(left);
  }
  return messages_;
}

}  // namespace eventsd::test

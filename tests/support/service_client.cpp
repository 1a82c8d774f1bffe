#include "tests/support/service_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

namespace eventsd::test {

namespace asio = boost::asio;

HttpResponse ServiceClient::send(Request request) {
  auto exchange = [this, &request]() -> asio::awaitable<HttpResponse> {
    http::Reply reply = co_await service_.handle(request, peer_);
    HttpResponse out;
    out.status = static_cast<int>(reply.response.result_int());
    for (const auto& f : reply.response) out.headers.set(f.name_string(), f.value());
    out.body = std::move(reply.response.body());
    if (reply.chunks) {
      while (auto piece = co_await reply.chunks()) out.body += *piece;
    }
    co_return out;
  };
  auto answer = asio::co_spawn(io_, exchange, asio::use_future);
  // Runs until the answer is made: a handler waiting for the writer keeps the context busy (its
  // work is tracked) until the writer's callback resumes it.
  io_.run();
  io_.restart();
  return answer.get();
}

}  // namespace eventsd::test

#include "http/api/service.h"

#include "http/api/metrics.h"

namespace eventsd::http {

boost::asio::awaitable<Reply> ApiService::handle(const RawRequest& request, const boost::asio::ip::address& peer) {
  co_return co_await router_.handle(app_, request, peer);
}

Response ApiService::refuse(std::string_view target, unsigned status, std::string code, std::string message) const {
  return error_response(router_.dialect_of(target), ApiError(status, std::move(code), std::move(message)));
}

void ApiService::answered(std::string_view route, unsigned status, double seconds) {
  if (app_.metrics) app_.metrics->observe(route, status, seconds);
}

void ApiService::connections_changed(int delta) {
  if (app_.metrics) app_.metrics->open_connections += delta;
}

}  // namespace eventsd::http

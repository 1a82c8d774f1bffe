// The API as the server sees it (http/server/message.h): requests go to the router, refusals take
// the shape of the target's dialect, answers and connections are counted in the metrics.
// Thread safety: as Service; the App and the Router outlive it.
#pragma once

#include "http/api/api.h"
#include "http/api/router.h"
#include "http/server/message.h"

namespace eventsd::http {

class ApiService : public Service {
 public:
  ApiService(App& app, const Router& router) : app_(app), router_(router) {}

  boost::asio::awaitable<Reply> handle(const RawRequest& request, const boost::asio::ip::address& peer) override;
  Response refuse(std::string_view target, unsigned status, std::string code, std::string message) const override;
  void answered(std::string_view route, unsigned status, double seconds) override;
  void connections_changed(int delta) override;

 private:
  App& app_;
  const Router& router_;
};

}  // namespace eventsd::http

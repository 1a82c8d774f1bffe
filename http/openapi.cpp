// GET /openapi.yaml: docs/openapi.yaml, compiled into the binary.
#include "http/router.h"

namespace eventsd::http {

extern const std::string_view kOpenApiYaml;

namespace {

boost::asio::awaitable<Reply> openapi(App&, Request& req) {
  req.query.only({});
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "application/yaml");
  res.body() = std::string(kOpenApiYaml);
  res.prepare_payload();
  co_return res;
}

}  // namespace

void add_openapi_route(Router& r) { r.add(bhttp::verb::get, "/openapi.yaml", Dialect::native, "", openapi); }

}  // namespace eventsd::http

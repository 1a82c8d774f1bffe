// GET /sdk/eventsd.js (the tracker) and GET /console, /console/{file} (the web console).
#include "http/dialects/assets.h"

#include <boost/beast/http/field.hpp>

#include "http/api/router.h"
#include "http/dialects/routes.h"

namespace eventsd::http {

const EmbeddedAsset* find_asset(std::string_view url) {
  for (std::size_t i = 0; i < kAssetCount; ++i) {
    if (kAssets[i].url == url) return &kAssets[i];
  }
  return nullptr;
}

namespace {

// The console loads only its own files and talks only to its own origin.
constexpr std::string_view kConsolePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

Response asset_response(const EmbeddedAsset& asset) {
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, asset.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::string(asset.body);
  res.prepare_payload();
  return res;
}

boost::asio::awaitable<Reply> tracker(App&, Request& req) {
  req.query.only({"v"});  // ?v=... lets a page pin a copy in caches
  Response res = asset_response(*find_asset("/sdk/eventsd.js"));
  res.set(bhttp::field::cache_control, "public, max-age=3600");
  res.set("Cross-Origin-Resource-Policy", "cross-origin");  // any site may load the tracker
  co_return res;
}

boost::asio::awaitable<Reply> console_file(App&, Request& req) {
  req.query.only({});
  std::string url = "/console";
  if (!req.captures.empty()) url += "/" + req.captures[0];
  const EmbeddedAsset* asset = find_asset(url);
  if (!asset) throw ApiError(404, "not_found", "no such file");
  Response res = asset_response(*asset);
  res.set(bhttp::field::cache_control, "no-cache");
  res.set("Content-Security-Policy", kConsolePolicy);
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "same-origin");
  co_return res;
}

}  // namespace

void add_asset_routes(Router& r) {
  r.add(bhttp::verb::get, "/sdk/eventsd.js", Dialect::native, "", tracker);
  r.add(bhttp::verb::get, "/console", Dialect::native, "", console_file);
  r.add(bhttp::verb::get, "/console/{file}", Dialect::native, "", console_file);
}

}  // namespace eventsd::http

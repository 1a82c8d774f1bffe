// The files eventsd serves itself (the tracker, the console), compiled into the binary from
// http/dialects/assets/ (listed in http/dialects/assets/manifest.txt) so that an installed eventsd needs no asset
// folder and always serves the assets it was built with.
#pragma once

#include <cstddef>
#include <string_view>

namespace eventsd::http {

struct EmbeddedAsset {
  std::string_view url;  // "/sdk/eventsd.js"
  std::string_view content_type;
  std::string_view body;
};

extern const EmbeddedAsset kAssets[];
extern const std::size_t kAssetCount;

// The asset served at `url`, or null.
const EmbeddedAsset* find_asset(std::string_view url);

}  // namespace eventsd::http

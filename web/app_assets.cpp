// The path -> embedded file table behind find_app_asset. The bytes come from the generated
// app_assets_data.cpp (cmake/EmbedFiles.cmake over web/app/).
#include "app_assets.h"

#include <array>
#include <cstddef>

namespace swift::serve::app_assets_data {
extern const std::string_view kEmbeddedNames[];
extern const std::string_view kEmbeddedBodies[];
extern const std::size_t kEmbeddedFileCount;
}  // namespace swift::serve::app_assets_data

namespace swift::serve {
namespace {

std::string_view embedded(std::string_view name) {
  namespace d = app_assets_data;
  for (std::size_t i = 0; i < d::kEmbeddedFileCount; ++i) {
    if (d::kEmbeddedNames[i] == name) return d::kEmbeddedBodies[i];
  }
  // web/CMakeLists.txt embeds every file named below; a missing one is a build-script bug.
  return {};
}

}  // namespace

const StaticAsset* find_app_asset(std::string_view path) {
  static const std::array<StaticAsset, 4> kAssets = {{
      {"/", "text/html; charset=utf-8", embedded("index.html")},
      {"/index.html", "text/html; charset=utf-8", embedded("index.html")},
      {"/app.js", "text/javascript; charset=utf-8", embedded("app.js")},
      {"/app.css", "text/css; charset=utf-8", embedded("app.css")},
  }};
  for (const StaticAsset& asset : kAssets) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace swift::serve

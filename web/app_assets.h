// The chat page of `swift app` (web/app/), embedded in the binary at build time
// (cmake/EmbedFiles.cmake), so the app server serves it with no files beside the binary.
#pragma once

#include <string_view>

namespace swift::serve {

struct StaticAsset {
  std::string_view path;          // as requested: "/index.html", "/app.js", "/app.css"
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  std::string_view body;
};

// "/" and "/index.html" -> the page; "/app.js", "/app.css"; nullptr for anything else (the query
// string must already be cut off).
const StaticAsset* find_app_asset(std::string_view path);

}  // namespace swift::serve

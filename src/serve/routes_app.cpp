// The routes of the `swift app` page: the files embedded from web/app and /app/config.json.
#include "app_assets.h"
#include "serve/server_internal.h"

namespace swift::serve {

bool is_app_path(const std::string& path) {
  return path == "/app/config.json" || path == "/favicon.ico" || find_app_asset(path) != nullptr;
}

void add_app_routes(httplib::Server& http, const std::string& config_json) {
  auto asset = [](const httplib::Request& req, httplib::Response& res) {
    const StaticAsset* a = find_app_asset(req.path);
    if (a == nullptr) {
      res.status = 404;
      return;
    }
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(std::string(a->body), std::string(a->content_type));
  };
  for (const char* path : {"/", "/index.html", "/app.js", "/app.css"}) http.Get(path, asset);
  http.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
    res.status = 204;  // no icon; keeps browsers from logging a 404
  });
  http.Get("/app/config.json", [config_json](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_content(config_json, "application/json");
  });
}

}  // namespace swift::serve

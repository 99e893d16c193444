// The embedded `swift app` page: each route finds its asset with the right content type, the bodies
// are the files of web/app/ byte for byte (so a stale embed fails), unknown paths give nullptr.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "app_assets.h"

namespace {

using swift::serve::find_app_asset;
using swift::serve::StaticAsset;

std::string read_source(const std::string& name) {
  std::ifstream in(std::string(SWIFT_SOURCE_DIR) + "/web/app/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(AppAssets, FindsThePageScriptAndStyle) {
  struct Case {
    const char* path;
    const char* file;
    const char* type;
  };
  for (const Case& c : {Case{"/", "index.html", "text/html; charset=utf-8"},
                        Case{"/index.html", "index.html", "text/html; charset=utf-8"},
                        Case{"/app.js", "app.js", "text/javascript; charset=utf-8"},
                        Case{"/app.css", "app.css", "text/css; charset=utf-8"}}) {
    const StaticAsset* asset = find_app_asset(c.path);
    ASSERT_NE(asset, nullptr) << c.path;
    EXPECT_EQ(asset->path, c.path);
    EXPECT_EQ(asset->content_type, c.type) << c.path;
    EXPECT_FALSE(asset->body.empty()) << c.path;
    EXPECT_EQ(std::string(asset->body), read_source(c.file)) << c.path << " is a stale embed";
  }
  EXPECT_NE(find_app_asset("/")->body.find("app.js"), std::string_view::npos);
}

TEST(AppAssets, UnknownPathsAreNotFound) {
  for (const char* path : {"", "index.html", "/app", "/app/", "/app.js/", "/APP.JS", "/v1/models",
                           "/app/config.json", "/../app.js", "/index.html?x=1", "/favicon.ico"}) {
    EXPECT_EQ(find_app_asset(path), nullptr) << path;
  }
}

}  // namespace

// `swift app --base_url http://host:port/v1`: the chat page for a model another server serves
// (any OpenAI-compatible one). The page only talks to its own origin, so this small server
// serves the page and forwards GET /v1/models and POST /v1/chat/completions to base_url (with
// --api_key as the upstream Bearer key), streaming the upstream's events through unchanged.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace swift::serve {

struct AppProxyOptions {
  std::string host = "0.0.0.0";
  int port = 7860;
  std::string base_url;  // http(s)://host[:port][/prefix], e.g. http://127.0.0.1:8000/v1
  std::optional<std::string> api_key;
  std::string config_json;  // /app/config.json
  int upstream_timeout_s = 600;
};

class AppProxy {
 public:
  explicit AppProxy(AppProxyOptions options);  // throws swift::Error for a bad base_url
  ~AppProxy();
  int bind();    // the port bound (the next free one when busy)
  void serve();  // until stop()
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swift::serve

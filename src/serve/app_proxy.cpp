// The page server of `swift app --base_url`; see app_proxy.h.
#include "serve/app_proxy.h"

#include <httplib.h>

#include <regex>

#include "core/error.h"
#include "core/log.h"
#include "serve/api_error.h"
#include "serve/responses.h"
#include "serve/server_internal.h"

namespace swift::serve {

struct AppProxy::Impl {
  AppProxyOptions options;
  std::string origin;  // scheme://host:port
  std::string prefix;  // the path part of base_url, without a trailing slash ("/v1")
  DeepBacklog<httplib::Server> http;
  int port = 0;

  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>(origin);
    c->set_connection_timeout(10, 0);
    c->set_read_timeout(options.upstream_timeout_s, 0);
    c->set_write_timeout(30, 0);
    return c;
  }
  httplib::Headers headers() const {
    httplib::Headers h;
    if (options.api_key) h.emplace("Authorization", "Bearer " + *options.api_key);
    return h;
  }
  static void bad_gateway(httplib::Response& res, const std::string& what) {
    ApiError e;
    e.status = 502;
    e.type = "server_error";
    e.code = "bad_gateway";
    e.message = what;
    res.status = e.status;
    res.set_content(e.body(), "application/json");
  }
};

AppProxy::AppProxy(AppProxyOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = std::move(options);
  static const std::regex url(R"(^(https?://[^/?#]+)(/[^?#]*)?$)");
  std::smatch match;
  SWIFT_CHECK(std::regex_match(m.options.base_url, match, url),
              "[args] --base_url '{}' is not an http(s) URL such as http://127.0.0.1:8000/v1",
              m.options.base_url);
  m.origin = match[1];
  m.prefix = match[2];
  while (!m.prefix.empty() && m.prefix.back() == '/') m.prefix.pop_back();
  // A trailing /chat/completions is trimmed, as ms-swift trims it.
  const std::string tail = "/chat/completions";
  if (m.prefix.size() >= tail.size() &&
      m.prefix.compare(m.prefix.size() - tail.size(), tail.size(), tail) == 0)
    m.prefix.erase(m.prefix.size() - tail.size());
  SWIFT_CHECK(m.origin.rfind("http://", 0) == 0,
              "[args] --base_url {}: https upstreams are not supported by swift app yet; use an "
              "http URL",
              m.options.base_url);

  auto& http = m.http;
  http.new_task_queue = [] { return new httplib::ThreadPool(16); };
  http.set_payload_max_length(8u << 20);
  add_app_routes(http, m.options.config_json);
  http.Get("/v1/models", [&m](const httplib::Request&, httplib::Response& res) {
    auto r = m.client()->Get((m.prefix + "/models").c_str(), m.headers());
    if (!r)
      return Impl::bad_gateway(
          res, "cannot reach " + m.options.base_url + ": " + httplib::to_string(r.error()));
    res.status = r->status;
    res.set_content(r->body, r->get_header_value("Content-Type"));
  });
  http.Post("/v1/chat/completions", [&m](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
    const bool stream = body.is_object() && body.value("stream", false);
    if (!stream) {
      auto r = m.client()->Post((m.prefix + "/chat/completions").c_str(), m.headers(), req.body,
                                "application/json");
      if (!r)
        return Impl::bad_gateway(
            res, "cannot reach " + m.options.base_url + ": " + httplib::to_string(r.error()));
      res.status = r->status;
      res.set_content(r->body, r->get_header_value("Content-Type"));
      return;
    }
    // Streamed: the upstream's events are written through as they arrive; an upstream error
    // becomes an SSE error event (the status line is already sent).
    const std::string payload = req.body;
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("text/event-stream", [&m, payload](std::size_t,
                                                                        httplib::DataSink& sink) {
      auto cli = m.client();
      httplib::Request up;
      up.method = "POST";
      up.path = m.prefix + "/chat/completions";
      up.headers = m.headers();
      up.headers.emplace("Content-Type", "application/json");
      up.body = payload;
      int status = 0;
      std::string error_body;
      up.response_handler = [&](const httplib::Response& r) {
        status = r.status;
        return true;
      };
      up.content_receiver = [&](const char* data, std::size_t len, std::uint64_t, std::uint64_t) {
        if (status != 200) {
          error_body.append(data, len);
          return error_body.size() < (1u << 20);
        }
        return sink.write(data, len);
      };
      httplib::Response resp;
      httplib::Error err = httplib::Error::Success;
      const bool ok = cli->send(up, resp, err);
      if (!ok || status != 200) {
        ApiError e;
        e.status = status == 0 ? 502 : status;
        e.type = "server_error";
        e.message = !ok ? "cannot reach " + m.options.base_url + ": " + httplib::to_string(err)
                        : "the upstream answered " + std::to_string(status);
        nlohmann::json j = nlohmann::json::parse(error_body, nullptr, false);
        if (j.is_object() && j.contains("error") && j["error"].is_object() &&
            j["error"].contains("message") && j["error"]["message"].is_string())
          e.message = j["error"]["message"].get<std::string>();
        const std::string out = sse_error(e) + sse_done();
        sink.write(out.data(), out.size());
      }
      sink.done();
      return true;
    });
  });
}

AppProxy::~AppProxy() = default;

int AppProxy::bind() {
  Impl& m = *impl_;
  const auto& o = m.options;
  if (o.port == 0) {
    m.port = m.http.bind_to_any_port(o.host);
    SWIFT_CHECK(m.port > 0, "[app] cannot listen on {}", o.host);
    deepen_backlog(m.http);
    return m.port;
  }
  for (int p = o.port; p < o.port + 100 && p < 65536; ++p) {
    if (m.http.bind_to_port(o.host, p)) {
      deepen_backlog(m.http);
      return m.port = p;
    }
  }
  SWIFT_FAIL("[app] cannot listen on {}:{}; pass another --server_port", o.host, o.port);
}

void AppProxy::serve() {
  Impl& m = *impl_;
  SWIFT_INFO("serving the chat page at http://{}:{}/ for {}", m.options.host, m.port,
             m.options.base_url);
  m.http.listen_after_bind();
}

void AppProxy::stop() {
  impl_->http.stop();
}

}  // namespace swift::serve

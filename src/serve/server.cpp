// The HTTP transport of swift deploy: binding, TLS, the API key check before the body is read,
// limits and timeouts, OpenAI error bodies for everything cpp-httplib refuses, the throughput
// log and the graceful stop; see server.h.
#include "serve/server.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/log.h"
#include "infer/session.h"
#include "model/causal_lm.h"
#include "serve/server_internal.h"

namespace swift::serve {

void deepen_backlog(httplib::Server& http) {
  int fd = -1;
  if (auto* p = dynamic_cast<DeepBacklog<httplib::Server>*>(&http)) fd = p->socket_fd();
  if (auto* p = dynamic_cast<DeepBacklog<httplib::SSLServer>*>(&http)) fd = p->socket_fd();
  if (fd >= 0 && ::listen(fd, SOMAXCONN) != 0)
    SWIFT_WARN("could not deepen the listen backlog: {}", std::strerror(errno));
}

void Histogram::observe(double v) {
  std::size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
}

void Server::State::count(const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(metrics.mu);
  ++metrics.requests[{route, status}];
}

void Server::State::send_error(httplib::Response& res,
                               const ApiError& e,
                               const std::string& route) {
  res.status = e.status;
  if (e.status == 503) res.set_header("Retry-After", "1");
  if (e.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(e.body(), "application/json");
  count(route, e.status);
  if (options.verbose) SWIFT_INFO("{} {}: {}", route, e.status, e.message);
}

void Server::State::send_json(httplib::Response& res,
                              const nlohmann::ordered_json& j,
                              const std::string& route) {
  res.status = 200;
  res.set_content(json_text(j), "application/json");
  count(route, 200);
}

std::shared_ptr<RequestHandle> Server::State::submit(infer::GenerationRequest r) {
  try {
    return worker->submit(std::move(r));
  } catch (const QueueFull& e) {
    ApiError err;
    err.status = 503;
    err.type = "server_error";
    err.code = "server_is_overloaded";
    err.message = e.what();
    SWIFT_REQUEST_FAIL(err);
  }
}

infer::GenerationRequest Server::State::generation_request(const Sampling& s,
                                                           std::vector<std::int32_t> prompt_ids,
                                                           const std::string& adapter) const {
  infer::GenerationRequest r = session.base_request;
  r.prompt_ids = std::move(prompt_ids);
  r.adapter = adapter;
  auto& sp = r.sampling;
  if (s.temperature) sp.temperature = *s.temperature;
  if (s.top_p) sp.top_p = *s.top_p;
  if (s.top_k) sp.top_k = *s.top_k;
  if (s.min_p) sp.min_p = *s.min_p;
  if (s.repetition_penalty) sp.repetition_penalty = *s.repetition_penalty;
  if (s.presence_penalty) sp.presence_penalty = *s.presence_penalty;
  if (s.frequency_penalty) sp.frequency_penalty = *s.frequency_penalty;
  if (s.seed) sp.seed = *s.seed;
  if (s.max_tokens) r.max_new_tokens = *s.max_tokens;
  if (!s.stop.empty()) {
    for (const auto& w : s.stop) r.stop.push_back(w);
    r.include_stop_str_in_output = s.include_stop_str_in_output;
  }
  for (auto id : s.stop_token_ids) r.stop_token_ids.push_back(id);
  r.n = s.n;
  r.logprobs = s.logprobs;
  sp.top_logprobs = s.logprobs ? s.top_logprobs : 0;
  r.ignore_eos = s.ignore_eos;
  r.skip_special_tokens = s.skip_special_tokens;
  return r;
}

void Server::State::log_result(const nlohmann::ordered_json& request,
                               const std::string& response,
                               const infer::GenerationRequest& gen) {
  if (!options.result_path) return;
  nlohmann::ordered_json cfg{
      {"max_tokens", gen.max_new_tokens < 0 ? nlohmann::ordered_json(nullptr)
                                            : nlohmann::ordered_json(gen.max_new_tokens)},
      {"temperature", gen.sampling.temperature},
      {"top_k", gen.sampling.top_k},
      {"top_p", gen.sampling.top_p},
      {"repetition_penalty", gen.sampling.repetition_penalty},
      {"n", gen.n},
      {"seed", gen.sampling.seed ? nlohmann::ordered_json(*gen.sampling.seed)
                                 : nlohmann::ordered_json(nullptr)},
      {"stop", gen.stop}};
  nlohmann::ordered_json row{
      {"response", response}, {"infer_request", request}, {"generation_config", cfg}};
  const std::string line = json_text(row) + "\n";
  std::lock_guard<std::mutex> lock(result_mu);
  std::ofstream out(*options.result_path, std::ios::app | std::ios::binary);
  out << line;
  out.flush();
  if (!out.good())
    SWIFT_WARN("could not append to --result_path {} (disk full?); the request was answered",
               *options.result_path);
}

void Server::State::record_finish(const RequestHandle& h, double ttft_s) {
  const double e2e =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - h.submitted_at()).count();
  std::lock_guard<std::mutex> lock(metrics.mu);
  metrics.e2e.observe(e2e);
  if (ttft_s >= 0) metrics.ttft.observe(ttft_s);
  if (!h.error().empty()) {
    ++metrics.finished["error"];
    return;
  }
  const auto& r = h.result();
  metrics.prompt_tokens += static_cast<std::uint64_t>(r.prompt_tokens);
  metrics.generation_tokens += static_cast<std::uint64_t>(r.completion_tokens);
  for (const auto& c : r.choices)
    ++metrics.finished[c.finish_reason.empty() ? "stop" : c.finish_reason];
}

std::string served_model_name(const infer::Session& s, const ServerOptions& o) {
  if (!o.served_model_name.empty()) return o.served_model_name;
  std::string id = s.model_id;
  while (id.size() > 1 && id.back() == '/') id.pop_back();
  const auto slash = id.rfind('/');
  return slash == std::string::npos ? id : id.substr(slash + 1);
}

namespace {

bool public_path(const std::string& path, bool app) {
  if (path == "/health" || path == "/ping") return true;
  return app && is_app_path(path);
}

// Constant-time comparison of the presented key (no early exit on the first differing byte).
bool same_key(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

}  // namespace

Server::Server(infer::Session& session, ServerOptions options)
    : state_(std::make_unique<State>(session, std::move(options))) {
  State& st = *state_;
  const ServerOptions& o = st.options;
  SWIFT_CHECK(o.ssl_certfile.has_value() == o.ssl_keyfile.has_value(),
              "[args] --ssl_certfile and --ssl_keyfile go together: give both or neither");
  if (o.ssl_certfile) {
    SWIFT_CHECK(std::filesystem::is_regular_file(*o.ssl_certfile),
                "[args] --ssl_certfile '{}' is not a file", *o.ssl_certfile);
    SWIFT_CHECK(std::filesystem::is_regular_file(*o.ssl_keyfile),
                "[args] --ssl_keyfile '{}' is not a file", *o.ssl_keyfile);
    auto ssl =
        std::make_unique<httplib::SSLServer>(o.ssl_certfile->c_str(), o.ssl_keyfile->c_str());
    SWIFT_CHECK(ssl->is_valid(),
                "[args] cannot start TLS with --ssl_certfile {} and --ssl_keyfile {}: check that "
                "they are a matching PEM certificate and key",
                *o.ssl_certfile, *o.ssl_keyfile);
    st.http = std::move(ssl);
  } else {
    st.http = std::make_unique<DeepBacklog<httplib::Server>>();
  }
  if (o.result_path) {
    auto parent = std::filesystem::path(*o.result_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
  }
  st.served.name = served_model_name(session, o);
  st.served.adapters = session.engine->adapter_names();
  st.limits.max_logprobs = o.max_logprobs;
  st.limits.max_model_len = session.engine->max_model_len();
  st.limits.vocab_size = session.model->config().vocab_size;
  st.created = now_unix();
  st.worker =
      std::make_unique<EngineWorker>(*session.engine, WorkerOptions{o.max_running, o.max_waiting});

  auto& http = *st.http;
  // One thread per open connection: streams hold theirs; a few more keep health and metrics
  // answering while every stream is busy.
  const std::size_t threads =
      static_cast<std::size_t>(std::max<std::int64_t>(16, o.max_running + o.max_waiting / 4 + 8));
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(o.max_body_bytes);
  http.set_read_timeout(o.read_timeout_s, 0);
  http.set_write_timeout(o.write_timeout_s, 0);
  http.set_keep_alive_timeout(o.keep_alive_timeout_s);
  http.set_keep_alive_max_count(1000);
  http.set_tcp_nodelay(true);

  // Authentication first: cpp-httplib calls this before it reads a body.
  http.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
    if (st.stopping && req.path != "/health") {
      ApiError e;
      e.status = 503;
      e.type = "server_error";
      e.code = "server_is_shutting_down";
      e.message = "the server is shutting down";
      st.send_error(res, e, req.path);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!st.options.api_key || public_path(req.path, st.options.serve_app))
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    const bool ok = auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
                    same_key(auth.substr(prefix.size()), *st.options.api_key);
    if (ok) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e;
    e.status = 401;
    e.type = "authentication_error";
    e.code = "invalid_api_key";
    e.message = auth.empty() ? "API key error: no API key given; send 'Authorization: Bearer <key>'"
                             : "API key error: the API key is wrong";
    st.send_error(res, e, req.path);
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  // Statuses cpp-httplib sets on its own (no route, body too large, bad request line...) get an
  // OpenAI error body too.
  http.set_error_handler(httplib::Server::HandlerWithResponse([&st](const httplib::Request& req,
                                                                    httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Handled;
    ApiError e;
    e.status = res.status;
    if (res.status == 404) {
      e.type = "not_found_error";
      e.code = "not_found";
      e.message = "no route " + req.method + " " + req.path +
                  "; the routes are /v1/chat/completions, /v1/completions, /v1/models, "
                  "/health, /ping and /metrics";
    } else if (res.status == 413) {
      e.code = "request_too_large";
      e.message =
          "the request body is larger than " + std::to_string(st.options.max_body_bytes) + " bytes";
    } else if (res.status == 405) {
      e.message = "method " + req.method + " is not allowed on " + req.path;
    } else {
      e.message = "the HTTP request was refused (status " + std::to_string(res.status) +
                  "): check the request line and headers";
    }
    res.set_content(e.body(), "application/json");
    st.count(req.path, res.status);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler(
      [&st](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        ApiError e;
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& ex) {
          e = api_error_from(ex);
        } catch (...) {
          e.status = 500;
          e.type = "server_error";
          e.message = "unknown internal error";
        }
        st.send_error(res, e, req.path);
      });

  if (o.verbose)
    http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      SWIFT_INFO("{}:{} \"{} {}\" {}", req.remote_addr, req.remote_port, req.method, req.path,
                 res.status);
    });
  http.Get("/health", [&st](const httplib::Request& req, httplib::Response& res) {
    res.status = 200;
    res.set_content("", "text/plain");
    st.count(req.path, 200);
  });
  auto ping = [&st](const httplib::Request& req, httplib::Response& res) {
    res.status = 200;
    res.set_content("{\"status\":\"ok\"}", "application/json");
    st.count(req.path, 200);
  };
  http.Get("/ping", ping);
  http.Post("/ping", ping);
  http.Get("/v1/models",
           [&st](const httplib::Request& q, httplib::Response& r) { handle_models(st, q, r); });
  http.Get("/metrics",
           [&st](const httplib::Request& q, httplib::Response& r) { handle_metrics(st, q, r); });
  http.Post("/v1/chat/completions",
            [&st](const httplib::Request& q, httplib::Response& r) { handle_chat(st, q, r); });
  http.Post("/v1/completions", [&st](const httplib::Request& q, httplib::Response& r) {
    handle_completion(st, q, r);
  });
  if (o.serve_app) add_app_routes(http, st.options.app_config_json);
}

Server::~Server() {
  stop();
  if (state_->stats_thread.joinable()) state_->stats_thread.join();
}

int Server::bind() {
  State& st = *state_;
  const auto& o = st.options;
  if (o.port == 0) {
    st.port = st.http->bind_to_any_port(o.host);
    SWIFT_CHECK(st.port > 0, "[deploy] cannot listen on {}: {}", o.host, std::strerror(errno));
    deepen_backlog(*st.http);
    return st.port;
  }
  for (int p = o.port; p < o.port + (o.next_free_port ? 100 : 1) && p < 65536; ++p) {
    if (st.http->bind_to_port(o.host, p)) {
      if (p != o.port) SWIFT_WARN("port {} is busy; using port {}", o.port, p);
      st.port = p;
      deepen_backlog(*st.http);
      return p;
    }
  }
  SWIFT_FAIL("[deploy] cannot listen on {}:{} ({}); pass another --port or --host", o.host, o.port,
             std::strerror(errno));
}

void Server::serve() {
  State& st = *state_;
  SWIFT_CHECK(st.port > 0, "[deploy] serve() before bind()");
  if (st.options.log_interval > 0) {
    st.stats_thread = std::thread([&st] {
      std::uint64_t last_prompt = 0, last_gen = 0;
      auto last = std::chrono::steady_clock::now();
      std::unique_lock<std::mutex> lock(st.stop_mu);
      while (!st.stopping) {
        st.stop_cv.wait_for(lock, std::chrono::seconds(st.options.log_interval));
        if (st.stopping) break;
        std::uint64_t prompt, gen;
        {
          std::lock_guard<std::mutex> m(st.metrics.mu);
          prompt = st.metrics.prompt_tokens;
          gen = st.metrics.generation_tokens;
        }
        const auto now = std::chrono::steady_clock::now();
        const double dt = std::chrono::duration<double>(now - last).count();
        const WorkerStats ws = st.worker->stats();
        const bool idle = prompt == last_prompt && gen == last_gen && ws.in_flight == 0;
        last = now;
        if (idle) continue;  // nothing happened: no log line
        SWIFT_INFO(
            "prompt throughput {:.1f} tokens/s, generation throughput {:.1f} tokens/s, running {}, "
            "waiting {}, KV blocks {} of {} in use",
            (prompt - last_prompt) / dt, (gen - last_gen) / dt, ws.engine.running,
            ws.engine.waiting + ws.inbox, ws.engine.kv_blocks - ws.engine.kv_free_blocks,
            ws.engine.kv_blocks);
        last_prompt = prompt;
        last_gen = gen;
      }
    });
  }
  const char* scheme = st.options.ssl_certfile ? "https" : "http";
  SWIFT_INFO(
      "serving {} at {}://{}:{}/v1 (routes: /v1/chat/completions, /v1/completions, "
      "/v1/models, /health, /ping, /metrics{})",
      st.served.name, scheme, st.options.host, st.port, st.options.serve_app ? ", /" : "");
  std::fflush(stderr);
  st.http->listen_after_bind();
  if (st.stats_thread.joinable()) st.stats_thread.join();
}

void Server::stop() {
  State& st = *state_;
  if (st.stopping.exchange(true)) return;
  { std::lock_guard<std::mutex> lock(st.stop_mu); }
  st.stop_cv.notify_all();
  SWIFT_INFO("stopping: new requests are refused; running ones get {} s to finish",
             st.options.shutdown_timeout_s);
  st.worker->drain(std::chrono::seconds(st.options.shutdown_timeout_s));
  // Let the streams write their last events before the sockets close.
  for (int i = 0; i < 200 && st.open_streams > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  st.http->stop();
}

namespace {

int g_signal_pipe[2] = {-1, -1};

void on_stop_signal(int sig) {
  static volatile sig_atomic_t seen = 0;
  if (seen) _exit(1);
  seen = 1;
  const char c = static_cast<char>(sig);
  if (g_signal_pipe[1] >= 0) (void)!write(g_signal_pipe[1], &c, 1);
}

}  // namespace

void install_stop_signals(Server& server) {
  install_stop_signals([&server] { server.stop(); });
}

void install_stop_signals(std::function<void()> stop) {
  if (g_signal_pipe[0] < 0) SWIFT_CHECK(pipe(g_signal_pipe) == 0, "[deploy] pipe() failed");
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::thread([stop = std::move(stop)] {
    char c = 0;
    while (read(g_signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    SWIFT_INFO("received signal {}", static_cast<int>(c));
    stop();
  }).detach();
}

}  // namespace swift::serve

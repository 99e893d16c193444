// What the server's translation units share: the server state and the route handlers
// (server.cpp: transport, auth, limits, shutdown; routes_chat.cpp; routes_completion.cpp;
// routes_info.cpp: models, health, metrics, the app page).
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "infer/engine.h"
#include "serve/api_error.h"
#include "serve/engine_worker.h"
#include "serve/protocol.h"
#include "serve/responses.h"
#include "serve/server.h"

namespace swift::infer {
struct Session;
}

namespace swift::serve {

// cpp-httplib 0.11 listens with a backlog of 5: a burst of connections overflows it and the
// kernel drops them (clients see resets). This exposes the socket so bind() can listen again
// with a deep backlog.
template <class Base>
class DeepBacklog : public Base {
 public:
  using Base::Base;
  int socket_fd() const { return static_cast<int>(this->svr_sock_.load()); }
};
// Re-listens on `http`'s bound socket with SOMAXCONN (no-op for other server types).
void deepen_backlog(httplib::Server& http);

struct Histogram {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;  // bounds.size() + 1
  double sum = 0;
  explicit Histogram(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size() + 1) {}
  void observe(double v);
};

struct Metrics {
  std::mutex mu;
  std::map<std::pair<std::string, int>, std::uint64_t> requests;  // (route, status)
  std::map<std::string, std::uint64_t> finished;                  // finish reason
  std::uint64_t prompt_tokens = 0, generation_tokens = 0;
  Histogram ttft{{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}};
  Histogram e2e{{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}};
  Histogram queue{{0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}};
};

struct Server::State {
  infer::Session& session;
  ServerOptions options;
  std::unique_ptr<httplib::Server> http;
  std::unique_ptr<EngineWorker> worker;
  ServedModels served;
  Limits limits;
  std::int64_t created = 0;
  int port = 0;
  Metrics metrics;
  std::mutex result_mu;  // --result_path appends
  std::atomic<int> open_streams{0};
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::thread stats_thread;

  State(infer::Session& s, ServerOptions o) : session(s), options(std::move(o)) {}

  void count(const std::string& route, int status);
  void send_error(httplib::Response& res, const ApiError& e, const std::string& route);
  void send_json(httplib::Response& res, const nlohmann::ordered_json& j, const std::string& route);
  // Submits to the queue; a full queue is a RequestError 503 (Retry-After set by send_error).
  std::shared_ptr<RequestHandle> submit(infer::GenerationRequest r);
  // Overrides of the session's defaults by a request's sampling fields.
  infer::GenerationRequest generation_request(const Sampling& s,
                                              std::vector<std::int32_t> prompt_ids,
                                              const std::string& adapter) const;
  // One --result_path row: {"response", "infer_request", "generation_config"}.
  void log_result(const nlohmann::ordered_json& request,
                  const std::string& response,
                  const infer::GenerationRequest& gen);
  void record_finish(const RequestHandle& h, double ttft_s);
};

// Route handlers; each catches everything and answers with an error body.
void handle_chat(Server::State& st, const httplib::Request& req, httplib::Response& res);
void handle_completion(Server::State& st, const httplib::Request& req, httplib::Response& res);
void handle_models(Server::State& st, const httplib::Request& req, httplib::Response& res);
void handle_metrics(Server::State& st, const httplib::Request& req, httplib::Response& res);

// swift app: the embedded page at /, /index.html, /app.js, /app.css and its settings at
// /app/config.json.
void add_app_routes(httplib::Server& http, const std::string& config_json);
bool is_app_path(const std::string& path);

// The logprobs of a choice in the protocol's shape (token text decoded one id at a time).
std::vector<TokenLogprob> token_logprobs(const infer::Session& s,
                                         const std::vector<infer::SampledToken>& sampled);

}  // namespace swift::serve

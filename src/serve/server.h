// The HTTP server of `swift deploy` and `swift app` (cpp-httplib): the OpenAI routes over one
// inference session (ms-swift-spec §7), with the request queue of engine_worker.h in front of
// the engine. Every request is checked before it costs anything: the API key before the body
// is read, the body size, JSON, fields and context length next; anything wrong is a 4xx with an
// OpenAI error body, a full queue a 503 with Retry-After. A streamed request whose client goes
// away is cancelled and its KV blocks freed. stop() (or SIGTERM / SIGINT with
// install_stop_signals) refuses new requests, lets running ones finish within
// shutdown_timeout, cancels the rest and returns from serve().
//
//   Server server(*session, options);
//   int port = server.bind();   // the next free port when busy, as ms-swift
//   server.serve();             // until stop()
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace swift::infer {
struct Session;
}

namespace swift::serve {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8000;             // 0: any free port
  bool next_free_port = true;  // busy port: try the following ones (ms-swift)
  std::optional<std::string> api_key;
  std::string served_model_name;  // "" : the model id's last path part
  std::string owned_by = "swift";
  std::optional<std::string> ssl_certfile, ssl_keyfile;
  bool verbose = true;                     // a log line per request
  int log_interval = 20;                   // seconds between throughput logs; <= 0: off
  std::optional<std::string> result_path;  // JSONL of requests and answers (appended)
  int max_logprobs = 20;
  std::int64_t max_running = 256;  // the engine's max_num_seqs
  std::int64_t max_waiting = 256;  // queued beyond max_running before 503
  std::size_t max_body_bytes = 32u << 20;
  int read_timeout_s = 30;  // a stalled client is dropped after this
  int write_timeout_s = 30;
  int keep_alive_timeout_s = 5;
  int shutdown_timeout_s = 30;  // running requests get this long on stop()
  // swift app: the page is served at / and its settings at /app/config.json.
  bool serve_app = false;
  std::string app_config_json;  // the body of /app/config.json
};

class Server {
 public:
  Server(infer::Session& session, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int bind();    // returns the bound port; throws swift::Error naming the address
  void serve();  // blocks until stop(); the engine queue is drained before it returns
  void stop();   // thread-safe, idempotent; also from a signal watcher

  struct State;  // routes_*.cpp

 private:
  std::unique_ptr<State> state_;
};

// The name responses report: --served_model_name, else the last path part of --model.
std::string served_model_name(const infer::Session& session, const ServerOptions& options);

// SIGTERM and SIGINT call server.stop() (from a watcher thread, not the handler); a second
// signal exits at once with status 1.
void install_stop_signals(Server& server);
void install_stop_signals(std::function<void()> stop);

}  // namespace swift::serve

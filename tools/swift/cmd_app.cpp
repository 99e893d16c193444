// `swift app`: a chat page for one model (ms-swift-spec §13), served by the same binary at
// --server_name:--server_port (0.0.0.0:7860). Without --base_url the model (and --adapters)
// is loaded here and the page talks to the OpenAI routes of the same server; with --base_url
// the page chats with that OpenAI-compatible server through this one.
#include <cstdio>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "infer/engine.h"
#include "infer/session.h"
#include "serve/app_proxy.h"
#include "serve/server.h"

namespace swift::cli {

namespace {

// /app/config.json: what the page shows first.
std::string app_config(const args::Arguments& a,
                       const std::string& model,
                       const infer::GenerationRequest* defaults) {
  nlohmann::ordered_json d = nlohmann::ordered_json::object();
  if (defaults) {
    d["temperature"] = defaults->sampling.temperature;
    d["top_p"] = defaults->sampling.top_p;
    d["top_k"] = defaults->sampling.top_k;
    d["repetition_penalty"] = defaults->sampling.repetition_penalty;
    d["max_tokens"] = defaults->max_new_tokens > 0 ? defaults->max_new_tokens : 512;
  } else {
    if (a.generation.temperature) d["temperature"] = *a.generation.temperature;
    if (a.generation.top_p) d["top_p"] = *a.generation.top_p;
    if (a.generation.top_k) d["top_k"] = *a.generation.top_k;
    if (a.generation.repetition_penalty) d["repetition_penalty"] = *a.generation.repetition_penalty;
    d["max_tokens"] = a.generation.max_new_tokens.value_or(512);
  }
  nlohmann::ordered_json j{{"studio_title", a.app.studio_title.value_or(model)},
                           {"lang", a.app.lang},
                           {"model", model},
                           {"stream", a.app.stream.value_or(true)},
                           {"defaults", d},
                           {"system", args::system_text(a.tmpl.system).value_or("")}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int run_app(const std::vector<std::string>& argv) {
  auto parsed = args::parse_args("app", argv);
  if (parsed->help) return print_help(*parsed, "usage: swift app [config.yaml] [--arg value ...]");
  args::Arguments& a = parsed->values;
  SWIFT_CHECK(a.app.lang == "en" || a.app.lang == "zh", "[args] --lang must be en or zh, got '{}'",
              a.app.lang);
  SWIFT_CHECK(a.webui.server_port >= 0 && a.webui.server_port < 65536,
              "[args] --server_port must be between 0 and 65535, got {}", a.webui.server_port);
  if (a.app.base_url) {
    if (parsed->show_args) return print_resolved_args(*parsed);
    serve::AppProxyOptions po;
    po.host = a.webui.server_name;
    po.port = static_cast<int>(a.webui.server_port);
    po.base_url = *a.app.base_url;
    po.api_key = a.deploy.api_key;
    const std::string model = a.deploy.served_model_name.value_or(a.model.model.value_or(""));
    po.config_json = app_config(a, model, nullptr);
    serve::AppProxy proxy(po);
    proxy.bind();
    serve::install_stop_signals([&proxy] { proxy.stop(); });
    proxy.serve();
    return 0;
  }
  infer::SessionPlan plan = infer::plan_session(a);
  if (parsed->show_args) return print_resolved_args(*parsed);
  serve::ServerOptions o = server_options(*parsed);
  o.host = a.webui.server_name;
  o.port = static_cast<int>(a.webui.server_port);
  o.verbose = a.app.verbose;
  if (o.api_key) {
    SWIFT_WARN("--api_key is not used by swift app without --base_url: the page is keyless");
    o.api_key.reset();
  }
  infer::SessionOptions so;
  so.max_num_seqs = deploy_max_num_seqs(*parsed);
  so.command = "app";
  o.max_running = so.max_num_seqs;
  auto session = infer::open_session(a, plan, so);
  o.serve_app = true;
  o.app_config_json = app_config(a, serve::served_model_name(*session, o), &session->base_request);
  serve::Server server(*session, o);
  server.bind();
  serve::install_stop_signals(server);
  server.serve();
  return 0;
}

}  // namespace swift::cli

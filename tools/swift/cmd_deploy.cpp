// `swift deploy`: an OpenAI-compatible server over one model (and its LoRA adapters), as
// ms-swift's deploy (ms-swift-spec §7): --host, --port (the next free one if busy), --api_key,
// --served_model_name, --adapters name=path, --max_num_seqs, --max_model_len, the generation
// defaults, --result_path, --ssl_certfile/--ssl_keyfile. SIGTERM or Ctrl-C stop it cleanly.
#include <cstdio>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "infer/engine.h"
#include "infer/session.h"
#include "serve/server.h"

namespace swift::cli {

serve::ServerOptions server_options(const args::ParsedArgs& parsed) {
  const args::Arguments& a = parsed.values;
  serve::ServerOptions o;
  o.host = a.deploy.host;
  SWIFT_CHECK(a.deploy.port >= 0 && a.deploy.port < 65536,
              "[args] --port must be between 0 and 65535, got {}", a.deploy.port);
  o.port = static_cast<int>(a.deploy.port);
  o.api_key = a.deploy.api_key;
  if (o.api_key && o.api_key->empty()) o.api_key.reset();
  o.ssl_certfile = a.deploy.ssl_certfile;
  o.ssl_keyfile = a.deploy.ssl_keyfile;
  o.served_model_name = a.deploy.served_model_name.value_or("");
  o.owned_by = a.deploy.owned_by;
  o.verbose = a.deploy.verbose;
  o.log_interval = static_cast<int>(a.deploy.log_interval);
  o.result_path = a.infer.result_path;
  SWIFT_CHECK(a.deploy.max_logprobs >= 0 && a.deploy.max_logprobs <= 20,
              "[args] --max_logprobs must be between 0 and 20, got {}", a.deploy.max_logprobs);
  o.max_logprobs = static_cast<int>(a.deploy.max_logprobs);
  SWIFT_CHECK(a.deploy.max_queue_size >= 0, "[args] --max_queue_size must be >= 0, got {}",
              a.deploy.max_queue_size);
  o.max_waiting = a.deploy.max_queue_size;
  o.shutdown_timeout_s = static_cast<int>(a.deploy.shutdown_timeout);
  return o;
}

// The engine's batch: --max_batch_size when given (ms-swift's transformers engine), else
// --max_num_seqs (= --vllm_max_num_seqs, 256).
std::int64_t deploy_max_num_seqs(const args::ParsedArgs& parsed) {
  const args::Arguments& a = parsed.values;
  std::int64_t n = 256;
  if (parsed.set.was_set("max_batch_size"))
    n = a.infer.max_batch_size;
  else if (a.vllm.vllm_max_num_seqs)
    n = *a.vllm.vllm_max_num_seqs;
  SWIFT_CHECK(n == -1 || n >= 1, "[args] --max_num_seqs must be >= 1 (or -1: unlimited), got {}",
              n);
  return n < 0 ? 4096 : n;
}

int run_deploy(const std::vector<std::string>& argv) {
  auto parsed = args::parse_args("deploy", argv);
  if (parsed->help)
    return print_help(*parsed, "usage: swift deploy [config.yaml] [--arg value ...]");
  args::Arguments& a = parsed->values;
  infer::SessionPlan plan = infer::plan_session(a);
  if (parsed->show_args) return print_resolved_args(*parsed);
  serve::ServerOptions o = server_options(*parsed);
  infer::SessionOptions so;
  so.max_num_seqs = deploy_max_num_seqs(*parsed);
  so.command = "deploy";
  o.max_running = so.max_num_seqs;
  auto session = infer::open_session(a, plan, so);
  serve::Server server(*session, o);
  const int port = server.bind();
  serve::install_stop_signals(server);
  if (o.port != 0 && port != o.port) SWIFT_INFO("port {} was busy", o.port);
  server.serve();
  SWIFT_INFO("the server stopped");
  return 0;
}

}  // namespace swift::cli

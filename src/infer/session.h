// What `swift infer`, `deploy` and `app` (later eval, sample and GRPO rollouts) share before the
// first request: the model folder resolved from the hub, args.json of the checkpoint restored
// into the arguments (ms-swift's load_args), the model and tokenizer loaded, LoRA adapters
// loaded (a bare path applied to the base model, name=path ones selectable per request), the
// engine built, the chat template chosen and the generation defaults resolved.
//
//   args::Arguments& a = parsed->values;
//   infer::SessionPlan plan = infer::plan_session(a);  // args.json restored into `a`
//   auto s = infer::open_session(a, plan, infer::SessionOptions{a.infer.max_batch_size});
//   auto r = s->request(messages);  // GenerationRequest with the session's defaults
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infer/chat.h"
#include "infer/engine.h"

namespace swift::args {
struct Arguments;
}
namespace swift::model {
class CausalLM;
}
namespace swift::tok {
class Tokenizer;
}

namespace swift::infer {

struct AdapterSpec {
  std::string name;  // "" for a bare path (applied to the base model)
  std::string path;
};

// --adapters words: `name=path` (unless the whole word is an existing path) or a bare path;
// each folder must exist.
std::vector<AdapterSpec> parse_adapter_specs(const std::vector<std::string>& words);

// ms-swift's load_args: the checkpoint's args.json fills the model and template arguments the
// command line left unset. No-op without an args.json.
void restore_checkpoint_args(const std::string& ckpt_dir, args::Arguments& a);

struct SessionOptions {
  std::int64_t max_num_seqs = 1;  // the engine's batch (infer: --max_batch_size)
  std::string command = "infer";  // for messages: "swift <command> needs --model"
  std::int64_t max_kv_blocks = 0;
};

struct Session {
  std::string model_dir;                // the resolved local folder
  std::string model_id;                 // --model as given (the hub id or path)
  std::optional<std::string> ckpt_dir;  // whose args.json was restored (result paths)
  std::vector<AdapterSpec> adapters;
  std::shared_ptr<model::CausalLM> model;
  std::shared_ptr<const tok::Tokenizer> tok;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ChatFormatter> chat;
  nlohmann::json generation_config;
  // The defaults of every request: sampling, seed, stops, max_new_tokens, logprobs.
  GenerationRequest base_request;
  std::string adapter;    // the named adapter requests use by default ("" = base)
  bool logprobs = false;  // --logprobs
  double load_seconds = 0;

  // A request for a conversation with the session's defaults.
  GenerationRequest request(const nlohmann::ordered_json& messages,
                            const nlohmann::ordered_json& tools = nullptr,
                            std::optional<bool> enable_thinking = std::nullopt) const;
  // Answer text as ms-swift returns it (glm4 drops leading newlines).
  std::string answer_text(const std::string& text) const;
};

// The checkpoint whose args.json is restored (--ckpt_dir, else the first adapter, else the model
// folder when it holds one) and the adapters to load. With --load_args (the default) the
// arguments are restored into `a` here, so --show_args can print them before anything loads.
struct SessionPlan {
  std::optional<std::string> ckpt_dir;
  std::vector<AdapterSpec> adapters;
};
SessionPlan plan_session(args::Arguments& a);

// Checks the options swift.cpp does not build, then loads everything. Throws swift::Error with
// a message naming the argument at fault.
std::unique_ptr<Session> open_session(args::Arguments& a,
                                      const SessionPlan& plan,
                                      const SessionOptions& options);

}  // namespace swift::infer

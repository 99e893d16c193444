// Model, adapters, template and defaults of an inference session; see session.h. (Moved here
// from the `infer` command so that deploy and app share it.)
#include "infer/session.h"

#include <chrono>

#include "args/arguments.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "hub/hub.h"
#include "io/hf_config.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "tuners/lora.h"

namespace swift::infer {

std::vector<AdapterSpec> parse_adapter_specs(const std::vector<std::string>& words) {
  std::vector<AdapterSpec> out;
  for (const auto& w : words) {
    auto eq = w.find('=');
    if (eq != std::string::npos && !fs::exists(w)) {
      out.push_back({w.substr(0, eq), w.substr(eq + 1)});
      SWIFT_CHECK(!out.back().name.empty(), "[args] --adapters '{}': the name before '=' is empty",
                  w);
    } else {
      out.push_back({"", w});
    }
    SWIFT_CHECK(fs::is_dir(out.back().path), "[args] adapter folder '{}' does not exist",
                out.back().path);
  }
  return out;
}

void restore_checkpoint_args(const std::string& ckpt_dir, args::Arguments& a) {
  const std::string path = fs::join(ckpt_dir, "args.json");
  if (!fs::is_file(path)) return;
  nlohmann::json j;
  try {
    j = io::read_json_file(path);
  } catch (const swift::Error& e) {
    SWIFT_FAIL("{}; fix it or pass --load_args false", e.what());
  }
  auto str = [&](const char* key, std::optional<std::string>& dst) {
    if (!dst && j.contains(key) && j[key].is_string()) dst = j[key].get<std::string>();
  };
  str("model", a.model.model);
  str("model_type", a.model.model_type);
  str("torch_dtype", a.model.torch_dtype);
  str("template", a.tmpl.template_);
  str("system", a.tmpl.system);
  str("response_prefix", a.tmpl.response_prefix);
  str("agent_template", a.tmpl.agent_template);
  str("truncation_strategy", a.tmpl.truncation_strategy);
  if (!a.model.max_model_len && j.contains("max_model_len") &&
      j["max_model_len"].is_number_integer())
    a.model.max_model_len = j["max_model_len"].get<std::int64_t>();
  SWIFT_INFO("restored the model and template arguments from {}", path);
}

SessionPlan plan_session(args::Arguments& a) {
  SessionPlan plan;
  plan.adapters = parse_adapter_specs(a.base.adapters);
  plan.ckpt_dir = a.infer.ckpt_dir;
  if (plan.ckpt_dir) {
    SWIFT_CHECK(fs::is_dir(*plan.ckpt_dir), "[args] --ckpt_dir '{}' is not a folder",
                *plan.ckpt_dir);
    if (fs::is_file(fs::join(*plan.ckpt_dir, "adapter_config.json")))
      plan.adapters.insert(plan.adapters.begin(), AdapterSpec{"", *plan.ckpt_dir});
    else if (!a.model.model)
      a.model.model = *plan.ckpt_dir;
  } else if (!plan.adapters.empty()) {
    plan.ckpt_dir = plan.adapters.front().path;
  } else if (a.model.model && fs::is_file(fs::join(*a.model.model, "args.json"))) {
    plan.ckpt_dir = *a.model.model;
  }
  if (plan.ckpt_dir && a.base.load_args) restore_checkpoint_args(*plan.ckpt_dir, a);
  return plan;
}

GenerationRequest Session::request(const nlohmann::ordered_json& messages,
                                   const nlohmann::ordered_json& tools,
                                   std::optional<bool> enable_thinking) const {
  GenerationRequest r = base_request;
  r.prompt_ids = chat->prompt_ids(messages, tools, enable_thinking);
  r.adapter = adapter;
  return r;
}

std::string Session::answer_text(const std::string& text) const {
  if (!chat->strip_leading_newlines()) return text;
  const std::size_t k = text.find_first_not_of('\n');
  return k == std::string::npos ? std::string() : text.substr(k);
}

std::unique_ptr<Session> open_session(args::Arguments& a,
                                      const SessionPlan& plan,
                                      const SessionOptions& options) {
  SWIFT_CHECK(a.model.model,
              "[args] swift {} needs --model (a folder or hub id), or --adapters/--ckpt_dir of a "
              "checkpoint whose args.json names the model",
              options.command);
  SWIFT_CHECK(a.infer.infer_backend == "transformers" || a.infer.infer_backend == "pt",
              "[args] --infer_backend {} is not available in swift.cpp; its own engine is "
              "--infer_backend transformers (the default)",
              a.infer.infer_backend);
  SWIFT_CHECK(a.generation.num_beams == 1,
              "[args] --num_beams {} (beam search) is not built yet; use num_beams 1",
              a.generation.num_beams);
  SWIFT_CHECK(!a.generation.structured_outputs_regex,
              "[args] --structured_outputs_regex is not built yet");

  auto s = std::make_unique<Session>();
  s->model_id = *a.model.model;
  s->ckpt_dir = plan.ckpt_dir;
  s->adapters = plan.adapters;
  hub::HubOptions hub_options = hub::hub_options_from_env(a.base.use_hf, a.model.model_revision);
  if (a.base.hub_token) hub_options.token = *a.base.hub_token;
  s->model_dir = hub::resolve_model_dir(*a.model.model, hub_options);
  const std::string& dir = s->model_dir;
  io::HfConfig cfg = io::load_hf_config(dir);
  s->generation_config = io::load_generation_config(dir);

  model::configure_cpu_threads();
  model::LoadOptions lo;
  // CPU compute runs in float32 unless a dtype is asked for explicitly.
  if (a.model.torch_dtype) lo.dtype = *a.model.torch_dtype;
  model::check_cpu_compute_dtype(lo.dtype);
  auto t0 = std::chrono::steady_clock::now();
  s->model = model::load_causal_lm(dir, lo);
  std::string tok_dir = dir;
  for (const auto& ad : plan.adapters)  // a checkpoint may carry its own tokenizer files
    if (fs::is_file(fs::join(ad.path, "tokenizer.json")) ||
        fs::is_file(fs::join(ad.path, "tokenizer.model")))
      tok_dir = ad.path;
  s->tok = tok::Tokenizer::from_dir(tok_dir);

  EngineOptions eo;
  eo.max_num_seqs = options.max_num_seqs;
  eo.max_kv_blocks = options.max_kv_blocks;
  if (a.model.max_model_len) eo.max_model_len = *a.model.max_model_len;
  std::vector<std::pair<std::string, std::shared_ptr<tuners::LoraAdapter>>> named;
  int bare = 0;
  for (const auto& ad : plan.adapters) {
    auto lora = tuners::LoraAdapter::load(ad.path, *s->model);
    if (ad.name.empty()) {
      SWIFT_CHECK(++bare == 1,
                  "[args] several unnamed --adapters: one adapter is applied to the base model; "
                  "merge them first or name them name=path");
      eo.base_adapter = lora;
    } else {
      for (const auto& [n, l] : named)
        SWIFT_CHECK(n != ad.name, "[args] --adapters names '{}' twice", ad.name);
      named.emplace_back(ad.name, lora);
    }
  }
  s->engine = std::make_unique<Engine>(s->model, s->tok, eo);
  for (const auto& [name, lora] : named) s->engine->add_adapter(name, lora);
  // infer with only named adapters answers with the first one.
  if (bare == 0 && !named.empty()) s->adapter = named.front().first;
  s->load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  SWIFT_INFO("loaded {} ({}, {} parameters) in {:.2f} s", dir, s->model->architecture(),
             s->model->num_parameters(), s->load_seconds);

  ChatOptions co;
  if (a.tmpl.template_) co.template_name = *a.tmpl.template_;
  co.backend = a.tmpl.template_backend;
  co.system = args::system_text(a.tmpl.system);
  co.enable_thinking = a.tmpl.enable_thinking;
  co.response_prefix = a.tmpl.response_prefix;
  co.agent_template = a.tmpl.agent_template;
  s->chat = std::make_unique<ChatFormatter>(s->tok, cfg.model_type, cfg.architectures,
                                            s->generation_config, co);

  GenerationOverrides ov;
  ov.temperature = a.generation.temperature;
  ov.top_k = a.generation.top_k;
  ov.top_p = a.generation.top_p;
  ov.repetition_penalty = a.generation.repetition_penalty;
  auto& r = s->base_request;
  r.sampling = sampling_defaults(s->generation_config, ov);
  r.sampling.seed = static_cast<std::uint64_t>(a.base.seed);
  s->logprobs = a.generation.logprobs;
  r.logprobs = a.generation.logprobs;
  if (a.generation.top_logprobs)
    r.sampling.top_logprobs = static_cast<int>(*a.generation.top_logprobs);
  if (a.generation.max_new_tokens) r.max_new_tokens = *a.generation.max_new_tokens;
  r.stop_token_ids = s->chat->stop_token_ids();
  r.stop = s->chat->stop_strings();
  for (const auto& w : a.generation.stop_words) r.stop.push_back(w);
  // ms-swift prints the stop words it stopped at, except the EOS / template suffix (ids here).
  r.include_stop_str_in_output = true;
  SWIFT_INFO("template {} ({} backend), temperature {}, max_new_tokens {}",
             s->chat->template_name(), co.backend, r.sampling.temperature,
             r.max_new_tokens < 0 ? std::string("None") : std::to_string(r.max_new_tokens));
  return s;
}

}  // namespace swift::infer

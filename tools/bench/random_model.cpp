// The benches' random Qwen2.5-0.5B-shaped model and argument reader (random_model.h).
#include "random_model.h"

#include <torch/torch.h>

#include "core/error.h"
#include "model/model.h"

namespace swift::bench {

nlohmann::json qwen25_05b_config() {
  return nlohmann::json{{"architectures", {"Qwen2ForCausalLM"}},
                        {"model_type", "qwen2"},
                        {"hidden_size", 896},
                        {"intermediate_size", 4864},
                        {"num_hidden_layers", 24},
                        {"num_attention_heads", 14},
                        {"num_key_value_heads", 2},
                        {"max_position_embeddings", 32768},
                        {"rms_norm_eps", 1e-6},
                        {"rope_theta", 1000000.0},
                        {"tie_word_embeddings", true},
                        {"vocab_size", 151936},
                        {"hidden_act", "silu"},
                        {"torch_dtype", "bfloat16"}};
}

std::shared_ptr<model::CausalLM> random_model(const nlohmann::json& cfg_json,
                                              at::ScalarType dtype,
                                              at::Device device) {
  auto cfg = model::parse_model_config(cfg_json);
  const auto* spec = model::find_arch(cfg);
  SWIFT_CHECK(spec != nullptr, "[bench] no architecture row for the config");
  if (spec->configure) spec->configure(cfg);  // the arch's defaults, as loading a folder does
  auto lm = std::make_shared<model::CausalLM>(cfg, *spec);
  torch::manual_seed(0);
  for (const auto& p : lm->expected_parameters()) {
    bool is_norm = p.name.find("norm") != std::string::npos;
    auto opts = torch::TensorOptions().dtype(dtype).device(device);
    lm->parameters()[p.name] =
        is_norm ? torch::ones(p.shape, opts) : torch::empty(p.shape, opts).normal_(0.0, 0.02);
  }
  return lm;
}

std::string arg_value(int argc, char** argv, const std::string& key, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + key) return argv[i + 1];
  return def;
}

}  // namespace swift::bench

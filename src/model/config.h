// ModelConfig: the parts of a Hugging Face config.json that the decoder models need, resolved once
// (defaults, rope parameters in the classic rope_theta/rope_scaling form or the newer
// rope_parameters form, per-layer attention types). Architecture-specific defaults are applied by
// the registry entry's `configure` hook (src/model/arch/*.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include "nn/act.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace swift::model {

// One rope variant (transformers' ROPE_INIT_FUNCTIONS): default, linear, dynamic, llama3, yarn,
// longrope.
struct RopeParams {
  std::string type = "default";
  double theta = 10000.0;
  double factor = 1.0;
  double partial_rotary_factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // llama3, yarn, longrope; 0 = absent
  std::int64_t original_max_position_embeddings = 0;
  // yarn
  double attention_factor = -1.0;  // < 0: derived
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 0.0;
  double mscale_all_dim = 0.0;
  bool truncate = true;
  bool has_factor = true;
  // longrope
  std::vector<double> short_factor;
  std::vector<double> long_factor;
};

struct ModelConfig {
  nlohmann::json raw;
  std::string model_type;
  std::string architecture;  // architectures[0] or empty

  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t rope_head_dim = 0;  // head dim the rope tables are built for (MLA: qk_rope_head_dim)
  bool rope_interleave = false;    // set by the arch (glm4 always, deepseek_v3 by config)
  std::int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool o_proj_bias = false;  // set by the arch (gpt_oss: same as attention_bias)
  bool mlp_bias = false;
  std::string hidden_act = "silu";
  nn::Act act = nn::Act::kSilu;  // hidden_act, checked

  // Attention layout per layer: "full_attention" or "sliding_attention".
  std::vector<std::string> layer_types;
  std::int64_t sliding_window = 0;  // 0: none
  double attn_softcap = 0.0;        // 0: off
  double final_softcap = 0.0;       // 0: off
  double attn_scale = 0.0;          // softmax scale; resolved by the arch (default head_dim^-0.5)

  // Rope per layer type ("full_attention", "sliding_attention"); both present after parsing.
  std::map<std::string, RopeParams> rope;

  // Mixture of experts.
  std::int64_t num_experts = 0;
  std::int64_t num_experts_per_tok = 0;
  std::int64_t moe_intermediate_size = 0;
  bool norm_topk_prob = false;
  std::vector<bool> layer_is_moe;  // per layer
  std::int64_t n_shared_experts = 0;
  std::int64_t shared_expert_intermediate_size = 0;
  std::int64_t n_group = 1;
  std::int64_t topk_group = 1;
  double routed_scaling_factor = 1.0;
  double swiglu_limit = 7.0;

  // Multi-head latent attention (deepseek_v3).
  std::int64_t q_lora_rank = 0;
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t v_head_dim = 0;

  // Helpers over raw.
  bool has(const std::string& key) const;
  std::int64_t get_int(const std::string& key, std::int64_t def) const;
  double get_double(const std::string& key, double def) const;
  bool get_bool(const std::string& key, bool def) const;
  std::string get_string(const std::string& key, const std::string& def) const;

  const RopeParams& rope_for(const std::string& layer_type) const;
  bool is_sliding(std::int64_t layer) const;
};

// Parses the generic fields (no architecture defaults). Throws swift::Error on malformed input.
ModelConfig parse_model_config(const nlohmann::json& j);
ModelConfig load_model_config(const std::string& dir);

// Parses one rope dict (rope_scaling or one rope_parameters entry) on top of `base`.
RopeParams parse_rope_dict(const nlohmann::json& d, RopeParams base);

}  // namespace swift::model

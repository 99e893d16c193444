// Softmax-routed mixtures of experts: mixtral (block_sparse_moe w1/w3/w2 in checkpoints, always
// renormalised top-k), qwen3_moe (per-head qk-norm, sparse-step / mlp-only layers), qwen2_moe
// (qkv bias, sigmoid-gated shared expert).
#include <algorithm>

#include "model/registry.h"

namespace swift::model::arch {
namespace {

// Qwen MoE layers: not in mlp_only_layers and (i + 1) % decoder_sparse_step == 0.
void qwen_moe_layers(ModelConfig& c) {
  std::vector<std::int64_t> only;
  if (c.has("mlp_only_layers"))
    for (const auto& v : c.raw["mlp_only_layers"]) only.push_back(v.get<std::int64_t>());
  const std::int64_t step = std::max<std::int64_t>(1, c.get_int("decoder_sparse_step", 1));
  set_moe_layers(c, [&](std::int64_t i) {
    return std::find(only.begin(), only.end(), i) == only.end() && (i + 1) % step == 0;
  });
}

void qwen_windows(ModelConfig& c) {
  if (!c.get_bool("use_sliding_window", false)) c.sliding_window = 0;
  const std::int64_t from = c.get_int("max_window_layers", c.num_layers);
  default_layer_types(c, [from](std::int64_t i) { return i >= from; });
}

}  // namespace

void add_moe_family(std::vector<ArchSpec>& out) {
  ArchSpec mixtral;
  mixtral.architectures = {"MixtralForCausalLM"};
  mixtral.model_types = {"mixtral"};
  mixtral.routing = MoeRouting::kSoftmaxTopk;
  mixtral.ckpt_moe_module = "block_sparse_moe";
  mixtral.ckpt_gate = "w1";
  mixtral.ckpt_up = "w3";
  mixtral.ckpt_down = "w2";
  mixtral.configure = [](ModelConfig& c) {
    c.attention_bias = false;
    c.num_experts = c.get_int("num_local_experts", 8);
    c.num_experts_per_tok = c.get_int("num_experts_per_tok", 2);
    c.moe_intermediate_size = c.intermediate_size;
    c.norm_topk_prob = true;
    set_moe_layers(c, [](std::int64_t) { return true; });
    default_layer_types(c, [](std::int64_t) { return true; });
  };
  out.push_back(mixtral);

  ArchSpec q3;
  q3.architectures = {"Qwen3MoeForCausalLM"};
  q3.model_types = {"qwen3_moe"};
  q3.qk_norm = QkNorm::kPerHead;
  q3.routing = MoeRouting::kSoftmaxTopk;
  q3.router_after_experts = true;
  q3.configure = [](ModelConfig& c) {
    c.o_proj_bias = c.attention_bias;
    c.num_experts = c.get_int("num_experts", 128);
    c.num_experts_per_tok = c.get_int("num_experts_per_tok", 8);
    c.moe_intermediate_size = c.get_int("moe_intermediate_size", 768);
    c.norm_topk_prob = c.get_bool("norm_topk_prob", false);
    qwen_moe_layers(c);
    qwen_windows(c);
  };
  out.push_back(q3);

  ArchSpec q2;
  q2.architectures = {"Qwen2MoeForCausalLM"};
  q2.model_types = {"qwen2_moe"};
  q2.routing = MoeRouting::kSoftmaxTopk;
  q2.shared_expert = SharedExpert::kGated;
  q2.configure = [](ModelConfig& c) {
    c.attention_bias = c.get_bool("qkv_bias", true);
    c.num_experts = c.get_int("num_experts", 60);
    c.num_experts_per_tok = c.get_int("num_experts_per_tok", 4);
    c.moe_intermediate_size = c.get_int("moe_intermediate_size", 1408);
    c.shared_expert_intermediate_size = c.get_int("shared_expert_intermediate_size", 5632);
    c.norm_topk_prob = c.get_bool("norm_topk_prob", false);
    qwen_moe_layers(c);
    qwen_windows(c);
  };
  out.push_back(q2);
}

}  // namespace swift::model::arch

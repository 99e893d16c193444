// DeepSeek-V3: multi-head latent attention (low-rank q and kv with their own norms, a shared rope
// key, interleaved rope), sigmoid routing with a score-correction bias and expert groups, a
// shared expert, and dense MLPs for the first first_k_dense_replace layers.
#include <cmath>

#include "model/registry.h"

namespace swift::model::arch {

void add_deepseek_v3(std::vector<ArchSpec>& out) {
  ArchSpec s;
  s.architectures = {"DeepseekV3ForCausalLM"};
  s.model_types = {"deepseek_v3"};
  s.attention = AttentionKind::kMla;
  s.routing = MoeRouting::kSigmoidGroup;
  s.router_after_experts = true;
  s.shared_expert = SharedExpert::kPlain;
  s.configure = [](ModelConfig& c) {
    c.q_lora_rank = c.get_int("q_lora_rank", 0);
    c.kv_lora_rank = c.get_int("kv_lora_rank", 512);
    c.qk_rope_head_dim = c.get_int("qk_rope_head_dim", 64);
    c.qk_nope_head_dim = c.get_int("qk_nope_head_dim", 128);
    c.v_head_dim = c.get_int("v_head_dim", 128);
    c.num_kv_heads = c.num_heads;
    c.rope_head_dim = c.qk_rope_head_dim;
    c.rope_interleave = c.get_bool("rope_interleave", true);
    c.num_experts = c.get_int("n_routed_experts", 256);
    c.num_experts_per_tok = c.get_int("num_experts_per_tok", 8);
    c.moe_intermediate_size = c.get_int("moe_intermediate_size", 2048);
    c.n_shared_experts = c.get_int("n_shared_experts", 1);
    c.n_group = c.get_int("n_group", 8);
    c.topk_group = c.get_int("topk_group", 4);
    c.routed_scaling_factor = c.get_double("routed_scaling_factor", 2.5);
    c.norm_topk_prob = c.get_bool("norm_topk_prob", true);
    const std::int64_t dense = c.get_int("first_k_dense_replace", 3);
    set_moe_layers(c, [dense](std::int64_t i) { return i >= dense; });
    c.attn_scale = 1.0 / std::sqrt(static_cast<double>(c.qk_nope_head_dim + c.qk_rope_head_dim));
    const RopeParams& r = c.rope_for("full_attention");
    if (r.type == "yarn" && r.mscale_all_dim != 0.0 && r.factor > 1.0) {
      const double m = 0.1 * r.mscale_all_dim * std::log(r.factor) + 1.0;
      c.attn_scale *= m * m;
    }
    default_layer_types(c, [](std::int64_t) { return false; });
  };
  out.push_back(s);
}

}  // namespace swift::model::arch

// gpt-oss: attention sinks, q/k/v/o biases, alternating sliding-window layers, yarn rope, and
// fused experts ([E, H, 2I] with interleaved gate/up, biases, clamped SwiGLU) routed by a biased
// top-k-then-softmax router.
#include "model/registry.h"

namespace swift::model::arch {

void add_gpt_oss(std::vector<ArchSpec>& out) {
  ArchSpec s;
  s.architectures = {"GptOssForCausalLM"};
  s.model_types = {"gpt_oss"};
  s.attention_sinks = true;
  s.routing = MoeRouting::kTopkSoftmax;
  s.expert_layout = ExpertLayout::kGptOss;
  s.router_name = "router";
  s.router_bias = true;
  s.configure = [](ModelConfig& c) {
    c.attention_bias = c.get_bool("attention_bias", true);
    c.o_proj_bias = c.attention_bias;
    c.num_experts = c.get_int("num_local_experts", 128);
    c.num_experts_per_tok = c.get_int("num_experts_per_tok", 4);
    c.moe_intermediate_size = c.intermediate_size;
    c.swiglu_limit = c.get_double("swiglu_limit", 7.0);
    set_moe_layers(c, [](std::int64_t) { return true; });
    default_layer_types(c, [](std::int64_t i) { return (i + 1) % 2 != 0; });
  };
  out.push_back(s);
}

}  // namespace swift::model::arch

// Phi-3: fused qkv_proj and gate_up_proj, partial rotary, longrope scaling.
#include "model/registry.h"

namespace swift::model::arch {

void add_phi3(std::vector<ArchSpec>& out) {
  ArchSpec s;
  s.architectures = {"Phi3ForCausalLM"};
  s.model_types = {"phi3"};
  s.fused_qkv = true;
  s.fused_gate_up = true;
  s.configure = [](ModelConfig& c) {
    c.attention_bias = false;
    default_layer_types(c, [](std::int64_t) { return true; });
  };
  out.push_back(s);
}

}  // namespace swift::model::arch

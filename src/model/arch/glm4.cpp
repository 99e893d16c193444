// GLM-4: four norms per layer (post-attention and post-MLP sandwich), fused gate_up_proj,
// interleaved partial rotary (default factor 0.5), qkv bias.
#include "model/registry.h"

namespace swift::model::arch {

void add_glm4(std::vector<ArchSpec>& out) {
  ArchSpec s;
  s.architectures = {"Glm4ForCausalLM"};
  s.model_types = {"glm4"};
  s.placement = NormPlacement::kGlm;
  s.fused_gate_up = true;
  s.configure = [](ModelConfig& c) {
    c.rope_interleave = true;
    c.head_dim = c.get_int("head_dim", 128);
    c.rope_head_dim = c.head_dim;
    c.attention_bias = c.get_bool("attention_bias", true);
    if (!c.has("partial_rotary_factor")) {
      for (auto& [type, r] : c.rope)
        if (!c.has("rope_parameters") ||
            !c.raw["rope_parameters"].contains("partial_rotary_factor"))
          r.partial_rotary_factor = 0.5;
    }
    default_layer_types(c, [](std::int64_t) { return false; });
  };
  out.push_back(s);
}

}  // namespace swift::model::arch

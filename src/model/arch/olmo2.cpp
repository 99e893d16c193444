// OLMo 2: norms after attention and MLP only (no pre-norms), qk-norm over the whole projection.
#include "model/registry.h"

namespace swift::model::arch {

void add_olmo2(std::vector<ArchSpec>& out) {
  ArchSpec s;
  s.architectures = {"Olmo2ForCausalLM"};
  s.model_types = {"olmo2"};
  s.placement = NormPlacement::kPost;
  s.qk_norm = QkNorm::kFull;
  s.configure = [](ModelConfig& c) {
    c.o_proj_bias = c.attention_bias;
    default_layer_types(c, [](std::int64_t) { return false; });
  };
  out.push_back(s);
}

}  // namespace swift::model::arch

// Gemma 2 and Gemma 3 (text): (1 + w) RMSNorms in a sandwich, scaled embeddings, tanh-GELU,
// query_pre_attn_scalar, alternating sliding-window layers; gemma2 soft-caps attention and final
// logits, gemma3 adds per-head qk-norm and a separate rope for local (sliding) layers.
#include <cmath>

#include "model/registry.h"

namespace swift::model::arch {
namespace {

void gemma_common(ModelConfig& c) {
  c.attention_bias = c.get_bool("attention_bias", false);
  c.head_dim = c.get_int("head_dim", 256);
  c.rope_head_dim = c.head_dim;
  c.o_proj_bias = c.attention_bias;
  c.attn_scale = 1.0 / std::sqrt(c.get_double("query_pre_attn_scalar", 256.0));
  if (!c.has("tie_word_embeddings")) c.tie_word_embeddings = true;
}

}  // namespace

void add_gemma_family(std::vector<ArchSpec>& out) {
  ArchSpec g2;
  g2.architectures = {"Gemma2ForCausalLM"};
  g2.model_types = {"gemma2"};
  g2.norm = NormKind::kGemmaRms;
  g2.placement = NormPlacement::kSandwich;
  g2.activation = Activation::kGeluTanh;
  g2.embed_scale = true;
  g2.configure = [](ModelConfig& c) {
    gemma_common(c);
    c.sliding_window = c.get_int("sliding_window", 4096);
    c.attn_softcap =
        c.has("attn_logit_softcapping") ? c.get_double("attn_logit_softcapping", 0) : 50.0;
    c.final_softcap =
        c.has("final_logit_softcapping") ? c.get_double("final_logit_softcapping", 0) : 30.0;
    default_layer_types(c, [](std::int64_t i) { return (i + 1) % 2 != 0; });
  };
  out.push_back(g2);

  ArchSpec g3 = g2;
  g3.architectures = {"Gemma3ForCausalLM"};
  g3.model_types = {"gemma3_text"};
  g3.qk_norm = QkNorm::kPerHead;
  g3.configure = [](ModelConfig& c) {
    gemma_common(c);
    c.sliding_window = c.get_int("sliding_window", 4096);
    c.attn_softcap = c.get_double("attn_logit_softcapping", 0.0);
    c.final_softcap = c.get_double("final_logit_softcapping", 0.0);
    const std::int64_t pattern = c.get_int("sliding_window_pattern", 6);
    default_layer_types(c, [pattern](std::int64_t i) { return (i + 1) % pattern != 0; });
    // Classic configs: local layers use rope_local_base_freq with the default rope.
    if (!c.has("rope_parameters") || !c.raw["rope_parameters"].contains("sliding_attention")) {
      RopeParams local;
      local.theta = c.get_double("rope_local_base_freq", 10000.0);
      c.rope["sliding_attention"] = local;
    }
  };
  out.push_back(g3);
}

}  // namespace swift::model::arch

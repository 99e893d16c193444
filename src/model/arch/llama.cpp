// Llama-style decoders: llama (all rope types), mistral (sliding window, explicit head_dim),
// qwen2 (qkv bias), qwen3 (per-head qk-norm).
#include "model/registry.h"

namespace swift::model::arch {

void add_llama_family(std::vector<ArchSpec>& out) {
  ArchSpec llama;
  llama.architectures = {"LlamaForCausalLM"};
  llama.model_types = {"llama"};
  llama.configure = [](ModelConfig& c) {
    c.o_proj_bias = c.attention_bias;
    default_layer_types(c, [](std::int64_t) { return false; });
  };
  out.push_back(llama);

  ArchSpec mistral;
  mistral.architectures = {"MistralForCausalLM"};
  mistral.model_types = {"mistral"};
  mistral.configure = [](ModelConfig& c) {
    c.attention_bias = false;
    default_layer_types(c, [](std::int64_t) { return true; });
  };
  out.push_back(mistral);

  // Qwen2/Qwen3: a sliding window only with use_sliding_window, from layer max_window_layers on.
  auto qwen_windows = [](ModelConfig& c) {
    if (!c.get_bool("use_sliding_window", false)) c.sliding_window = 0;
    const std::int64_t from = c.get_int("max_window_layers", c.num_layers);
    default_layer_types(c, [from](std::int64_t i) { return i >= from; });
  };
  ArchSpec qwen2;
  qwen2.architectures = {"Qwen2ForCausalLM"};
  qwen2.model_types = {"qwen2"};
  qwen2.configure = [qwen_windows](ModelConfig& c) {
    c.attention_bias = true;
    qwen_windows(c);
  };
  out.push_back(qwen2);

  ArchSpec qwen3;
  qwen3.architectures = {"Qwen3ForCausalLM"};
  qwen3.model_types = {"qwen3"};
  qwen3.qk_norm = QkNorm::kPerHead;
  qwen3.configure = [qwen_windows](ModelConfig& c) {
    c.o_proj_bias = c.attention_bias;
    qwen_windows(c);
  };
  out.push_back(qwen3);
}

}  // namespace swift::model::arch

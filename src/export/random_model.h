// The built-in default model: a small randomly initialised model of a registered architecture
// with the real vocabulary of a tokenizer folder, written as a Hugging Face folder (config.json,
// generation_config.json, model.safetensors, tokenizer files). It needs no download, so demos and
// tests can run the whole pipeline (train, infer, merge, serve) anywhere. Deterministic: the same
// options and seed give the same bytes.
//
//   swift::exporter::RandomModelOptions o;
//   o.tokenizer_dir = "/path/to/Qwen3 tokenizer";
//   o.output_dir = "models/qwen3-tiny";
//   swift::exporter::create_random_model(o);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swift::exporter {

struct RandomModelOptions {
  std::string tokenizer_dir;  // tokenizer.json (+ tokenizer_config.json) of the vocabulary
  std::string output_dir;
  // A registered dense architecture (qwen3, qwen2, llama, mistral, ...); empty: the preset's
  // (tiny: qwen3, qwen2.5-0.5b: qwen2).
  std::string model_type;
  // "tiny": hidden 64, 2 layers, 4 heads, 2 kv heads, intermediate 128.
  // "qwen2.5-0.5b": Qwen2.5-0.5B's shape (hidden 896, intermediate 4864, 24 layers, 14 heads,
  // 2 kv heads, tied embeddings, rope_theta 1e6).
  std::string preset = "tiny";
  // Overrides of the preset (unset: the preset's value).
  std::optional<std::int64_t> hidden_size, intermediate_size, num_hidden_layers,
      num_attention_heads, num_key_value_heads, head_dim, max_position_embeddings;
  std::optional<bool> tie_word_embeddings;
  std::optional<double> rope_theta;
  std::string torch_dtype = "float32";  // float32, bfloat16 or float16
  std::int64_t vocab_multiple = 1;      // round vocab_size up to a multiple of this
  std::uint64_t seed = 42;
  bool exist_ok = false;
};

struct RandomModelResult {
  std::string output_dir;  // absolute
  std::string architecture;
  std::int64_t vocab_size = 0;
  std::int64_t num_parameters = 0;
};

// Weights: normal(0, 0.02) for matrices and embeddings, 1 for norm weights (0 where the arch
// adds 1, as gemma's norms do), 0 for biases. Throws swift::Error for an unknown preset or
// model_type, an architecture that needs more than these options (MoE, MLA), or a folder without
// a usable tokenizer.
RandomModelResult create_random_model(const RandomModelOptions& options);

std::vector<std::string> random_model_presets();

}  // namespace swift::exporter

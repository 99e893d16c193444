// Hugging Face model configuration: config.json and generation_config.json, read as untrusted
// input and validated before anyone sizes a tensor from them.
//
// Rope settings come in two spellings that are normalised into RopeParams here:
//   classic (transformers <= 4): "rope_theta" + "rope_scaling": {"rope_type"|"type", "factor", ...}
//     (gemma3 adds "rope_local_base_freq" for its sliding-attention layers);
//   transformers 5: "rope_parameters": {"rope_type", "rope_theta", "factor", ...}, or one such
//     dict per layer type: {"full_attention": {...}, "sliding_attention": {...}}.
//
// Error phrases (all prefixed "[io] <file>: "): "not found", "is not valid JSON",
// "is not a JSON object", "\"<key>\" must be an integer", "\"<key>\" = <v> is out of range
// [lo, hi]", "num_key_value_heads (<k>) must divide num_attention_heads (<h>)",
// "\"rms_norm_eps\" ... must be > 0", "unknown torch_dtype", "rope_theta ... must be positive",
// "rope_scaling must be an object", "eos_token_id must be an integer or a list of integers".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace swift::io {

struct RopeParams {
  std::string rope_type = "default";  // default, linear, dynamic, yarn, llama3, longrope, ...
  double rope_theta = 10000.0;
  nlohmann::json params = nlohmann::json::object();  // factor, low_freq_factor, ... (no type/theta)
  // The classic "rope_scaling" object ({"rope_type": ..., params...}), or null for "default".
  nlohmann::json rope_scaling() const;
};

struct HfConfig {
  nlohmann::json raw;   // config.json as read
  nlohmann::json text;  // the language-model part: raw, or raw["text_config"] when nested
  std::string model_type;
  std::vector<std::string> architectures;
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;      // defaults to num_attention_heads
  std::int64_t intermediate_size = 0;        // 0 when absent (some MoE configs)
  std::int64_t max_position_embeddings = 0;  // 0 when absent
  std::int64_t head_dim = 0;                 // defaults to hidden_size / num_attention_heads
  double rms_norm_eps = 1e-6;                // also read from layer_norm_eps/layer_norm_epsilon
  std::string torch_dtype;                   // "" when absent; "dtype" in transformers 5
  bool tie_word_embeddings = false;
  RopeParams rope;                                        // full-attention (or only) rope
  std::map<std::string, RopeParams> rope_per_layer_type;  // e.g. sliding_attention; may be empty
};

// Reads <dir>/config.json. Throws swift::Error naming the file, the key and the accepted range.
HfConfig load_hf_config(const std::string& dir);
// Same for an already parsed object; `where` names it in messages.
HfConfig parse_hf_config(const nlohmann::json& raw, const std::string& where);

// <dir>/generation_config.json, or {} when the folder has none. eos_token_id is normalised to a
// list; sampling fields are range-checked and kept with everything else.
nlohmann::json load_generation_config(const std::string& dir);

// Validates a model folder without running it (config.json, weights; see inspect.cpp) and
// returns {"path", "architecture", "model_type", "dtypes": {"F32": n, ...}, "num_tensors",
// "num_parameters", "total_bytes", "files": [...], "sharded", "config": {...},
// "generation_config": {...}, "warnings": [...]}.
nlohmann::json inspect_model_dir(const std::string& dir);

// Reads a JSON file of at most `max_bytes` (NUL bytes rejected: nlohmann would stop there;
// nesting deeper than str::kMaxJsonNesting rejected: nlohmann copies it recursively).
constexpr std::uint64_t kMaxJsonFileBytes = 16ull << 20;
nlohmann::json read_json_file(const std::string& path, std::uint64_t max_bytes = kMaxJsonFileBytes);

}  // namespace swift::io

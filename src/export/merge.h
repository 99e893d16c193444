// `swift export --merge_lora true` / `swift merge-lora`: folds a PEFT LoRA/DoRA adapter into its
// base model and writes a Hugging Face folder that transformers (and swift.cpp) load as a plain
// model: weights in the model's dtype under the checkpoint names, sharded by max_shard_size,
// config.json, generation_config.json, tokenizer files and args.json. The folder appears only
// when complete (built in a hidden sibling, then renamed).
//
//   swift::exporter::MergeOptions o;
//   o.max_shard_size = "2GB";
//   swift::exporter::merge_lora("/models/Qwen3-0.6B", "out/v0-x/checkpoint-50",
//                               "out/v0-x/checkpoint-50-merged", o);
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace swift::exporter {

struct MergeOptions {
  std::string max_shard_size = "5GB";  // as ms-swift; parse_file_size() syntax
  bool exist_ok = false;               // replace an existing output folder
  // Weight dtype of the output; empty: config.json's torch_dtype (or dtype), else the dtype the
  // base checkpoint stores.
  std::string torch_dtype;
  // Written as args.json when the adapter folder has none (ms-swift copies the adapter's).
  nlohmann::json args = nlohmann::json::object();
};

struct MergeResult {
  std::string output_dir;  // absolute
  std::int64_t num_tensors = 0;
  std::int64_t num_shards = 0;
  std::string dtype;
  bool untied = false;  // tie_word_embeddings was switched off
};

MergeResult merge_lora(const std::string& base_model_dir,
                       const std::string& adapter_dir,
                       const std::string& output_dir,
                       const MergeOptions& options = {});

// The base model an adapter folder names: args.json "model" (ms-swift load_args), else
// adapter_config.json base_model_name_or_path; nullopt when neither is there. A relative path
// that names a model folder (config.json) from the adapter folder is resolved against it.
std::optional<std::string> adapter_base_model(const std::string& adapter_dir);

}  // namespace swift::exporter

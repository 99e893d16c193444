// inspect_model_dir: everything that can be checked about a model folder without loading a
// model (config ranges, every safetensors header and index, shape agreement of the embedding),
// summarised as JSON for `swift inspect`.
#include <fmt/ranges.h>

#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/fs.h"
#include "io/hf_config.h"
#include "io/safetensors.h"

namespace swift::io {

nlohmann::json inspect_model_dir(const std::string& dir) {
  using Json = nlohmann::json;
  SWIFT_CHECK(fs::is_dir(dir), "[io] {} is not a directory; pass a model folder", dir);
  HfConfig cfg = load_hf_config(dir);
  Json gen = load_generation_config(dir);
  SafetensorsModel model(dir);

  Json report = Json::object();
  report["path"] = dir;
  report["architecture"] = cfg.architectures.empty() ? Json(nullptr) : Json(cfg.architectures[0]);
  report["model_type"] = cfg.model_type;

  std::map<std::string, std::uint64_t> dtypes;
  std::uint64_t params = 0, bytes = 0, count = 0;
  Json files = Json::array();
  for (const auto& f : model.files()) {
    files.push_back(std::filesystem::path(f->path()).filename().string());
    for (const auto& t : f->tensors()) {
      ++dtypes[dtype_name(t.dtype)];
      params += t.numel();
      bytes += t.nbytes();
      ++count;
    }
  }
  report["dtypes"] = dtypes;
  report["num_tensors"] = count;
  report["num_parameters"] = params;
  report["total_bytes"] = bytes;
  report["files"] = files;
  report["sharded"] = fs::exists(fs::join(dir, "model.safetensors.index.json"));

  Json c = Json::object();
  c["vocab_size"] = cfg.vocab_size;
  c["hidden_size"] = cfg.hidden_size;
  c["num_hidden_layers"] = cfg.num_hidden_layers;
  c["num_attention_heads"] = cfg.num_attention_heads;
  c["num_key_value_heads"] = cfg.num_key_value_heads;
  c["head_dim"] = cfg.head_dim;
  c["intermediate_size"] = cfg.intermediate_size;
  c["max_position_embeddings"] = cfg.max_position_embeddings;
  c["rms_norm_eps"] = cfg.rms_norm_eps;
  c["torch_dtype"] = cfg.torch_dtype;
  c["tie_word_embeddings"] = cfg.tie_word_embeddings;
  c["rope_type"] = cfg.rope.rope_type;
  c["rope_theta"] = cfg.rope.rope_theta;
  report["config"] = c;
  report["generation_config"] = gen;

  // The embedding must agree with the config, or the model would index out of bounds; other
  // tensors are the model loader's business (it knows the architecture).
  Json warnings = Json::array();
  for (const char* name :
       {"model.embed_tokens.weight", "model.language_model.embed_tokens.weight"}) {
    const auto* r = model.find(name);
    if (!r) continue;
    const auto& s = r->info->shape;
    SWIFT_CHECK(s.size() == 2 && s[0] == cfg.vocab_size && s[1] == cfg.hidden_size,
                "[io] {}: {} has shape [{}] but config.json says vocab_size {} x hidden_size {}",
                dir, name, fmt::join(s, ", "), cfg.vocab_size, cfg.hidden_size);
  }
  if (!cfg.tie_word_embeddings && model.find("model.embed_tokens.weight") &&
      !model.find("lm_head.weight"))
    warnings.push_back("tie_word_embeddings is false but there is no lm_head.weight");
  report["warnings"] = warnings;
  return report;
}

}  // namespace swift::io

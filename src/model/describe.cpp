// describe_model; see describe.h.
#include "model/describe.h"
#include "io/adapter_config.h"
#include "io/hf_config.h"

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "model/model.h"

namespace swift::model {
namespace {

std::uint64_t count_params(const io::SafetensorsModel& st, std::uint64_t* n_tensors) {
  std::uint64_t n = 0;
  *n_tensors = 0;
  for (const auto& name : st.names()) {
    n += st.find(name)->info->numel();
    ++*n_tensors;
  }
  return n;
}

nlohmann::json describe_adapter(const std::string& dir) {
  nlohmann::json out;
  out["path"] = dir;
  const io::AdapterConfig cfg = io::read_adapter_config(dir);
  std::string type = cfg.peft_type;
  if (type == "LORA" && cfg.use_dora) type = "DORA";
  out["type"] = type;
  out["r"] = cfg.r;
  out["lora_alpha"] = cfg.lora_alpha;
  out["use_rslora"] = cfg.use_rslora;
  out["target_modules"] = cfg.target_modules;
  out["target_parameters"] =
      cfg.raw.contains("target_parameters") ? cfg.raw["target_parameters"] : nlohmann::json();
  out["modules_to_save"] = cfg.modules_to_save;
  out["base_model_name_or_path"] = cfg.base_model_name_or_path;
  io::SafetensorsModel st(dir, "adapter_model");
  std::uint64_t tensors = 0;
  out["trainable_parameters"] = count_params(st, &tensors);
  out["num_tensors"] = tensors;
  return out;
}

}  // namespace

nlohmann::json describe_model(const std::string& dir, const std::vector<std::string>& adapters) {
  const ArchSpec* spec = nullptr;
  ModelConfig cfg = resolve_config(dir, &spec);
  nlohmann::json out;
  out["path"] = dir;
  out["architecture"] = cfg.architecture;
  out["model_type"] = cfg.model_type;
  out["vocab_size"] = cfg.vocab_size;
  out["hidden_size"] = cfg.hidden_size;
  out["num_hidden_layers"] = cfg.num_layers;
  out["num_attention_heads"] = cfg.num_heads;
  out["num_key_value_heads"] = cfg.num_kv_heads;
  out["head_dim"] = cfg.head_dim;
  out["tie_word_embeddings"] = cfg.tie_word_embeddings;
  out["num_experts"] = cfg.num_experts;
  io::SafetensorsModel st(dir);
  std::uint64_t tensors = 0;
  std::uint64_t total = count_params(st, &tensors);
  out["num_parameters"] = total;
  out["num_tensors"] = tensors;
  nlohmann::json list = nlohmann::json::array();
  std::uint64_t trainable = 0;
  for (const auto& a : adapters) {
    auto d = describe_adapter(a);
    trainable += d["trainable_parameters"].get<std::uint64_t>();
    list.push_back(d);
  }
  out["adapters"] = list;
  out["trainable_parameters"] = adapters.empty() ? total : trainable;
  return out;
}

}  // namespace swift::model

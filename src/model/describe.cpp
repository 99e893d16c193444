// describe_model; see describe.h.
#include "model/describe.h"
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
  const std::string cfg_path = fs::join(dir, "adapter_config.json");
  SWIFT_CHECK(fs::is_file(cfg_path), "[model] {} not found; pass a PEFT adapter folder", cfg_path);
  const nlohmann::json cfg = io::read_json_file(cfg_path);
  std::string type = cfg.value("peft_type", std::string("LORA"));
  if (type == "LORA" && cfg.value("use_dora", false)) type = "DORA";
  out["type"] = type;
  out["r"] = cfg.value("r", 8);
  out["lora_alpha"] = cfg.value("lora_alpha", 8);
  out["use_rslora"] = cfg.value("use_rslora", false);
  out["target_modules"] = cfg.contains("target_modules") ? cfg["target_modules"] : nlohmann::json();
  out["target_parameters"] =
      cfg.contains("target_parameters") ? cfg["target_parameters"] : nlohmann::json();
  out["modules_to_save"] =
      cfg.contains("modules_to_save") ? cfg["modules_to_save"] : nlohmann::json();
  out["base_model_name_or_path"] = cfg.value("base_model_name_or_path", std::string());
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

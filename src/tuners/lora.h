// PEFT LoRA / DoRA / rsLoRA adapters applied at runtime through the model's AdapterHook: linear
// modules (lora_A/lora_B, DoRA's lora_magnitude_vector), parameter targets on fused MoE experts
// (PEFT's ParamWrapper: target_parameters, nested as base_layer), and modules_to_save copies. The
// base weights are never touched until merge_into(). Loads and saves the PEFT folder format
// (adapter_config.json + adapter_model.safetensors, keys base_model.model.<module>.lora_A.weight).
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/adapter_hook.h"

namespace swift::model {
class CausalLM;
}

namespace swift::tuners {

// A new adapter (what `swift sft --tuner_type lora` starts from).
struct LoraOptions {
  std::int64_t r = 8;
  double alpha = 32;
  std::vector<std::string> target_modules = {"all-linear"};  // module-name suffixes or all-linear
  bool use_dora = false;
  bool use_rslora = false;
  double dropout = 0.0;       // --lora_dropout: on the adapter's input in training forwards
  std::string bias = "none";  // --lora_bias none | all (all: every bias of the model trains)
  // --target_regex: modules whose full name matches (std::regex, whole name, as PEFT's
  // re.fullmatch); overrides target_modules.
  std::string target_regex;
  std::vector<std::string> modules_to_save;  // module names (suffixes) trained in full
  std::string init_weights = "true";         // true | false | gaussian
  std::uint64_t seed = 42;
};

class LoraAdapter : public nn::AdapterHook {
 public:
  // Reads a PEFT folder, checked against `model`'s parameters. Nothing is attached: a forward
  // applies the adapter when its ForwardContext names it.
  static std::shared_ptr<LoraAdapter> load(const std::string& dir, const model::CausalLM& model);
  // A freshly initialised adapter (A: kaiming-uniform, B: zeros, DoRA magnitude = ||W|| rows).
  static std::shared_ptr<LoraAdapter> create(const model::CausalLM& model,
                                             const LoraOptions& options);

  // PEFT folder out: adapter_config.json + adapter_model.safetensors (atomic writes).
  void save(const std::string& dir) const;
  // Folds the adapter into the base weights exactly as PEFT's merge_and_unload.
  void merge_into(model::CausalLM& model);

  // Trainable tensors under PEFT's in-memory names
  // (base_model.model.<module>.lora_A.default.weight).
  std::vector<std::pair<std::string, at::Tensor>> named_parameters() const;
  void set_requires_grad(bool on);
  std::int64_t num_parameters() const;
  const nlohmann::json& config() const { return config_; }

  at::Tensor linear(const std::string& module,
                    const at::Tensor& x,
                    const at::Tensor& weight,
                    const at::Tensor& bias,
                    bool training = false) override;
  at::Tensor param(const std::string& name, const at::Tensor& value) override;

 private:
  struct LinearLora {
    at::Tensor a, b, magnitude;  // [r, in], [out, r], [out] (DoRA)
    double scaling = 1.0;
  };
  struct ParamLora {
    std::string key;  // module path as saved, e.g. model.layers.0.mlp.experts.base_layer
    at::Tensor a, b;  // [r * E, in], [out, r * E]
    std::int64_t experts = 1;
    bool transposed = false;  // parameter stored [E, in, out]
    double scaling = 1.0;
  };
  at::Tensor delta(const ParamLora& p) const;  // same shape as the parameter

  nlohmann::json config_;
  double dropout_ = 0.0;                      // lora_dropout of the config
  std::map<std::string, LinearLora> linear_;  // by module
  std::map<std::string, ParamLora> params_;   // by parameter name
  std::map<std::string, at::Tensor> saved_;   // modules_to_save: parameter name -> copy
};

}  // namespace swift::tuners

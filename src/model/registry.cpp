// Registry lookup over the rows defined in src/model/arch/.
#include "model/registry.h"

#include <algorithm>

namespace swift::model {
namespace {

const std::vector<ArchSpec>& all_specs() {
  static const std::vector<ArchSpec> specs = [] {
    std::vector<ArchSpec> v;
    arch::add_llama_family(v);
    arch::add_gemma_family(v);
    arch::add_phi3(v);
    arch::add_glm4(v);
    arch::add_olmo2(v);
    arch::add_moe_family(v);
    arch::add_deepseek_v3(v);
    arch::add_gpt_oss(v);
    return v;
  }();
  return specs;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return !s.empty() && std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

const ArchSpec* find_arch(const ModelConfig& config) {
  for (const auto& s : all_specs())
    if (contains(s.architectures, config.architecture)) return &s;
  for (const auto& s : all_specs())
    if (contains(s.model_types, config.model_type)) return &s;
  return nullptr;
}

void default_layer_types(ModelConfig& c, const std::function<bool(std::int64_t)>& sliding) {
  if (!c.layer_types.empty()) return;
  for (std::int64_t i = 0; i < c.num_layers; ++i)
    c.layer_types.push_back(c.sliding_window > 0 && sliding(i) ? "sliding_attention"
                                                               : "full_attention");
}

void set_moe_layers(ModelConfig& c, const std::function<bool(std::int64_t)>& is_moe) {
  c.layer_is_moe.assign(c.num_layers, false);
  for (std::int64_t i = 0; i < c.num_layers; ++i)
    c.layer_is_moe[i] = c.num_experts > 0 && is_moe(i);
}

std::vector<std::string> supported_architectures() {
  std::vector<std::string> out;
  for (const auto& s : all_specs())
    out.insert(out.end(), s.architectures.begin(), s.architectures.end());
  return out;
}

}  // namespace swift::model

// PEFT folder reading and writing for LoraAdapter: resolves each saved key to a linear module,
// a parameter target (nested ParamWrappers, matched by shape and target_parameters order) or a
// modules_to_save copy; rank/alpha come from rank_pattern / alpha_pattern as PEFT resolves them.
#include <torch/torch.h>

#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "io/adapter_config.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/causal_lm.h"
#include "tuners/lora.h"

namespace swift::tuners {
namespace {

const std::string kPrefix = "base_model.model.";

std::string shape_str(at::IntArrayRef s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

bool is_float(io::DType dt) {
  return dt == io::DType::kF32 || dt == io::DType::kF16 || dt == io::DType::kBF16 ||
         dt == io::DType::kF64;
}

}  // namespace

std::shared_ptr<LoraAdapter> LoraAdapter::load(const std::string& dir,
                                               const model::CausalLM& model) {
  const io::AdapterConfig cfg = io::read_adapter_config(dir);
  SWIFT_CHECK(cfg.peft_type == "LORA", "[tuners] {}: peft_type {} is not supported (LORA only)",
              cfg.path, cfg.peft_type);
  SWIFT_CHECK(!cfg.fan_in_fan_out, "[tuners] {}: fan_in_fan_out is not supported", cfg.path);
  const bool dora = cfg.use_dora;

  auto ad = std::make_shared<LoraAdapter>();
  ad->config_ = cfg.raw;
  if (cfg.raw.contains("lora_dropout") && cfg.raw["lora_dropout"].is_number())
    ad->dropout_ = cfg.raw["lora_dropout"].get<double>();
  SWIFT_CHECK(ad->dropout_ >= 0 && ad->dropout_ < 1,
              "[tuners] {}: lora_dropout {} is not in [0, 1)", cfg.path, ad->dropout_);
  io::SafetensorsFile st(fs::join(dir, "adapter_model.safetensors"));
  auto& params = model.parameters();
  // Adapter weights must be floating point and finite: integer tensors or NaN/Inf would load
  // "fine" and generate garbage.
  auto get = [&](const std::string& key) {
    auto* info = st.find(key);
    SWIFT_CHECK(info, "[tuners] {}: missing tensor {}", dir, key);
    SWIFT_CHECK(is_float(info->dtype),
                "[tuners] {}: tensor {} is {}; LoRA weights are floating point (F32/BF16/F16)",
                st.path(), key, io::dtype_name(info->dtype));
    auto t = io::to_tensor(st, *info).to(torch::kFloat32).contiguous();
    SWIFT_CHECK(torch::isfinite(t).all().item<bool>(),
                "[tuners] {}: tensor {} holds NaN or Inf values; the adapter is corrupt (retrain "
                "it or use an earlier checkpoint)",
                st.path(), key);
    return t;
  };
  // The rank the config gives a module must be the rank its tensors have.
  auto check_rank = [&](const std::string& module, std::int64_t tensor_rank) {
    const std::int64_t r = cfg.rank_for(module);
    SWIFT_CHECK(r == tensor_rank,
                "[tuners] {}: adapter_config.json gives {} rank {} but its lora_A/lora_B have "
                "rank {}; the config and adapter_model.safetensors do not belong together",
                dir, module, r, tensor_rank);
  };

  // Group the saved keys by module path.
  std::set<std::string> modules;
  std::set<std::string> used;
  for (const auto& t : st.tensors()) {
    SWIFT_CHECK(t.name.rfind(kPrefix, 0) == 0, "[tuners] {}: key {} lacks the {} prefix", dir,
                t.name, kPrefix);
    const std::string rest = t.name.substr(kPrefix.size());
    if (ends_with(rest, ".lora_A.weight")) modules.insert(rest.substr(0, rest.size() - 14));
  }

  // target_parameters in config order; nested wrappers: outer (no base_layer) = earliest listed.
  std::vector<std::string> target_params;
  target_params = cfg.target_parameters;
  std::map<std::string, std::vector<std::pair<int, std::string>>>
      wrappers;  // module -> (depth, key)

  for (const auto& key : modules) {
    auto a = get(kPrefix + key + ".lora_A.weight");
    auto b = get(kPrefix + key + ".lora_B.weight");
    used.insert(kPrefix + key + ".lora_A.weight");
    used.insert(kPrefix + key + ".lora_B.weight");
    auto wit = params.find(key + ".weight");
    if (wit != params.end() && wit->second.dim() == 2) {
      const auto& w = wit->second;
      SWIFT_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == w.size(1) &&
                      b.size(0) == w.size(0) && a.size(0) == b.size(1),
                  "[tuners] {}: LoRA tensors of {} have shapes A{} B{} that do not fit weight {}",
                  dir, key, shape_str(a.sizes()), shape_str(b.sizes()), shape_str(w.sizes()));
      LinearLora l;
      l.a = a;
      l.b = b;
      check_rank(key, a.size(0));
      l.scaling = cfg.scaling_for(key);
      if (dora) {
        const std::string mk = kPrefix + key + ".lora_magnitude_vector";
        l.magnitude = get(mk);
        used.insert(mk);
        SWIFT_CHECK(l.magnitude.numel() == w.size(0), "[tuners] {}: {} has {} entries for {} rows",
                    dir, mk, l.magnitude.numel(), w.size(0));
      }
      ad->linear_[key] = l;
      continue;
    }
    std::string base = key;
    int depth = 0;
    while (ends_with(base, ".base_layer")) {
      base = base.substr(0, base.size() - 11);
      ++depth;
    }
    wrappers[base].push_back({depth, key});
  }

  const bool transposed_experts = model.spec().expert_layout == model::ExpertLayout::kGptOss;
  for (auto& [module, list] : wrappers) {
    std::sort(list.begin(), list.end());
    std::set<std::string> taken;
    for (const auto& [depth, key] : list) {
      auto a = st.find(kPrefix + key + ".lora_A.weight");
      auto b = st.find(kPrefix + key + ".lora_B.weight");
      std::string chosen;
      std::int64_t experts = 1, in = 0, out = 0;
      for (const auto& tp : target_params) {
        std::string leaf = tp;
        // "gate.weight" style targets name a parameter of a sub-module.
        std::string name = module + "." + leaf;
        if (taken.count(name)) continue;
        auto pit = params.find(name);
        if (pit == params.end()) continue;
        const auto& w = pit->second;
        std::int64_t e = 1, i = 0, o = 0;
        if (w.dim() == 3) {
          e = w.size(0);
          i = transposed_experts ? w.size(1) : w.size(2);
          o = transposed_experts ? w.size(2) : w.size(1);
        } else if (w.dim() == 2) {
          i = w.size(1);
          o = w.size(0);
        } else {
          continue;
        }
        if (a->shape.size() == 2 && b->shape.size() == 2 && a->shape[1] == i && b->shape[0] == o &&
            a->shape[0] % e == 0 && a->shape[0] == b->shape[1]) {
          chosen = name;
          experts = e;
          in = i;
          out = o;
          break;
        }
      }
      SWIFT_CHECK(!chosen.empty(),
                  "[tuners] {}: cannot match LoRA module {} to a model module or "
                  "target parameter",
                  dir, key);
      (void)in;
      (void)out;
      taken.insert(chosen);
      ParamLora p;
      p.key = key;
      p.a = get(kPrefix + key + ".lora_A.weight");
      p.b = get(kPrefix + key + ".lora_B.weight");
      p.experts = experts;
      p.transposed = transposed_experts && params.at(chosen).dim() == 3;
      check_rank(chosen, p.a.size(0) / experts);
      p.scaling = cfg.scaling_for(chosen);
      ad->params_[chosen] = p;
    }
  }

  // modules_to_save copies are saved under the module's own parameter names.
  for (const auto& t : st.tensors()) {
    if (used.count(t.name)) continue;
    const std::string rest = t.name.substr(kPrefix.size());
    auto pit = params.find(rest);
    SWIFT_CHECK(pit != params.end(), "[tuners] {}: unexpected tensor {}", dir, t.name);
    auto v = get(t.name).to(pit->second.scalar_type());
    SWIFT_CHECK(v.sizes() == pit->second.sizes(),
                "[tuners] {}: {} has shape {} but the model has {}", dir, t.name,
                shape_str(v.sizes()), shape_str(pit->second.sizes()));
    ad->saved_[rest] = v;
  }
  return ad;
}

void LoraAdapter::save(const std::string& dir) const {
  if (!fs::is_dir(dir)) std::filesystem::create_directories(dir);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [module, l] : linear_) {
    tensors.emplace_back(kPrefix + module + ".lora_A.weight", l.a.detach());
    tensors.emplace_back(kPrefix + module + ".lora_B.weight", l.b.detach());
    if (l.magnitude.defined())
      tensors.emplace_back(kPrefix + module + ".lora_magnitude_vector", l.magnitude.detach());
  }
  for (const auto& [name, p] : params_) {
    tensors.emplace_back(kPrefix + p.key + ".lora_A.weight", p.a.detach());
    tensors.emplace_back(kPrefix + p.key + ".lora_B.weight", p.b.detach());
  }
  for (const auto& [name, t] : saved_) tensors.emplace_back(kPrefix + name, t.detach());
  std::sort(tensors.begin(), tensors.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  io::save_tensors(fs::join(dir, "adapter_model.safetensors"), tensors, {{"format", "pt"}});
  fs::write_file_atomic(fs::join(dir, "adapter_config.json"), config_.dump(2));
}

}  // namespace swift::tuners

// LoRA / DoRA runtime maths and merging, following PEFT (tuners/lora/layer.py, dora.py):
//   LoRA:  y = x W^T + b + s * (x A^T) B^T,  s = alpha / r (rsLoRA: alpha / sqrt(r))
//   DoRA:  m' = m / ||W + s B A||_row (detached);  y = base + (m' - 1) * (x W^T) + m' * s * lora
//   Param: W_eff = W + s * einsum(B[o, r, e], A[e, r, i])  per expert (ParamWrapper).
#include "tuners/lora.h"

#include <torch/torch.h>

#include <cmath>
#include <optional>
#include <regex>

#include "core/error.h"
#include "model/causal_lm.h"

namespace swift::tuners {
namespace {

const char* kPrefix = "base_model.model.";

}  // namespace

at::Tensor LoraAdapter::linear(const std::string& module,
                               const at::Tensor& x,
                               const at::Tensor& weight,
                               const at::Tensor& bias,
                               bool training) {
  auto it = linear_.find(module);
  if (it == linear_.end()) return at::Tensor();
  const LinearLora& l = it->second;
  namespace F = torch::nn::functional;
  auto result = F::linear(x, weight, bias);
  const bool drop = training && dropout_ > 0;
  at::Tensor xd = drop ? torch::dropout(x, dropout_, true) : x;
  auto lora = F::linear(F::linear(xd.to(l.a.scalar_type()), l.a), l.b).to(result.scalar_type());
  if (!l.magnitude.defined()) return result + lora * l.scaling;
  // DoRA: the weight norm is a constant for autograd (DoRA paper section 4.3, as PEFT does).
  auto lora_weight = torch::matmul(l.b, l.a).detach();  // [out, in]
  auto norm = torch::linalg_norm(weight + l.scaling * lora_weight.to(weight.scalar_type()), 2,
                                 c10::IntArrayRef{1}, false, c10::nullopt)
                  .detach();
  auto mag = (l.magnitude / norm).view({1, -1});
  // With dropout, PEFT's DoRA recomputes the base output on the dropped input.
  auto base = drop ? F::linear(xd, weight) : (bias.defined() ? result - bias : result);
  return result + (mag - 1) * base + mag * lora * l.scaling;
}

at::Tensor LoraAdapter::delta(const ParamLora& p) const {
  const std::int64_t E = p.experts;
  if (E == 1 && !p.transposed && p.a.dim() == 2) {
    return torch::matmul(p.b, p.a) * p.scaling;  // [out, in]
  }
  const std::int64_t r = p.a.size(0) / E;
  auto a3 = p.a.view({E, r, p.a.size(1)});                     // [E, r, in]
  auto b3 = p.b.view({p.b.size(0), r, E}).permute({2, 0, 1});  // [E, out, r]
  auto d = torch::bmm(b3, a3) * p.scaling;                     // [E, out, in]
  return p.transposed ? d.transpose(1, 2) : d;
}

at::Tensor LoraAdapter::param(const std::string& name, const at::Tensor& value) {
  auto s = saved_.find(name);
  if (s != saved_.end()) return s->second;
  auto it = params_.find(name);
  if (it == params_.end()) return value;
  return value + delta(it->second).to(value.scalar_type());
}

void LoraAdapter::merge_into(model::CausalLM& model) {
  torch::NoGradGuard no_grad;
  for (const auto& [module, l] : linear_) {
    at::Tensor& w = model.parameter(module + ".weight");
    auto d = (torch::matmul(l.b, l.a) * l.scaling).to(w.scalar_type());
    at::Tensor merged;
    if (l.magnitude.defined()) {
      auto norm = torch::linalg_norm(w + d, 2, c10::IntArrayRef{1}, false, c10::nullopt);
      merged = (l.magnitude / norm).view({-1, 1}) * (w + d);
    } else {
      merged = w + d;
    }
    w = merged.detach().clone().set_requires_grad(false);
  }
  for (const auto& [name, p] : params_) {
    at::Tensor& w = model.parameter(name);
    w = (w + delta(p).to(w.scalar_type())).detach().clone();
  }
  for (const auto& [name, t] : saved_) model.parameter(name) = t.detach().clone();
}

std::vector<std::pair<std::string, at::Tensor>> LoraAdapter::named_parameters() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [module, l] : linear_) {
    out.emplace_back(kPrefix + module + ".lora_A.default.weight", l.a);
    out.emplace_back(kPrefix + module + ".lora_B.default.weight", l.b);
    if (l.magnitude.defined())
      out.emplace_back(kPrefix + module + ".lora_magnitude_vector.default.weight", l.magnitude);
  }
  for (const auto& [name, p] : params_) {
    out.emplace_back(kPrefix + p.key + ".lora_A.default.weight", p.a);
    out.emplace_back(kPrefix + p.key + ".lora_B.default.weight", p.b);
  }
  for (const auto& [name, t] : saved_) {
    auto dot = name.rfind('.');
    out.emplace_back(kPrefix + name.substr(0, dot) + ".modules_to_save.default" + name.substr(dot),
                     t);
  }
  return out;
}

void LoraAdapter::set_requires_grad(bool on) {
  for (auto& [n, t] : named_parameters()) {
    at::Tensor tt = t;
    tt.set_requires_grad(on);
  }
}

std::int64_t LoraAdapter::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

std::shared_ptr<LoraAdapter> LoraAdapter::create(const model::CausalLM& model,
                                                 const LoraOptions& o) {
  SWIFT_CHECK(o.r > 0, "[tuners] LoRA rank must be positive, got {}", o.r);
  SWIFT_CHECK(o.dropout >= 0 && o.dropout < 1, "[tuners] lora_dropout must be in [0, 1), got {}",
              o.dropout);
  SWIFT_CHECK(o.bias == "none", "[tuners] --lora_bias {} is not built yet; use --lora_bias none",
              o.bias);
  SWIFT_CHECK(o.init_weights == "true" || o.init_weights == "false" || o.init_weights == "gaussian",
              "[tuners] --init_weights {} is not built yet; use true, false or gaussian "
              "(pissa, olora, loftq, lora-ga, corda, eva are not available)",
              o.init_weights);
  for (const auto& tm : o.target_modules)
    SWIFT_CHECK(tm != "all-embedding" && tm != "all-router",
                "[tuners] --target_modules {} is not built yet; use all-linear or module names",
                tm);
  std::optional<std::regex> target_re;
  if (!o.target_regex.empty()) {
    try {
      target_re.emplace(o.target_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      SWIFT_FAIL("[tuners] --target_regex '{}' is not a valid regular expression ({})",
                 o.target_regex, e.what());
    }
  }
  torch::NoGradGuard no_grad;
  auto ad = std::make_shared<LoraAdapter>();
  auto gen = at::detail::createCPUGenerator(o.seed);
  const bool all_linear = std::find(o.target_modules.begin(), o.target_modules.end(),
                                    "all-linear") != o.target_modules.end();
  std::vector<std::string> targets;
  for (const auto& [name, t] : model.parameters()) {
    const std::string suffix = ".weight";
    if (t.dim() != 2 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string module = name.substr(0, name.size() - suffix.size());
    if (module == "lm_head" || module == "model.embed_tokens" ||
        module.find("norm") != std::string::npos)
      continue;
    bool hit = all_linear && !target_re;
    if (target_re) hit = std::regex_match(module, *target_re);
    for (const auto& tm : target_re ? std::vector<std::string>{} : o.target_modules) {
      if (tm == "all-linear") continue;
      if (module == tm ||
          (module.size() > tm.size() &&
           module.compare(module.size() - tm.size() - 1, tm.size() + 1, "." + tm) == 0))
        hit = true;
    }
    if (hit) targets.push_back(module);
  }
  SWIFT_CHECK(!targets.empty(), "[tuners] no linear module matches {}",
              target_re ? "--target_regex " + o.target_regex : std::string("--target_modules"));
  const double scaling =
      o.use_rslora ? o.alpha / std::sqrt(static_cast<double>(o.r)) : o.alpha / o.r;
  nlohmann::json tm = nlohmann::json::array();
  for (const auto& m : targets) {
    const at::Tensor& w = model.parameter(m + ".weight");
    LinearLora l;
    const double bound =
        1.0 / std::sqrt(static_cast<double>(w.size(1)));  // kaiming_uniform(a=sqrt(5))
    if (o.init_weights == "gaussian") {
      l.a = torch::empty({o.r, w.size(1)}, torch::kFloat32).normal_(0.0, 1.0 / o.r, gen);
    } else {
      l.a = torch::empty({o.r, w.size(1)}, torch::kFloat32).uniform_(-bound, bound, gen);
    }
    if (o.init_weights == "false") {  // nn.Linear's own init for B as well (PEFT leaves it)
      const double bb = 1.0 / std::sqrt(static_cast<double>(o.r));
      l.b = torch::empty({w.size(0), o.r}, torch::kFloat32).uniform_(-bb, bb, gen);
    } else {
      l.b = torch::zeros({w.size(0), o.r}, torch::kFloat32);
    }
    l.scaling = scaling;
    if (o.use_dora)
      l.magnitude =
          torch::linalg_norm(w.to(torch::kFloat32), 2, c10::IntArrayRef{1}, false, c10::nullopt);
    ad->linear_[m] = l;
    tm.push_back(m);
  }
  // modules_to_save: a trainable float32 copy of each parameter of the named modules.
  nlohmann::json mts = nlohmann::json::array();
  for (const auto& name_suffix : o.modules_to_save) {
    bool found = false;
    for (const auto& [name, t] : model.parameters()) {
      auto dot = name.rfind('.');
      if (dot == std::string::npos) continue;
      const std::string module = name.substr(0, dot);
      if (module == name_suffix ||
          (module.size() > name_suffix.size() &&
           module.compare(module.size() - name_suffix.size() - 1, name_suffix.size() + 1,
                          "." + name_suffix) == 0)) {
        ad->saved_[name] = t.detach().to(torch::kFloat32).clone();
        found = true;
      }
    }
    SWIFT_CHECK(found, "[tuners] --modules_to_save {}: no such module in the model", name_suffix);
    mts.push_back(name_suffix);
  }
  ad->dropout_ = o.dropout;
  ad->config_ = {{"peft_type", "LORA"},
                 {"r", o.r},
                 {"lora_alpha", o.alpha},
                 {"lora_dropout", o.dropout},
                 {"target_modules", tm},
                 {"use_dora", o.use_dora},
                 {"use_rslora", o.use_rslora},
                 {"bias", "none"},
                 {"fan_in_fan_out", false},
                 {"init_lora_weights", o.init_weights == "gaussian"
                                           ? nlohmann::json("gaussian")
                                           : nlohmann::json(o.init_weights == "true")},
                 {"rank_pattern", nlohmann::json::object()},
                 {"alpha_pattern", nlohmann::json::object()},
                 {"modules_to_save", mts.empty() ? nlohmann::json() : mts},
                 {"task_type", "CAUSAL_LM"},
                 {"inference_mode", true}};
  return ad;
}

}  // namespace swift::tuners

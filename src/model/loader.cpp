// Weight loading: maps checkpoint tensor names onto the in-memory parameter table (including the
// per-expert -> fused-experts conversion transformers applies to MoE checkpoints), converts
// dtypes, and rejects missing, unexpected and mis-shaped tensors by name.
#include <ATen/Parallel.h>

#include <torch/torch.h>

#include <cstdlib>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"

namespace swift::model {
namespace {

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

at::ScalarType parse_dtype(const std::string& s) {
  if (s == "float32" || s == "fp32" || s == "auto") return torch::kFloat32;
  if (s == "bfloat16" || s == "bf16") return torch::kBFloat16;
  if (s == "float16" || s == "fp16") return torch::kFloat16;
  SWIFT_FAIL("[model] unknown dtype '{}'; use float32, bfloat16 or float16", s);
}

}  // namespace

void check_cpu_compute_dtype(const std::string& name) {
  const at::ScalarType dtype = parse_dtype(name);
  if (dtype != torch::kFloat16) return;
  try {
    auto a = torch::ones({2, 2}, torch::TensorOptions().dtype(dtype));
    (void)torch::matmul(a, a).softmax(-1).sum().item<float>();
  } catch (const std::exception&) {
    SWIFT_FAIL(
        "[model] --torch_dtype float16 does not run on the CPU with this libtorch (no "
        "half-precision matmul); use bfloat16 (the same memory) or float32");
  }
}

namespace {

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

class Loader {
 public:
  Loader(const std::string& dir, const ArchSpec& spec, at::ScalarType dtype)
      : dir_(dir), spec_(spec), st_(dir), dtype_(dtype) {}

  at::Tensor take(const std::string& name) {
    auto* ref = st_.find(name);
    if (!ref) return at::Tensor();
    used_.insert(name);
    auto t = io::to_tensor(*ref->file, *ref->info);
    SWIFT_CHECK(t.is_floating_point(), "[model] tensor {} in {} has non-float dtype {}", name, dir_,
                io::dtype_name(ref->info->dtype));
    return t.to(dtype_);
  }

  // experts.gate_up_proj / experts.down_proj from per-expert linears of the checkpoint.
  at::Tensor fused_experts(const std::string& name, std::int64_t num_experts) {
    const bool gate_up = ends_with(name, "experts.gate_up_proj");
    const bool down = ends_with(name, "experts.down_proj");
    if (!(gate_up || down) || spec_.expert_layout != ExpertLayout::kGateUpRows) return at::Tensor();
    std::string base = name.substr(0, name.rfind("mlp.experts."));
    base += spec_.ckpt_moe_module + ".experts.";
    std::vector<at::Tensor> per;
    for (std::int64_t e = 0; e < num_experts; ++e) {
      const std::string pe = base + std::to_string(e) + ".";
      if (gate_up) {
        auto g = take(pe + spec_.ckpt_gate + ".weight"), u = take(pe + spec_.ckpt_up + ".weight");
        if (!g.defined() || !u.defined()) return at::Tensor();
        per.push_back(torch::cat({g, u}, 0));  // [2I, H]
      } else {
        auto d = take(pe + spec_.ckpt_down + ".weight");
        if (!d.defined()) return at::Tensor();
        per.push_back(d);  // [H, I]
      }
    }
    return torch::stack(per, 0);
  }

  at::Tensor renamed(const std::string& name) {
    if (spec_.ckpt_moe_module == "mlp") return at::Tensor();
    auto pos = name.find(".mlp.");
    if (pos == std::string::npos) return at::Tensor();
    return take(name.substr(0, pos) + "." + spec_.ckpt_moe_module + "." + name.substr(pos + 5));
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> out;
    for (const auto& n : st_.names())
      if (!used_.count(n) && !ends_with(n, "rotary_emb.inv_freq")) out.push_back(n);
    return out;
  }
  void mark_used(const std::string& n) { used_.insert(n); }

 private:
  std::string dir_;
  const ArchSpec& spec_;
  io::SafetensorsModel st_;
  at::ScalarType dtype_;
  std::set<std::string> used_;
};

}  // namespace

ModelConfig resolve_config(const std::string& dir, const ArchSpec** spec_out) {
  ModelConfig cfg = load_model_config(dir);
  const ArchSpec* spec = find_arch(cfg);
  if (!spec) {
    std::string list;
    for (const auto& a : supported_architectures()) list += (list.empty() ? "" : ", ") + a;
    SWIFT_FAIL("[model] {}: architecture '{}' (model_type '{}') is not supported; supported: {}",
               dir, cfg.architecture, cfg.model_type, list);
  }
  if (spec->configure) spec->configure(cfg);
  if (spec_out) *spec_out = spec;
  return cfg;
}

int configure_cpu_threads() {
  int n = 1;
  for (const char* var : {"SWIFT_NUM_THREADS", "OMP_NUM_THREADS"}) {
    const char* v = std::getenv(var);
    if (v && *v) {
      n = std::max(1, std::atoi(v));
      break;
    }
  }
  at::set_num_threads(n);
  return n;
}

std::unique_ptr<CausalLM> load_causal_lm(const std::string& dir, const LoadOptions& options) {
  const ArchSpec* spec = nullptr;
  ModelConfig cfg = resolve_config(dir, &spec);
  auto model = std::make_unique<CausalLM>(std::move(cfg), *spec);
  Loader loader(dir, *spec, parse_dtype(options.dtype));
  auto& params = model->parameters();
  for (const auto& ps : model->expected_parameters()) {
    at::Tensor t = loader.take(ps.name);
    if (!t.defined()) t = loader.fused_experts(ps.name, model->config().num_experts);
    if (!t.defined()) t = loader.renamed(ps.name);
    SWIFT_CHECK(t.defined(),
                "[model] {}: missing tensor {} (shape {}); the checkpoint does not "
                "match config.json",
                dir, ps.name, shape_str(ps.shape));
    SWIFT_CHECK(t.sizes().vec() == ps.shape,
                "[model] {}: tensor {} has shape {} but config.json implies {}", dir, ps.name,
                shape_str(t.sizes().vec()), shape_str(ps.shape));
    params[ps.name] = t.contiguous();
  }
  if (model->config().tie_word_embeddings) loader.mark_used("lm_head.weight");
  auto extra = loader.unused();
  SWIFT_CHECK(extra.empty(),
              "[model] {}: unexpected tensor {} ({} unexpected in all); the "
              "checkpoint does not match config.json",
              dir, extra.empty() ? "" : extra[0], extra.size());
  model->set_requires_grad(options.requires_grad);
  return model;
}

}  // namespace swift::model

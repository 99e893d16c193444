// `swift-parity model DIR...`: checks a model folder against the Hugging Face goldens next to it
// (golden.safetensors; adapter/ + golden_lora.safetensors; dora/ + golden_dora.safetensors):
// logits, padded logits at valid positions, greedy ids, loss, every grad.*, merged_logits.
// One line per check: `<dir> <check> max_abs_err=<x> tol=<t> PASS|FAIL`; exit 0 iff all pass.
#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <string>

#include "common/subtool.h"
#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"
#include "tuners/lora.h"

namespace {

using swift::model::CausalLM;

struct Golden {
  std::unique_ptr<swift::io::SafetensorsFile> file;
  at::Tensor get(const std::string& name) const {
    const auto* info = file->find(name);
    return info ? swift::io::to_tensor(*file, *info) : at::Tensor();
  }
};

class Checker {
 public:
  explicit Checker(std::string dir) : dir_(std::move(dir)) {}
  bool ok() const { return ok_; }

  void line(const std::string& check, double err, const std::string& tol, bool pass) {
    std::printf("%s %s max_abs_err=%.3g tol=%s %s\n", dir_.c_str(), check.c_str(), err, tol.c_str(),
                pass ? "PASS" : "FAIL");
    std::fflush(stdout);
    ok_ = ok_ && pass;
  }
  void fail(const std::string& check, const std::string& why) {
    std::printf("%s %s max_abs_err=nan tol=- FAIL (%s)\n", dir_.c_str(), check.c_str(),
                why.c_str());
    std::fflush(stdout);
    ok_ = false;
  }
  void missing(const std::string& check) {
    std::printf("%s %s skipped (not in golden)\n", dir_.c_str(), check.c_str());
  }
  // |a - b| <= 1e-4 + 1e-4 |b| everywhere (optionally where mask).
  void logits(const std::string& check, at::Tensor got, at::Tensor ref, at::Tensor mask = {}) {
    got = got.to(torch::kFloat32);
    ref = ref.to(torch::kFloat32);
    if (got.sizes() != ref.sizes()) return fail(check, "shape mismatch");
    auto diff = (got - ref).abs();
    auto bound = 1e-4 + 1e-4 * ref.abs();
    auto bad = diff > bound;
    if (mask.defined()) {
      auto m = mask.to(torch::kBool).unsqueeze(-1).expand_as(diff);
      diff = diff.masked_fill(m.logical_not(), 0);
      bad = bad.logical_and(m);
    }
    line(check, diff.max().item<double>(), "1e-4+1e-4rel", !bad.any().item<bool>());
  }
  void grad(const std::string& check, const at::Tensor& got, const at::Tensor& ref) {
    if (!got.defined()) return fail(check, "no gradient");
    if (got.sizes() != ref.sizes()) return fail(check, "shape mismatch");
    double scale = ref.abs().max().item<double>();
    double err = (got.to(torch::kFloat32) - ref.to(torch::kFloat32)).abs().max().item<double>();
    char tol[64];
    std::snprintf(tol, sizeof tol, "%.3g", 1e-3 * scale);
    line(check, err, tol, err <= 1e-3 * scale);
  }

 private:
  std::string dir_;
  bool ok_ = true;
};

// Runs the golden checks of one (model, adapter) setup: inputs from `in` (golden.safetensors),
// expected outputs from `out`. `prefix` names the checks ("", "lora/", "dora/").
void run_checks(Checker& ck,
                CausalLM& lm,
                const Golden& in,
                const Golden& out,
                const std::string& prefix,
                swift::tuners::LoraAdapter* adapter) {
  at::Tensor input_ids = in.get("input_ids");
  if (!input_ids.defined()) {
    ck.missing(prefix + "input_ids");
    return;
  }
  const std::int64_t B = input_ids.size(0), S = input_ids.size(1);
  auto batch = swift::model::pack_rows(input_ids);
  swift::model::ForwardContext ctx;
  ctx.adapters = adapter;
  if (auto ref = out.get("logits"); ref.defined()) {
    torch::NoGradGuard ng;
    ck.logits(prefix + "logits", lm.forward(batch, ctx).reshape({B, S, -1}), ref);
  } else {
    ck.missing(prefix + "logits");
  }
  auto pad = in.get("input_ids_padded"), mask = in.get("attention_mask_padded"),
       pos = in.get("position_ids_padded"), ref_pad = out.get("logits_padded");
  if (pad.defined() && mask.defined() && ref_pad.defined()) {
    torch::NoGradGuard ng;
    auto pb = swift::model::pack_padded(pad, mask, pos);
    auto got = swift::model::unpack_padded(lm.forward(pb, ctx), mask);
    ck.logits(prefix + "logits_padded", got, ref_pad, mask);
  } else {
    ck.missing(prefix + "logits_padded");
  }
  if (auto ref = out.get("greedy_ids"); ref.defined()) {
    auto row = input_ids[0].to(torch::kInt64).contiguous();
    std::vector<std::int64_t> prompt(row.data_ptr<std::int64_t>(),
                                     row.data_ptr<std::int64_t>() + S);
    auto got = lm.generate_greedy(prompt, ref.numel(), -1, adapter);
    auto ref_v = ref.to(torch::kInt64).contiguous();
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < ref.numel(); ++i)
      wrong +=
          (i >= static_cast<std::int64_t>(got.size()) || got[i] != ref_v[i].item<std::int64_t>());
    ck.line(prefix + "greedy_ids", static_cast<double>(wrong), "exact", wrong == 0);
  } else {
    ck.missing(prefix + "greedy_ids");
  }
  auto labels = in.get("labels"), ref_loss = out.get("loss");
  if (!labels.defined() || !ref_loss.defined()) return ck.missing(prefix + "loss");
  lm.set_requires_grad(adapter == nullptr);
  if (adapter) adapter->set_requires_grad(true);
  auto logits = lm.forward(batch, ctx);
  auto loss = swift::model::causal_lm_loss(logits, labels.reshape({-1}), batch.cu_seqlens);
  double l = loss.item<double>(), r = ref_loss.item<double>();
  ck.line(prefix + "loss", std::abs(l - r), "1e-5rel", std::abs(l - r) <= 1e-5 * std::abs(r));
  loss.backward();
  std::map<std::string, at::Tensor> named;
  if (adapter) {
    for (auto& [n, t] : adapter->named_parameters()) named[n] = t;
  } else {
    for (auto& [n, t] : lm.parameters()) named[n] = t;
  }
  for (const auto& t : out.file->tensors()) {
    if (t.name.rfind("grad.", 0) != 0) continue;
    auto it = named.find(t.name.substr(5));
    if (it == named.end()) {
      ck.fail(prefix + t.name, "no such parameter");
      continue;
    }
    ck.grad(prefix + t.name, it->second.grad(), swift::io::to_tensor(*out.file, t));
  }
  lm.set_requires_grad(false);
  if (adapter) adapter->set_requires_grad(false);
}

Golden open_golden(const std::string& path) {
  return Golden{std::make_unique<swift::io::SafetensorsFile>(path)};
}

void check_adapter(Checker& ck,
                   const std::string& dir,
                   const Golden& in,
                   const std::string& sub,
                   const std::string& golden_name,
                   const std::string& prefix) {
  const std::string ad_dir = swift::fs::join(dir, sub);
  const std::string gpath = swift::fs::join(dir, golden_name);
  if (!swift::fs::is_dir(ad_dir) || !swift::fs::is_file(gpath)) return;
  try {
    Golden out = open_golden(gpath);
    auto lm = swift::model::load_causal_lm(dir);
    auto adapter = swift::tuners::LoraAdapter::load(ad_dir, *lm);
    run_checks(ck, *lm, in, out, prefix, adapter.get());
    if (auto ref = out.get("merged_logits"); ref.defined()) {
      auto ids = in.get("input_ids");
      adapter->merge_into(*lm);
      torch::NoGradGuard ng;
      auto got = lm->forward(swift::model::pack_rows(ids)).reshape({ids.size(0), ids.size(1), -1});
      ck.logits(prefix + "merged_logits", got, ref);
    } else {
      ck.missing(prefix + "merged_logits");
    }
  } catch (const std::exception& e) {
    ck.fail(prefix + "load", e.what());
  }
}

int check_dir(const std::string& dir) {
  Checker ck(dir);
  try {
    Golden in = open_golden(swift::fs::join(dir, "golden.safetensors"));
    auto lm = swift::model::load_causal_lm(dir);
    run_checks(ck, *lm, in, in, "", nullptr);
    check_adapter(ck, dir, in, "adapter", "golden_lora.safetensors", "lora/");
    check_adapter(ck, dir, in, "dora", "golden_dora.safetensors", "dora/");
  } catch (const std::exception& e) {
    ck.fail("load", e.what());
  }
  return ck.ok() ? 0 : 1;
}

swift::tools::RegisterMode reg(
    "model",
    "model DIR...: logits/padded/greedy/loss/grads (+LoRA, DoRA) vs HF goldens",
    [](int argc, char** argv) -> int {
      if (argc < 2) {
        std::fprintf(stderr, "usage: swift-parity model DIR...\n");
        return 2;
      }
      int rc = 0;
      for (int i = 1; i < argc; ++i) rc |= check_dir(argv[i]);
      return rc;
    });

}  // namespace

// Reference attention; the order of operations follows transformers' eager path (scale, soft-cap,
// mask, [sinks], softmax in float32).
#include "nn/attention.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>

// scaled_dot_product_attention with an explicit scale exists from torch 2.1.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define SWIFT_HAS_SDPA 1
#else
#define SWIFT_HAS_SDPA 0
#endif

namespace swift::nn {

namespace {

bool sdpa_allowed() {
  static const bool allowed = [] {
    const char* v = std::getenv("SWIFT_ATTN_BACKEND");
    return v == nullptr || std::strcmp(v, "reference") != 0;
  }();
  return allowed;
}

}  // namespace

bool sdpa_compiled() {
#if SWIFT_HAS_SDPA
  return true;
#else
  return false;
#endif
}

AttentionBackend attention_backend(const AttentionOptions& opt) {
  if (sdpa_compiled() && sdpa_allowed() && !opt.sinks.defined() && opt.softcap == 0.0) {
    return AttentionBackend::kSdpa;
  }
  return AttentionBackend::kReference;
}

at::Tensor attention(const at::Tensor& q,
                     const at::Tensor& k,
                     const at::Tensor& v,
                     std::int64_t q_offset,
                     const AttentionOptions& opt) {
#if SWIFT_HAS_SDPA
  if (attention_backend(opt) == AttentionBackend::kSdpa) {
    const std::int64_t lq = q.size(0), heads = q.size(1);
    const std::int64_t lk = k.size(0), kv_heads = k.size(1);
    TORCH_CHECK(heads % kv_heads == 0, "attention: heads not a multiple of kv heads");
    const std::int64_t rep = heads / kv_heads;
    auto expand = [&](const at::Tensor& t) {  // [Lk, KVH, D] -> [1, H, Lk, D]
      auto e = rep == 1 ? t
                        : t.unsqueeze(2)
                              .expand({lk, kv_heads, rep, t.size(2)})
                              .reshape({lk, heads, t.size(2)});
      return e.transpose(0, 1).unsqueeze(0);
    };
    auto qh = q.transpose(0, 1).unsqueeze(0);  // [1, H, Lq, Dk]
    at::Tensor out;
    if (q_offset == 0 && lq == lk && opt.window == 0) {
      out = at::scaled_dot_product_attention(qh, expand(k), expand(v), {}, 0.0,
                                             /*is_causal=*/true, opt.scale);
    } else {
      auto qi = torch::arange(q_offset, q_offset + lq, torch::kInt64).unsqueeze(1);  // [Lq, 1]
      auto kj = torch::arange(0, lk, torch::kInt64).unsqueeze(0);                    // [1, Lk]
      auto allowed = kj <= qi;
      if (opt.window > 0) allowed = allowed.logical_and((qi - kj) < opt.window);
      out = at::scaled_dot_product_attention(qh, expand(k), expand(v), allowed.to(q.device()), 0.0,
                                             /*is_causal=*/false, opt.scale);
    }
    return out.squeeze(0).transpose(0, 1);  // [Lq, H, Dv]
  }
#endif
  return attention_reference(q, k, v, q_offset, opt);
}

at::Tensor attention_reference(const at::Tensor& q,
                               const at::Tensor& k,
                               const at::Tensor& v,
                               std::int64_t q_offset,
                               const AttentionOptions& opt) {
  const std::int64_t lq = q.size(0), heads = q.size(1);
  const std::int64_t lk = k.size(0), kv_heads = k.size(1);
  TORCH_CHECK(heads % kv_heads == 0, "attention: heads not a multiple of kv heads");
  const std::int64_t rep = heads / kv_heads;
  auto expand = [&](const at::Tensor& t) {  // [Lk, KVH, D] -> [H, Lk, D]
    auto e =
        rep == 1
            ? t
            : t.unsqueeze(2).expand({lk, kv_heads, rep, t.size(2)}).reshape({lk, heads, t.size(2)});
    return e.transpose(0, 1);
  };
  auto qh = q.transpose(0, 1);                                      // [H, Lq, Dk]
  auto kh = expand(k), vh = expand(v);                              // [H, Lk, D]
  auto scores = torch::matmul(qh, kh.transpose(1, 2)) * opt.scale;  // [H, Lq, Lk]
  if (opt.softcap > 0) scores = torch::tanh(scores / opt.softcap) * opt.softcap;
  auto qi = torch::arange(q_offset, q_offset + lq, torch::kInt64).unsqueeze(1);  // [Lq, 1]
  auto kj = torch::arange(0, lk, torch::kInt64).unsqueeze(0);                    // [1, Lk]
  auto allowed = kj <= qi;
  if (opt.window > 0) allowed = allowed.logical_and((qi - kj) < opt.window);
  scores = scores.masked_fill(allowed.logical_not().to(scores.device()).unsqueeze(0),
                              -std::numeric_limits<float>::infinity());
  at::Tensor probs;
  if (opt.sinks.defined()) {
    auto sink = opt.sinks.to(scores.scalar_type()).view({heads, 1, 1}).expand({heads, lq, 1});
    auto combined = torch::cat({scores, sink}, -1);
    combined = combined - std::get<0>(combined.max(-1, true));
    probs = torch::softmax(combined, -1).narrow(-1, 0, lk);
  } else {
    probs = torch::softmax(scores.to(torch::kFloat32), -1).to(q.scalar_type());
  }
  return torch::matmul(probs, vh).transpose(0, 1);  // [Lq, H, Dv]
}

}  // namespace swift::nn

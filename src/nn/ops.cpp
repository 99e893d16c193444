// Norms, activations and soft-capping; see ops.h.
#include "nn/ops.h"

#include <torch/torch.h>

namespace swift::nn {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma_style) {
  auto xf = x.to(torch::kFloat32);
  auto var = xf.pow(2).mean(-1, /*keepdim=*/true);
  auto normed = xf * torch::rsqrt(var + eps);
  if (gemma_style) return (normed * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

at::Tensor activation(const at::Tensor& x, Act act) {
  switch (act) {
    case Act::kSilu:
      return torch::silu(x);
    case Act::kGeluTanh:
      return torch::gelu(x, "tanh");
  }
  return x;
}

at::Tensor soft_cap(const at::Tensor& x, double cap) {
  return torch::tanh(x / cap) * cap;
}

}  // namespace swift::nn

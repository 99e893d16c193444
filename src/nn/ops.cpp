// Norms, activations and soft-capping; see ops.h.
#include "nn/ops.h"

#include <torch/torch.h>

#include <utility>

namespace swift::nn {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps, bool gemma_style) {
  auto xf = x.to(torch::kFloat32);
  auto var = xf.pow(2).mean(-1, /*keepdim=*/true);
  auto normed = xf * torch::rsqrt(var + eps);
  if (gemma_style) return (normed * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

namespace {

const std::pair<const char*, Act> kActivations[] = {
    {"silu", Act::kSilu},
    {"swish", Act::kSilu},
    {"gelu_pytorch_tanh", Act::kGeluTanh},
    {"gelu_tanh", Act::kGeluTanh},
    {"gelu_new", Act::kGeluTanh},
    {"gelu_fast", Act::kGeluTanh},
    {"gelu_accurate", Act::kGeluTanh},
    {"gelu", Act::kGelu},
    {"gelu_python", Act::kGelu},
    {"quick_gelu", Act::kQuickGelu},
    {"relu", Act::kRelu},
    {"relu2", Act::kRelu2},
    {"relu6", Act::kRelu6},
    {"leaky_relu", Act::kLeakyRelu},
    {"sigmoid", Act::kSigmoid},
    {"tanh", Act::kTanh},
    {"mish", Act::kMish},
    {"linear", Act::kLinear},
};

}  // namespace

bool parse_activation(const std::string& name, Act* out) {
  for (const auto& [n, a] : kActivations) {
    if (name == n) {
      *out = a;
      return true;
    }
  }
  return false;
}

std::string activation_names() {
  std::string out;
  for (const auto& [n, a] : kActivations) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

at::Tensor activation(const at::Tensor& x, Act act) {
  switch (act) {
    case Act::kSilu:
      return torch::silu(x);
    case Act::kGeluTanh:
      return torch::gelu(x, "tanh");
    case Act::kGelu:
      return torch::gelu(x);
    case Act::kQuickGelu:
      return x * torch::sigmoid(1.702 * x);
    case Act::kRelu:
      return torch::relu(x);
    case Act::kRelu2:
      return torch::relu(x).square();
    case Act::kRelu6:
      return torch::clamp(x, 0.0, 6.0);
    case Act::kLeakyRelu:
      return torch::leaky_relu(x, 0.01);
    case Act::kSigmoid:
      return torch::sigmoid(x);
    case Act::kTanh:
      return torch::tanh(x);
    case Act::kMish:
      return x * torch::tanh(torch::softplus(x));
    case Act::kLinear:
      return x;
  }
  return x;
}

at::Tensor soft_cap(const at::Tensor& x, double cap) {
  return torch::tanh(x / cap) * cap;
}

}  // namespace swift::nn

// Activation names from config.json (hidden_act) and the enum the decoder runs; no libtorch here
// so config code can check a name without the tensor headers.
#pragma once

#include <string>

namespace swift::nn {

// The activations of transformers' ACT2FN that decoder configs use, each computed as transformers
// computes it. A config naming any other is refused (parse_activation false), never run as SiLU.
enum class Act {
  kSilu,       // silu, swish
  kGeluTanh,   // gelu_pytorch_tanh, gelu_new, gelu_fast, gelu_accurate (the tanh approximation)
  kGelu,       // gelu, gelu_python (exact, erf)
  kQuickGelu,  // x * sigmoid(1.702 x)
  kRelu,
  kRelu2,  // relu(x)^2
  kRelu6,
  kLeakyRelu,  // slope 0.01
  kSigmoid,
  kTanh,
  kMish,
  kLinear,  // identity
};
bool parse_activation(const std::string& name, Act* out);
// "silu, swish, gelu, ..." for messages.
std::string activation_names();

}  // namespace swift::nn

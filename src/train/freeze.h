// Which parameters full fine-tuning trains (ms-swift's --freeze_parameters_ratio,
// --freeze_parameters, --freeze_parameters_regex, then --trainable_parameters and
// --trainable_parameters_regex, applied in that order as its freeze_parameters /
// activate_parameters do). The ratio counts parameters in the order transformers registers them
// (model.parameters()), so names are first put in that order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swift::train {

struct FreezeOptions {
  double ratio = 0.0;  // freeze the first ratio of all parameter elements (bottom layers first)
  std::vector<std::string> freeze_prefixes;
  std::optional<std::string> freeze_regex;  // re.search on the name
  std::vector<std::string> trainable_prefixes;
  std::optional<std::string> trainable_regex;
  bool any() const {
    return ratio > 0 || !freeze_prefixes.empty() || freeze_regex || !trainable_prefixes.empty() ||
           trainable_regex;
  }
};

// `names` (checkpoint names of a decoder, as our model lists them) put in transformers'
// registration order: embeddings, each layer's attention (sinks first; o_proj before a fused
// qkv_proj), MLP (experts before the router where `router_after_experts`, the arch row's
// flag), norms, then the final norm and lm_head. Returns indices into `names`.
std::vector<std::size_t> hf_parameter_order(const std::vector<std::string>& names,
                                            bool router_after_experts = false);

// Trainable flags for `names` given in transformers' order with their element counts. Throws
// swift::Error on an invalid regex or a ratio outside [0, 1]. `warning` (if set) receives
// ms-swift's note when --trainable_parameters matched nothing.
std::vector<bool> trainable_after_freeze(const std::vector<std::string>& names,
                                         const std::vector<std::int64_t>& numels,
                                         const FreezeOptions& options,
                                         std::string* warning = nullptr);

}  // namespace swift::train

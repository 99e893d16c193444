// Full fine-tuning's freeze rules (freeze.h), as ms-swift 4.6 applies them.
#include "train/freeze.h"

#include <algorithm>
#include <numeric>
#include <regex>
#include <tuple>

#include "core/error.h"

namespace swift::train {
namespace {

// Norms of a decoder layer in the order transformers' decoder layers register them.
int norm_rank(const std::string& rest) {
  static const char* const kOrder[] = {"input_layernorm.",           "post_attention_layernorm.",
                                       "pre_feedforward_layernorm.", "post_feedforward_layernorm.",
                                       "post_self_attn_layernorm.",  "post_mlp_layernorm."};
  for (int i = 0; i < 6; ++i)
    if (rest.rfind(kOrder[i], 0) == 0) return i;
  return 6;
}

// (block, layer, part, sub, input index): block 0 embeddings, 1 layers, 2 final norm, 3 others
// (lm_head last); part 0 attention, 1 MLP / MoE, 2 norms.
using Key = std::tuple<int, long long, int, int, std::size_t>;

struct Hints {
  bool fused_qkv = false;
  bool router_after_experts = false;
};

int attention_rank(const std::string& rest, const Hints& h) {
  if (rest.rfind("self_attn.sinks", 0) == 0) return 0;
  if (h.fused_qkv && rest.rfind("self_attn.o_proj.", 0) == 0) return 1;
  return 2;
}

int mlp_rank(const std::string& rest, const Hints& h) {
  if (!h.router_after_experts) return 0;
  if (rest.rfind("mlp.experts.", 0) == 0) return 0;
  if (rest.rfind("mlp.gate.", 0) == 0 || rest.rfind("mlp.router.", 0) == 0) return 1;
  return 2;
}

Key key_of(const std::string& n, std::size_t i, const Hints& h) {
  const std::string layers = "model.layers.";
  if (n.rfind("model.embed_tokens.", 0) == 0) return {0, 0, 0, 0, i};
  if (n.rfind(layers, 0) == 0) {
    const std::size_t dot = n.find('.', layers.size());
    if (dot != std::string::npos) {
      long long layer = 0;
      try {
        layer = std::stoll(n.substr(layers.size(), dot - layers.size()));
      } catch (const std::exception&) {
        return {3, 0, 0, 0, i};
      }
      const std::string rest = n.substr(dot + 1);
      if (rest.rfind("self_attn.", 0) == 0) return {1, layer, 0, attention_rank(rest, h), i};
      if (rest.rfind("mlp.", 0) == 0 || rest.rfind("block_sparse_moe.", 0) == 0)
        return {1, layer, 1, mlp_rank(rest, h), i};
      return {1, layer, 2, norm_rank(rest), i};
    }
  }
  if (n.rfind("model.", 0) == 0) return {2, 0, 0, 0, i};
  return {3, 0, 0, 0, i};
}

std::regex compile(const std::string& pattern, const char* flag) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    SWIFT_FAIL("[args] {} '{}' is not a valid regular expression ({}); fix the pattern", flag,
               pattern, e.what());
  }
}

bool has_prefix(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const auto& p : prefixes)
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

}  // namespace

std::vector<std::size_t> hf_parameter_order(const std::vector<std::string>& names,
                                            bool router_after_experts) {
  Hints h;
  h.router_after_experts = router_after_experts;
  for (const auto& n : names)
    h.fused_qkv = h.fused_qkv || n.find(".self_attn.qkv_proj.") != std::string::npos;
  std::vector<Key> keys;
  keys.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) keys.push_back(key_of(names[i], i, h));
  std::vector<std::size_t> idx(names.size());
  std::iota(idx.begin(), idx.end(), std::size_t{0});
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  return idx;
}

std::vector<bool> trainable_after_freeze(const std::vector<std::string>& names,
                                         const std::vector<std::int64_t>& numels,
                                         const FreezeOptions& o,
                                         std::string* warning) {
  SWIFT_CHECK(names.size() == numels.size(), "[train] freeze: {} names but {} sizes", names.size(),
              numels.size());
  SWIFT_CHECK(o.ratio >= 0.0 && o.ratio <= 1.0,
              "[args] --freeze_parameters_ratio must be within [0, 1], got {}", o.ratio);
  std::vector<bool> trainable(names.size(), true);
  if (o.ratio > 0) {
    // int(sum * ratio) elements; every parameter whose running total stays within it freezes
    // (bisect_right over the cumulative sums).
    long double total = 0;
    for (auto n : numels) total += static_cast<long double>(n);
    const auto budget = static_cast<std::int64_t>(total * static_cast<long double>(o.ratio));
    std::int64_t cum = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      cum += numels[i];
      if (cum > budget) break;
      trainable[i] = false;
    }
  }
  for (std::size_t i = 0; i < names.size(); ++i)
    if (has_prefix(names[i], o.freeze_prefixes)) trainable[i] = false;
  if (o.freeze_regex) {
    const std::regex re = compile(*o.freeze_regex, "--freeze_parameters_regex");
    for (std::size_t i = 0; i < names.size(); ++i)
      if (std::regex_search(names[i], re)) trainable[i] = false;
  }
  if (!o.trainable_prefixes.empty()) {
    bool any = false;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (has_prefix(names[i], o.trainable_prefixes)) trainable[i] = any = true;
    if (!any && warning)
      *warning = "--trainable_parameters matched no parameter; nothing was activated";
  }
  if (o.trainable_regex) {
    const std::regex re = compile(*o.trainable_regex, "--trainable_parameters_regex");
    for (std::size_t i = 0; i < names.size(); ++i)
      if (std::regex_search(names[i], re)) trainable[i] = true;
  }
  return trainable;
}

}  // namespace swift::train

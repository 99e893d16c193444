// ms-swift's --loss_scale: a base strategy (default | last_round | all) and optional modifiers
// chained with '+' (ignore_empty_think, ignore_think_prefix, hermes, react, qwen) that split an
// answer into pieces with weights; chained weights multiply.
//
//   LossScaleSpec s = parse_loss_scale("last_round+hermes");
//   for (auto& [text, w] : apply_loss_scale(s, answer)) ...
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace swift::tmpl {

struct LossScaleSpec {
  std::string base = "default";
  std::vector<std::string> modifiers;
  bool binary = true;  // every weight a modifier can give is 0 or 1
};

// Throws swift::Error naming the known strategies and modifiers.
LossScaleSpec parse_loss_scale(const std::string& loss_scale);

// The pieces of `text` with their weights (concatenated they give `text`).
std::vector<std::pair<std::string, float>> apply_loss_scale(const LossScaleSpec& spec,
                                                            const std::string& text);

}  // namespace swift::tmpl

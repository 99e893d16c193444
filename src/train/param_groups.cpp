// The HF Trainer's weight-decay rule (see param_groups.h), written as plain matchers for its
// patterns r"bias", r"layernorm", r"rmsnorm", r"(?:^|\.)norm(?:$|\.)" and r"_norm(?:$|\.)".
// Transformers applies them to every dotted suffix of the name while walking the module tree;
// each pattern matches a suffix only where it matches the full name, so the full name suffices.
#include "train/param_groups.h"

#include <cctype>
#include <string>

namespace swift::train {

bool weight_decay_applies(std::string_view parameter_name) {
  std::string n(parameter_name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n.find("bias") != std::string::npos || n.find("layernorm") != std::string::npos ||
      n.find("rmsnorm") != std::string::npos)
    return false;
  auto ends_component = [&](std::size_t end) { return end == n.size() || n[end] == '.'; };
  for (std::size_t at = n.find("norm"); at != std::string::npos; at = n.find("norm", at + 1)) {
    const std::size_t end = at + 4;
    if (!ends_component(end)) continue;
    if (at == 0 || n[at - 1] == '.' || n[at - 1] == '_') return false;  // "norm", "q_norm"
  }
  return true;
}

}  // namespace swift::train

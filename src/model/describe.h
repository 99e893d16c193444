// A JSON summary of a model folder and optional adapter folders, for `swift inspect`: the
// architecture, parameter counts (from the safetensors headers, no weights read) and, per adapter,
// its type, rank, alpha, targets and trainable parameter count.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace swift::model {

nlohmann::json describe_model(const std::string& dir, const std::vector<std::string>& adapters);

}  // namespace swift::model

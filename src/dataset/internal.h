// Shared between the dataset translation units; not part of the public API.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace swift::dataset {

enum class Format { kMessages, kAlpaca, kResponse };

Format detect_format(const std::vector<nlohmann::ordered_json>& rows,
                     const nlohmann::ordered_json& columns);
std::string normalize_row_as(nlohmann::ordered_json raw,
                             Format format,
                             const nlohmann::ordered_json& columns,
                             nlohmann::ordered_json* out);

}  // namespace swift::dataset

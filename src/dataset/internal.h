// Shared between the dataset translation units; not part of the public API.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace swift::dataset {

enum class Format { kMessages, kAlpaca, kResponse };

Format detect_format(const std::vector<nlohmann::json>& rows, const nlohmann::json& columns);
std::string normalize_row_as(const nlohmann::json& raw,
                             Format format,
                             const nlohmann::json& columns,
                             nlohmann::json* out);

}  // namespace swift::dataset

// Small string helpers used across components.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace swift::str {

bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string lower(std::string_view s);
std::string trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" when none is reasonably close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace swift::str

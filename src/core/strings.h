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

// JSON text from users (dataset rows, request bodies, tool calls) may nest without bound.
// nlohmann parses and frees such input iteratively but copies it recursively, so deep input
// must be refused before it is parsed: json_nesting() is the deepest [ / { nesting outside
// strings, counted up to limit + 1 (linear, no allocation).
constexpr std::size_t kMaxJsonNesting = 512;
std::size_t json_nesting(std::string_view text, std::size_t limit = kMaxJsonNesting);
inline bool json_nesting_ok(std::string_view text) {
  return json_nesting(text) <= kMaxJsonNesting;
}

// Offset of the first byte that does not start or continue a well-formed UTF-8 sequence
// (RFC 3629: no overlongs, surrogates or code points past U+10FFFF), or npos.
std::size_t utf8_error_offset(std::string_view s);
// 1-based line of byte `offset`, for messages.
std::size_t line_of(std::string_view text, std::size_t offset);
// Every JSON text read from a file or a client goes through this before it is parsed: a NUL
// byte, ill-formed UTF-8 (line and byte offset named) or nesting deeper than kMaxJsonNesting
// throws "<where>: ...; what to do". `where` is e.g. "[io] /m/config.json".
void check_json_text(std::string_view text, std::string_view where);
// nlohmann's exception text without its "[json.exception.type.N] " prefix, for messages.
std::string json_error_text(const char* what);

}  // namespace swift::str

// A tokenizer.json pattern ({"String": ...} or {"Regex": ...}) shared by the Split
// pre-tokenizer, the Replace normalizer and the Replace decoder.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/json_util.h"
#include "tokenizer/regex.h"

namespace swift::tok {

// Shared by the Replace normalizer and decoder: a literal or regex pattern.
class Pattern {
 public:
  explicit Pattern(const nlohmann::json& j, const char* where) {
    SWIFT_CHECK(j.is_object(), "[tokenizer] {}.pattern must be {{\"String\"|\"Regex\": ...}}",
                where);
    if (j.contains("String")) {
      literal_ = json_util::get_string(j, "String", where, "", true);
      SWIFT_CHECK(!literal_.empty(), "[tokenizer] {}: empty pattern string", where);
    } else {
      regex_ = std::make_unique<Regex>(json_util::get_string(j, "Regex", where, "", true));
    }
  }
  // Non-overlapping matches, left to right.
  void find_all(std::string_view s, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
    if (regex_) return regex_->find_all(s, out);
    for (std::size_t p = s.find(literal_); p != std::string_view::npos;
         p = s.find(literal_, p + literal_.size()))
      out.emplace_back(p, p + literal_.size());
  }
  std::string replace_all(std::string_view s, const std::string& content) const {
    std::vector<std::pair<std::size_t, std::size_t>> m;
    find_all(s, m);
    if (m.empty()) return std::string(s);
    std::string out;
    std::size_t prev = 0;
    for (auto [a, b] : m) {
      out.append(s.substr(prev, a - prev));
      out += content;
      prev = b;
    }
    out.append(s.substr(prev));
    return out;
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;
};

}  // namespace swift::tok

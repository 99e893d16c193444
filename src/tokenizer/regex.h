// PCRE2-backed regex for the tokenizer (Split pre-tokenizer, Replace normalizer/decoder):
// Unicode-aware (PCRE2_UTF|PCRE2_UCP), JIT-compiled when available, with match/depth limits so a
// catastrophic pattern in an untrusted tokenizer.json fails with an error instead of hanging.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swift::tok {

class Regex {
 public:
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-overlapping matches [start, end) (byte offsets), left to right. Thread-safe.
  void find_all(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const;
  const std::string& pattern() const { return pattern_; }

  static std::string escape(std::string_view literal);

 private:
  struct Impl;
  std::string pattern_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swift::tok

// The Precompiled normalizer (SentencePiece's precompiled_charsmap, base64 in tokenizer.json):
// a darts double-array trie mapping UTF-8 strings to replacement strings, applied per extended
// grapheme cluster (then per character) exactly as HF's normalizers/precompiled.rs does. The
// charsmap is untrusted: every trie step is bounds-checked.
#include <utf8proc.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "tokenizer/components.h"
#include "tokenizer/json_util.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

namespace {

std::string base64_decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const int v = val(c);
    SWIFT_CHECK(v >= 0, "[tokenizer] Precompiled.precompiled_charsmap is not valid base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

class Precompiled : public Normalizer {
 public:
  explicit Precompiled(const std::string& blob) {
    if (blob.empty()) return;
    SWIFT_CHECK(blob.size() >= 4, "[tokenizer] Precompiled charsmap is truncated");
    std::uint32_t trie_bytes = 0;
    for (int k = 0; k < 4; ++k)
      trie_bytes |= static_cast<std::uint32_t>(static_cast<unsigned char>(blob[k])) << (8 * k);
    SWIFT_CHECK(trie_bytes % 4 == 0 && trie_bytes <= blob.size() - 4,
                "[tokenizer] Precompiled charsmap trie size {} does not fit its {} bytes",
                trie_bytes, blob.size());
    array_.resize(trie_bytes / 4);
    for (std::size_t k = 0; k < array_.size(); ++k) {
      std::uint32_t u = 0;
      for (int b = 0; b < 4; ++b)
        u |= static_cast<std::uint32_t>(static_cast<unsigned char>(blob[4 + 4 * k + b])) << (8 * b);
      array_[k] = u;
    }
    normalized_ = blob.substr(4 + trie_bytes);
  }

  void normalize(std::string& s) const override {
    if (array_.empty()) return;
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    utf8proc_int32_t state = 0;
    while (i < s.size()) {
      // One extended grapheme cluster [i, j).
      std::size_t j = i;
      char32_t prev = next_cp(s, j);
      while (j < s.size()) {
        std::size_t q = j;
        const char32_t c = next_cp(s, q);
        if (utf8proc_grapheme_break_stateful(prev, c, &state)) break;
        prev = c;
        j = q;
      }
      const std::string_view g(s.data() + i, j - i);
      std::string_view rep;
      if (g.size() < 6 && transform(g, rep)) {
        out.append(rep);
      } else {
        for (std::size_t k = i; k < j;) {
          const std::size_t n = cp_len_at(s, k);
          const std::string_view ch(s.data() + k, n);
          if (transform(ch, rep)) {
            out.append(rep);
          } else {
            out.append(ch);
          }
          k += n;
        }
      }
      i = j;
    }
    s.swap(out);
  }

 private:
  // Shortest key that is a prefix of `chunk` (as HF takes results[0]) -> its replacement.
  bool transform(std::string_view chunk, std::string_view& rep) const {
    std::size_t pos = 0;
    if (array_.empty()) return false;
    std::uint32_t unit = array_[0];
    pos ^= offset(unit);
    for (unsigned char c : chunk) {
      if (c == 0) break;
      pos ^= c;
      if (pos >= array_.size()) return false;
      unit = array_[pos];
      if ((unit & ((1u << 31) | 0xFFu)) != c) return false;
      pos ^= offset(unit);
      if (pos >= array_.size()) return false;
      if ((unit >> 8) & 1) {
        const std::uint32_t index = array_[pos] & ((1u << 31) - 1);
        if (index >= normalized_.size()) return false;
        const auto end = normalized_.find('\0', index);
        rep = std::string_view(normalized_)
                  .substr(index, (end == std::string::npos ? normalized_.size() : end) - index);
        return is_valid_utf8(rep);
      }
    }
    return false;
  }
  static std::size_t offset(std::uint32_t unit) {
    return static_cast<std::size_t>((unit >> 10) << ((unit & (1u << 9)) >> 6));
  }

  std::vector<std::uint32_t> array_;
  std::string normalized_;
};

}  // namespace

std::unique_ptr<Normalizer> make_precompiled(const nlohmann::json& j) {
  auto it = j.find("precompiled_charsmap");
  if (it == j.end() || it->is_null()) return std::make_unique<Precompiled>(std::string());
  SWIFT_CHECK(it->is_string(), "[tokenizer] Precompiled.precompiled_charsmap must be a string");
  return std::make_unique<Precompiled>(base64_decode(it->get<std::string>()));
}

}  // namespace swift::tok

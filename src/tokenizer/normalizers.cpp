// Normalizers of tokenizer.json: Unicode forms (utf8proc), Lowercase, Strip, StripAccents,
// Replace, Prepend, ByteLevel, BertNormalizer, Sequence. Semantics follow HF tokenizers'
// normalizers/*.rs.
#include <utf8proc.h>

#include <cstdlib>

#include "tokenizer/components.h"
#include "tokenizer/json_util.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

std::unique_ptr<Normalizer> make_precompiled(const nlohmann::json& j);  // precompiled.cpp

using json_util::get_bool;
using json_util::get_string;
using nlohmann::json;

namespace {

std::string utf8proc_apply(const std::string& s, int options) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                              static_cast<utf8proc_ssize_t>(s.size()), &out,
                              static_cast<utf8proc_option_t>(options));
  SWIFT_CHECK(n >= 0, "[tokenizer] unicode normalization failed: {}", utf8proc_errmsg(n));
  std::string r(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  std::free(out);
  return r;
}

class UnicodeForm : public Normalizer {
 public:
  explicit UnicodeForm(int options) : options_(options) {}
  void normalize(std::string& s) const override {
    bool ascii = true;
    for (unsigned char c : s) ascii &= c < 0x80;
    if (!ascii) s = utf8proc_apply(s, options_);  // ASCII is invariant under every form
  }

 private:
  int options_;
};

// Rust's str::to_lowercase: full mappings (İ -> i̇) and the final-sigma rule.
class Lowercase : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    const auto cps = to_cps(s);
    std::string out;
    out.reserve(s.size());
    for (std::size_t k = 0; k < cps.size(); ++k) {
      const char32_t c = cps[k];
      if (c == 0x130) {
        out += "i\xCC\x87";
      } else if (c == 0x3A3) {
        // Final sigma: preceded by a cased letter and not followed by one.
        auto cased = [](char32_t x) {
          return utf8proc_tolower(x) != x || utf8proc_toupper(x) != x;
        };
        bool before = false, after = false;
        for (std::size_t b = k; b-- > 0;) {
          if (utf8proc_category(cps[b]) == UTF8PROC_CATEGORY_MN) continue;
          before = cased(cps[b]);
          break;
        }
        for (std::size_t a = k + 1; a < cps.size(); ++a) {
          if (utf8proc_category(cps[a]) == UTF8PROC_CATEGORY_MN) continue;
          after = cased(cps[a]);
          break;
        }
        append_utf8(out, before && !after ? 0x3C2 : 0x3C3);
      } else {
        append_utf8(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
      }
    }
    s.swap(out);
  }
};

class Strip : public Normalizer {
 public:
  Strip(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& s) const override {
    const auto cps = to_cps(s);
    std::size_t b = 0, e = cps.size();
    if (left_)
      while (b < e && is_whitespace(cps[b])) ++b;
    if (right_)
      while (e > b && is_whitespace(cps[e - 1])) --e;
    if (b == 0 && e == cps.size()) return;
    std::string out;
    for (std::size_t k = b; k < e; ++k) append_utf8(out, cps[k]);
    s.swap(out);
  }

 private:
  bool left_, right_;
};

class StripAccents : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    std::string out;
    for (char32_t c : to_cps(s))
      if (utf8proc_category(c) != UTF8PROC_CATEGORY_MN) append_utf8(out, c);
    s.swap(out);
  }
};

}  // namespace

namespace {

class Replace : public Normalizer {
 public:
  explicit Replace(const json& j)
      : pattern_(json_util::field(j, "pattern", "Replace normalizer"), "Replace normalizer"),
        content_(get_string(j, "content", "Replace normalizer", "", true)) {}
  void normalize(std::string& s) const override { s = pattern_.replace_all(s, content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : prepend_(std::move(p)) {}
  void normalize(std::string& s) const override {
    if (!s.empty()) s.insert(0, prepend_);
  }

 private:
  std::string prepend_;
};

class ByteLevelNorm : public Normalizer {
 public:
  void normalize(std::string& s) const override {
    std::string out;
    out.reserve(s.size() * 2);
    for (unsigned char b : s) append_utf8(out, byte_to_char(b));
    s.swap(out);
  }
};

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNorm : public Normalizer {
 public:
  explicit BertNorm(const json& j) {
    const char* w = "BertNormalizer";
    clean_ = get_bool(j, "clean_text", w, true);
    chinese_ = get_bool(j, "handle_chinese_chars", w, true);
    lower_ = get_bool(j, "lowercase", w, true);
    auto it = j.find("strip_accents");
    strip_ = (it == j.end() || it->is_null()) ? lower_ : get_bool(j, "strip_accents", w, lower_);
  }
  void normalize(std::string& s) const override {
    std::string out;
    for (char32_t c : to_cps(s)) {
      if (clean_) {
        if (c == 0 || c == 0xFFFD) continue;
        const auto k = utf8proc_category(c);
        const bool ws = c == '\t' || c == '\n' || c == '\r' || is_whitespace(c);
        if (!ws && (k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF ||
                    k == UTF8PROC_CATEGORY_CN || k == UTF8PROC_CATEGORY_CO))
          continue;
        if (ws) c = ' ';
      }
      if (chinese_ && is_chinese_char(c)) {
        out += ' ';
        append_utf8(out, c);
        out += ' ';
      } else {
        append_utf8(out, c);
      }
    }
    if (strip_) {
      out = utf8proc_apply(out, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
      StripAccents().normalize(out);
    }
    if (lower_) Lowercase().normalize(out);
    s.swap(out);
  }

 private:
  bool clean_, chinese_, lower_, strip_;
};

class SequenceNorm : public Normalizer {
 public:
  std::vector<std::unique_ptr<Normalizer>> items;
  void normalize(std::string& s) const override {
    for (const auto& n : items) n->normalize(s);
  }
};

}  // namespace

std::unique_ptr<Normalizer> make_normalizer(const json& j) {
  if (j.is_null()) return nullptr;
  SWIFT_CHECK(j.is_object(), "[tokenizer] normalizer must be an object or null, got {}",
              j.type_name());
  const std::string type = get_string(j, "type", "normalizer", "", true);
  if (type == "NFC") return std::make_unique<UnicodeForm>(UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  if (type == "NFD") return std::make_unique<UnicodeForm>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
  if (type == "NFKC")
    return std::make_unique<UnicodeForm>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
  if (type == "NFKD")
    return std::make_unique<UnicodeForm>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  if (type == "Lowercase") return std::make_unique<Lowercase>();
  if (type == "Strip")
    return std::make_unique<Strip>(get_bool(j, "strip_left", "Strip", true),
                                   get_bool(j, "strip_right", "Strip", true));
  if (type == "StripAccents") return std::make_unique<StripAccents>();
  if (type == "Replace") return std::make_unique<Replace>(j);
  if (type == "Prepend")
    return std::make_unique<Prepend>(get_string(j, "prepend", "Prepend", "", true));
  if (type == "ByteLevel") return std::make_unique<ByteLevelNorm>();
  if (type == "BertNormalizer") return std::make_unique<BertNorm>(j);
  if (type == "Precompiled") return make_precompiled(j);
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceNorm>();
    const json* list = json_util::get_array(j, "normalizers", "Sequence normalizer");
    SWIFT_CHECK(list, "[tokenizer] Sequence normalizer has no \"normalizers\" list");
    for (const auto& n : *list) {
      auto item = make_normalizer(n);
      if (item) seq->items.push_back(std::move(item));
    }
    return seq;
  }
  SWIFT_FAIL(
      "[tokenizer] unsupported normalizer type \"{}\"; supported: NFC NFD NFKC NFKD "
      "Lowercase Strip StripAccents Replace Prepend ByteLevel BertNormalizer Precompiled Sequence",
      type);
}

}  // namespace swift::tok

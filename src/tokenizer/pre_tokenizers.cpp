// Pre-tokenizers of tokenizer.json: ByteLevel, Split, Metaspace, Digits, Whitespace,
// WhitespaceSplit, Punctuation, BertPreTokenizer, Sequence. Splitting behaviours (Isolated,
// Removed, MergedWithPrevious, MergedWithNext, Contiguous, invert) follow HF tokenizers'
// normalizer.rs / pre_tokenizers/*.rs.
#include <algorithm>

#include "tokenizer/components.h"
#include "tokenizer/json_util.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

using json_util::get_bool;
using json_util::get_string;
using nlohmann::json;

namespace {

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior parse_behavior(const std::string& s) {
  if (s == "Removed") return Behavior::kRemoved;
  if (s == "Isolated") return Behavior::kIsolated;
  if (s == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (s == "MergedWithNext") return Behavior::kMergedWithNext;
  if (s == "Contiguous") return Behavior::kContiguous;
  SWIFT_FAIL(
      "[tokenizer] unknown split behavior \"{}\"; expected Removed, Isolated, "
      "MergedWithPrevious, MergedWithNext or Contiguous",
      s);
}

using Span = std::pair<std::size_t, std::size_t>;

// Turns the matches of a pattern in `p` into the pieces `behavior` asks for, appended to `out`.
void split_piece(const Piece& p,
                 const std::vector<Span>& matches,
                 Behavior behavior,
                 bool invert,
                 std::vector<Piece>& out) {
  const std::string& s = p.text;
  if (behavior == Behavior::kIsolated) {
    // Every match and every gap between them is a piece (invert changes nothing): emit them
    // directly, without the (span, is_match) list below. This is the common case (ByteLevel's
    // regex, Split "Isolated"), and a long text has hundreds of thousands of pieces.
    const std::size_t need = out.size() + 2 * matches.size() + 1;
    if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
    auto emit = [&](std::size_t a, std::size_t b) {
      if (a != b) out.push_back(Piece{s.substr(a, b - a), p.at_origin && a == 0});
    };
    std::size_t prev = 0;
    for (auto [a, b] : matches) {
      if (a != prev) emit(prev, a);
      emit(a, b);
      prev = b;
    }
    if (prev != s.size()) emit(prev, s.size());
    return;
  }
  // (span, is_match) covering the whole string, as HF's find_matches produces it.
  // Scratch buffers reused across calls: this runs once per piece on the hot path.
  thread_local std::vector<std::pair<Span, bool>> parts;
  thread_local std::vector<Span> spans;
  parts.clear();
  spans.clear();
  parts.reserve(2 * matches.size() + 1);
  spans.reserve(2 * matches.size() + 1);
  std::size_t prev = 0;
  for (auto [a, b] : matches) {
    if (a != prev) parts.push_back({{prev, a}, false});
    parts.push_back({{a, b}, true});
    prev = b;
  }
  if (prev != s.size()) parts.push_back({{prev, s.size()}, false});
  if (invert)
    for (auto& x : parts) x.second = !x.second;

  switch (behavior) {
    case Behavior::kIsolated:
      for (auto& x : parts) spans.push_back(x.first);
      break;
    case Behavior::kRemoved:
      for (auto& x : parts)
        if (!x.second) spans.push_back(x.first);
      break;
    case Behavior::kMergedWithPrevious: {
      bool prev_match = false;
      for (auto& x : parts) {
        if (x.second && !prev_match && !spans.empty()) {
          spans.back().second = x.first.second;
        } else {
          spans.push_back(x.first);
        }
        prev_match = x.second;
      }
      break;
    }
    case Behavior::kMergedWithNext: {
      bool prev_match = false;
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->second && !prev_match && !spans.empty()) {
          spans.back().first = it->first.first;
        } else {
          spans.push_back(it->first);
        }
        prev_match = it->second;
      }
      std::reverse(spans.begin(), spans.end());
      break;
    }
    case Behavior::kContiguous: {
      bool prev_match = false;
      for (std::size_t k = 0; k < parts.size(); ++k) {
        if (k > 0 && parts[k].second == prev_match) {
          spans.back().second = parts[k].first.second;
        } else {
          spans.push_back(parts[k].first);
        }
        prev_match = parts[k].second;
      }
      break;
    }
  }
  // At most one piece per span: grow `out` once for all of them (a long text gives
  // hundreds of thousands), geometrically so that many short pieces stay linear.
  const std::size_t need = out.size() + spans.size();
  if (need > out.capacity()) out.reserve(std::max(need, 2 * out.capacity()));
  for (auto [a, b] : spans) {
    if (a == b) continue;
    out.push_back(Piece{s.substr(a, b - a), p.at_origin && a == 0});
  }
}

template <class MatchFn>
void split_all(std::vector<Piece>& pieces, Behavior behavior, bool invert, MatchFn&& find) {
  std::vector<Piece> out;
  out.reserve(pieces.size() * 2);
  thread_local std::vector<Span> m;
  for (const auto& p : pieces) {
    m.clear();
    find(p.text, m);
    split_piece(p, m, behavior, invert, out);
  }
  pieces.swap(out);
}

// Matches of single code points satisfying `pred`.
template <class Pred>
void char_matches(const std::string& s, std::vector<Span>& m, Pred&& pred) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t a = i;
    const char32_t c = next_cp(s, i);
    if (pred(c)) m.emplace_back(a, i);
  }
}

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

const Regex& gpt2_regex() {
  static const Regex re(kGpt2Pattern);
  return re;
}

class ByteLevelPre : public PreTokenizer {
 public:
  explicit ByteLevelPre(const json& j)
      : add_prefix_space_(get_bool(j, "add_prefix_space", "ByteLevel", true)),
        use_regex_(get_bool(j, "use_regex", "ByteLevel", true)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    if (add_prefix_space_)
      for (auto& p : pieces)
        if (!p.text.empty() && p.text[0] != ' ') p.text.insert(0, " ");
    if (use_regex_)
      split_all(pieces, Behavior::kIsolated, false,
                [](const std::string& s, std::vector<Span>& m) { gpt2_regex().find_all(s, m); });
    for (auto& p : pieces) {
      std::string out;
      out.reserve(p.text.size() * 2);
      for (unsigned char b : p.text) append_utf8(out, byte_to_char(b));
      p.text.swap(out);
    }
  }

 private:
  bool add_prefix_space_, use_regex_;
};

class SplitPre : public PreTokenizer {
 public:
  explicit SplitPre(const json& j)
      : pattern_(json_util::field(j, "pattern", "Split pre-tokenizer"), "Split pre-tokenizer"),
        behavior_(parse_behavior(get_string(j, "behavior", "Split", "", true))),
        invert_(get_bool(j, "invert", "Split", false)) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_all(pieces, behavior_, invert_,
              [this](const std::string& s, std::vector<Span>& m) { pattern_.find_all(s, m); });
  }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class MetaspacePre : public PreTokenizer {
 public:
  MetaspacePre(std::string replacement, const std::string& scheme, bool split)
      : rep_(std::move(replacement)), split_(split) {
    if (scheme == "always") {
      scheme_ = 0;
    } else if (scheme == "first") {
      scheme_ = 1;
    } else if (scheme == "never") {
      scheme_ = 2;
    } else {
      SWIFT_FAIL("[tokenizer] Metaspace prepend_scheme \"{}\" is not always/first/never", scheme);
    }
    SWIFT_CHECK(!rep_.empty() && cp_len_at(rep_, 0) == rep_.size(),
                "[tokenizer] Metaspace replacement must be one character, got \"{}\"", rep_);
  }
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (auto& p : pieces) {
      std::string out;
      out.reserve(p.text.size() + rep_.size());
      for (char c : p.text) {
        if (c == ' ') {
          out += rep_;
        } else {
          out += c;
        }
      }
      const bool starts = out.compare(0, rep_.size(), rep_) == 0;
      if (!starts && (scheme_ == 0 || (scheme_ == 1 && p.at_origin))) out.insert(0, rep_);
      p.text.swap(out);
    }
    if (split_) {
      const std::string rep = rep_;
      split_all(pieces, Behavior::kMergedWithNext, false,
                [&rep](const std::string& s, std::vector<Span>& m) {
                  for (std::size_t q = s.find(rep); q != std::string::npos;
                       q = s.find(rep, q + rep.size()))
                    m.emplace_back(q, q + rep.size());
                });
    }
  }

 private:
  std::string rep_;
  int scheme_ = 0;
  bool split_;
};

class DigitsPre : public PreTokenizer {
 public:
  explicit DigitsPre(bool individual) : individual_(individual) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_all(pieces, individual_ ? Behavior::kIsolated : Behavior::kContiguous, false,
              [](const std::string& s, std::vector<Span>& m) { char_matches(s, m, is_numeric); });
  }

 private:
  bool individual_;
};

class WhitespacePre : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    // Oniguruma's Unicode \w (letters, marks, numbers, connector punctuation), spelled out.
    static const Regex re(R"([\p{L}\p{M}\p{N}\p{Pc}]+|[^\p{L}\p{M}\p{N}\p{Pc}\s]+)");
    split_all(pieces, Behavior::kRemoved, true,
              [](const std::string& s, std::vector<Span>& m) { re.find_all(s, m); });
  }
};

class WhitespaceSplitPre : public PreTokenizer {
 public:
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_all(pieces, Behavior::kRemoved, false, [](const std::string& s, std::vector<Span>& m) {
      char_matches(s, m, is_whitespace);
    });
  }
};

bool is_any_punct(char32_t c) {
  return (c < 0x80 && c > 0x20 && c < 0x7F && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
          !(c >= '0' && c <= '9')) ||
         is_punctuation(c);
}

class PunctuationPre : public PreTokenizer {
 public:
  explicit PunctuationPre(Behavior b) : behavior_(b) {}
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    split_all(pieces, behavior_, false,
              [](const std::string& s, std::vector<Span>& m) { char_matches(s, m, is_any_punct); });
  }

 private:
  Behavior behavior_;
};

class SequencePre : public PreTokenizer {
 public:
  std::vector<std::unique_ptr<PreTokenizer>> items;
  void pre_tokenize(std::vector<Piece>& pieces) const override {
    for (const auto& p : items) p->pre_tokenize(pieces);
  }
};

}  // namespace

std::unique_ptr<PreTokenizer> make_metaspace(const std::string& replacement,
                                             const std::string& prepend_scheme,
                                             bool split) {
  return std::make_unique<MetaspacePre>(replacement, prepend_scheme, split);
}

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const json& j) {
  if (j.is_null()) return nullptr;
  SWIFT_CHECK(j.is_object(), "[tokenizer] pre_tokenizer must be an object or null, got {}",
              j.type_name());
  const std::string type = get_string(j, "type", "pre_tokenizer", "", true);
  if (type == "ByteLevel") return std::make_unique<ByteLevelPre>(j);
  if (type == "Split") return std::make_unique<SplitPre>(j);
  if (type == "Metaspace") {
    std::string scheme = "always";
    if (j.contains("prepend_scheme")) {
      scheme = get_string(j, "prepend_scheme", "Metaspace", "always");
    } else if (!get_bool(j, "add_prefix_space", "Metaspace", true)) {
      scheme = "never";
    }
    return make_metaspace(get_string(j, "replacement", "Metaspace", "\xE2\x96\x81"), scheme,
                          get_bool(j, "split", "Metaspace", true));
  }
  if (type == "Digits")
    return std::make_unique<DigitsPre>(get_bool(j, "individual_digits", "Digits", false));
  if (type == "Whitespace") return std::make_unique<WhitespacePre>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPre>();
  if (type == "Punctuation")
    return std::make_unique<PunctuationPre>(
        parse_behavior(get_string(j, "behavior", "Punctuation", "Isolated")));
  if (type == "BertPreTokenizer") {
    auto seq = std::make_unique<SequencePre>();
    seq->items.push_back(std::make_unique<WhitespaceSplitPre>());
    seq->items.push_back(std::make_unique<PunctuationPre>(Behavior::kIsolated));
    return seq;
  }
  if (type == "Sequence") {
    auto seq = std::make_unique<SequencePre>();
    const json* list = json_util::get_array(j, "pretokenizers", "Sequence pre_tokenizer");
    SWIFT_CHECK(list, "[tokenizer] Sequence pre_tokenizer has no \"pretokenizers\" list");
    for (const auto& p : *list) {
      auto item = make_pre_tokenizer(p);
      if (item) seq->items.push_back(std::move(item));
    }
    return seq;
  }
  SWIFT_FAIL(
      "[tokenizer] unsupported pre_tokenizer type \"{}\"; supported: ByteLevel Split "
      "Metaspace Digits Whitespace WhitespaceSplit Punctuation BertPreTokenizer Sequence",
      type);
}

}  // namespace swift::tok

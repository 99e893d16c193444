// Decoders of tokenizer.json: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip,
// WordPiece, BPEDecoder, CTC, Sequence. Each maps the token strings of a decode call to new
// strings (HF decode_chain); the tokenizer joins the result.
#include "tokenizer/components.h"
#include "tokenizer/json_util.h"
#include "tokenizer/pattern.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

using json_util::get_bool;
using json_util::get_int;
using json_util::get_string;
using nlohmann::json;

std::string clean_up_tokenization(std::string s);

namespace {

class ByteLevelDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      const std::size_t mark = bytes.size();
      bool ok = true;
      for (std::size_t i = 0; i < t.size();) {
        const int b = char_to_byte(next_cp(t, i));
        if (b < 0) {
          ok = false;
          break;
        }
        bytes += static_cast<char>(b);
      }
      // A token with a character outside the byte alphabet passes through as its own UTF-8.
      if (!ok) bytes.replace(mark, std::string::npos, t);
    }
    tokens.assign(1, utf8_lossy(bytes));
  }
};

class MetaspaceDec : public Decoder {
 public:
  MetaspaceDec(std::string rep, bool prepend) : rep_(std::move(rep)), prepend_(prepend) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      std::string out;
      const std::string& t = tokens[k];
      for (std::size_t p = 0; p < t.size();) {
        if (t.compare(p, rep_.size(), rep_) == 0) {
          out += ' ';
          p += rep_.size();
        } else {
          out += t[p++];
        }
      }
      if (k == 0 && prepend_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
      tokens[k].swap(out);
    }
  }

 private:
  std::string rep_;
  bool prepend_;
};

class ReplaceDec : public Decoder {
 public:
  explicit ReplaceDec(const json& j)
      : pattern_(json_util::field(j, "pattern", "Replace decoder"), "Replace decoder"),
        content_(get_string(j, "content", "Replace decoder", "", true)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) t = pattern_.replace_all(t, content_);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "<0xXX>" -> byte value, else -1.
int byte_token(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  const int hi = hex_digit(t[3]), lo = hex_digit(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

class ByteFallbackDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    std::size_t count = 0;
    auto flush = [&]() {
      if (count == 0) return;
      if (is_valid_utf8(bytes)) {
        out.push_back(bytes);
      } else {
        for (std::size_t k = 0; k < count; ++k) out.emplace_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      count = 0;
    };
    for (auto& t : tokens) {
      const int b = byte_token(t);
      if (b >= 0) {
        bytes += static_cast<char>(b);
        ++count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDec : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDec : public Decoder {
 public:
  StripDec(std::string content, std::int64_t start, std::int64_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      auto cps = to_cps(t);
      const char32_t c = to_cps(content_).at(0);
      std::size_t b = 0, e = cps.size();
      for (std::int64_t k = 0; k < start_ && b < e && cps[b] == c; ++k) ++b;
      for (std::int64_t k = 0; k < stop_ && e > b && cps[e - 1] == c; ++k) --e;
      std::string out;
      for (std::size_t k = b; k < e; ++k) append_utf8(out, cps[k]);
      t.swap(out);
    }
  }

 private:
  std::string content_;
  std::int64_t start_, stop_;
};

class WordPieceDec : public Decoder {
 public:
  WordPieceDec(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      auto& t = tokens[k];
      if (k != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) {
          t.erase(0, prefix_.size());
        } else {
          t.insert(0, " ");
        }
      }
      if (cleanup_) t = clean_up_tokenization(t);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeDec : public Decoder {
 public:
  explicit BpeDec(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      auto& t = tokens[k];
      const std::string rep = k + 1 == tokens.size() ? "" : " ";
      std::string out;
      for (std::size_t p = 0; p < t.size();) {
        if (!suffix_.empty() && t.compare(p, suffix_.size(), suffix_) == 0) {
          out += rep;
          p += suffix_.size();
        } else {
          out += t[p++];
        }
      }
      t.swap(out);
    }
  }

 private:
  std::string suffix_;
};

class CtcDec : public Decoder {
 public:
  CtcDec(std::string pad, std::string delim, bool cleanup)
      : pad_(std::move(pad)), delim_(std::move(delim)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < tokens.size(); ++k) {
      if (k > 0 && tokens[k] == tokens[k - 1]) continue;
      std::string t = tokens[k] == pad_ ? "" : tokens[k];
      std::string r;
      for (std::size_t p = 0; p < t.size();) {
        if (!delim_.empty() && t.compare(p, delim_.size(), delim_) == 0) {
          r += ' ';
          p += delim_.size();
        } else {
          r += t[p++];
        }
      }
      if (cleanup_) r = clean_up_tokenization(r);
      if (!r.empty()) out.push_back(std::move(r));
    }
    tokens.swap(out);
  }

 private:
  std::string pad_, delim_;
  bool cleanup_;
};

class SequenceDec : public Decoder {
 public:
  std::vector<std::unique_ptr<Decoder>> items;
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& d : items) d->decode_chain(tokens);
  }
};

}  // namespace

// transformers' / HF's clean_up_tokenization: drops the space before punctuation and
// contractions that word-level decoders leave behind.
std::string clean_up_tokenization(std::string s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},     {" ?", "?"},   {" !", "!"},   {" ,", ","},     {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    const std::string f(from), t(to);
    std::string out;
    std::size_t prev = 0;
    for (std::size_t p = s.find(f); p != std::string::npos; p = s.find(f, p + f.size())) {
      out.append(s, prev, p - prev);
      out += t;
      prev = p + f.size();
    }
    out.append(s, prev, std::string::npos);
    s.swap(out);
  }
  return s;
}

std::unique_ptr<Decoder> make_decoder(const json& j) {
  if (j.is_null()) return nullptr;
  SWIFT_CHECK(j.is_object(), "[tokenizer] decoder must be an object or null, got {}",
              j.type_name());
  const std::string type = get_string(j, "type", "decoder", "", true);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDec>();
  if (type == "Metaspace") {
    bool prepend = true;
    if (j.contains("prepend_scheme")) {
      prepend = get_string(j, "prepend_scheme", "Metaspace decoder", "always") != "never";
    } else {
      prepend = get_bool(j, "add_prefix_space", "Metaspace decoder", true);
    }
    return std::make_unique<MetaspaceDec>(
        get_string(j, "replacement", "Metaspace decoder", "\xE2\x96\x81"), prepend);
  }
  if (type == "Replace") return std::make_unique<ReplaceDec>(j);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDec>();
  if (type == "Fuse") return std::make_unique<FuseDec>();
  if (type == "Strip") {
    const std::string content = get_string(j, "content", "Strip decoder", " ");
    SWIFT_CHECK(!content.empty() && cp_len_at(content, 0) == content.size(),
                "[tokenizer] Strip decoder content must be one character");
    const auto start = get_int(j, "start", "Strip decoder", 0);
    const auto stop = get_int(j, "stop", "Strip decoder", 0);
    SWIFT_CHECK(start >= 0 && stop >= 0, "[tokenizer] Strip decoder start/stop must be >= 0");
    return std::make_unique<StripDec>(content, start, stop);
  }
  if (type == "WordPiece")
    return std::make_unique<WordPieceDec>(get_string(j, "prefix", "WordPiece decoder", "##"),
                                          get_bool(j, "cleanup", "WordPiece decoder", true));
  if (type == "BPEDecoder")
    return std::make_unique<BpeDec>(get_string(j, "suffix", "BPEDecoder", "</w>"));
  if (type == "CTC")
    return std::make_unique<CtcDec>(get_string(j, "pad_token", "CTC", "<pad>"),
                                    get_string(j, "word_delimiter_token", "CTC", "|"),
                                    get_bool(j, "cleanup", "CTC", true));
  if (type == "Sequence") {
    auto seq = std::make_unique<SequenceDec>();
    const json* list = json_util::get_array(j, "decoders", "Sequence decoder");
    SWIFT_CHECK(list, "[tokenizer] Sequence decoder has no \"decoders\" list");
    for (const auto& d : *list) {
      auto item = make_decoder(d);
      if (item) seq->items.push_back(std::move(item));
    }
    return seq;
  }
  SWIFT_FAIL(
      "[tokenizer] unsupported decoder type \"{}\"; supported: ByteLevel Metaspace Replace "
      "ByteFallback Fuse Strip WordPiece BPEDecoder CTC Sequence",
      type);
}

}  // namespace swift::tok

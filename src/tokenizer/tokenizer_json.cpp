// split_tokenizer_json (see tokenizer_json.h). A small strict scanner walks the top-level object
// and the model object; model.vocab and model.merges are read in place, every other value is cut
// out whole and handed to nlohmann, so all of it is validated exactly as a full parse would. Any
// doubt (an unusual form, a repeated key we would have to merge, invalid JSON) returns nullopt.
#include "tokenizer/tokenizer_json.h"

#include "tokenizer/unicode.h"

namespace swift::tok {

using nlohmann::json;

namespace {

// Length of the well-formed UTF-8 sequence at p (RFC 3629, as nlohmann's lexer checks it), or 0.
std::size_t utf8_len(const unsigned char* p, const unsigned char* end) {
  return utf8_seq_len(
      std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(end - p)), 0);
}

class Scanner {
 public:
  explicit Scanner(std::string_view t)
      : p_(reinterpret_cast<const unsigned char*>(t.data())), end_(p_ + t.size()) {}

  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool eat(char c) {
    ws();
    if (p_ < end_ && *p_ == static_cast<unsigned char>(c)) {
      ++p_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    ws();
    return p_ < end_ && *p_ == static_cast<unsigned char>(c);
  }
  bool at_end() {
    ws();
    return p_ == end_;
  }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

  // A JSON string: its decoded content, a view into the text or (with escapes) into `owned`.
  bool string(std::string_view& out, std::deque<std::string>& owned) {
    if (!eat('"')) return false;
    const unsigned char* start = p_;
    for (;;) {
      if (p_ >= end_) return false;
      const unsigned char c = *p_;
      if (c == '"') {
        out = view(start, p_);
        ++p_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return false;
      if (c < 0x80) {
        ++p_;
        continue;
      }
      const std::size_t n = utf8_len(p_, end_);
      if (n == 0) return false;
      p_ += n;
    }
    std::string& s = owned.emplace_back(view(start, p_));
    for (;;) {
      if (p_ >= end_) return false;
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        out = s;
        return true;
      }
      if (c == '\\') {
        if (!escape(s)) return false;
        continue;
      }
      if (c < 0x20) return false;
      const std::size_t n = c < 0x80 ? 1 : utf8_len(p_, end_);
      if (n == 0) return false;
      s.append(reinterpret_cast<const char*>(p_), n);
      p_ += n;
    }
  }

  // A JSON integer that fits comfortably in int64 (at most 18 digits).
  bool integer(std::int64_t& v) {
    ws();
    bool neg = false;
    if (p_ < end_ && *p_ == '-') neg = true, ++p_;
    if (p_ >= end_ || !digit(*p_)) return false;
    v = 0;
    if (*p_ == '0') {
      ++p_;
    } else {
      int n = 0;
      while (p_ < end_ && digit(*p_)) {
        if (++n > 18) return false;
        v = v * 10 + (*p_++ - '0');
      }
    }
    if (p_ < end_ && (digit(*p_) || *p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    if (neg) v = -v;
    return true;
  }

  // Any JSON value, parsed by nlohmann from its exact extent in the text.
  bool value(json& out) {
    ws();
    const unsigned char* start = p_;
    if (p_ >= end_) return false;
    if (*p_ == '"') {
      if (!skip_string()) return false;
    } else if (*p_ == '{' || *p_ == '[') {
      int depth = 0;
      do {
        if (p_ >= end_) return false;
        const unsigned char c = *p_;
        if (c == '"') {
          if (!skip_string()) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') --depth;
        ++p_;
      } while (depth > 0);
    } else {
      while (p_ < end_ && !delimiter(*p_)) ++p_;
      if (p_ == start) return false;
    }
    const std::string_view raw = view(start, p_);
    out = json::parse(raw.begin(), raw.end(), nullptr, false);
    return !out.is_discarded();
  }

 private:
  static bool digit(unsigned char c) { return c >= '0' && c <= '9'; }
  static bool delimiter(unsigned char c) {
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
  static std::string_view view(const unsigned char* a, const unsigned char* b) {
    return {reinterpret_cast<const char*>(a), static_cast<std::size_t>(b - a)};
  }

  // Skips a string without decoding it (nlohmann validates it afterwards).
  bool skip_string() {
    ++p_;
    while (p_ < end_) {
      if (*p_ == '\\') {
        p_ += 2;
        continue;
      }
      if (*p_++ == '"') return true;
    }
    return false;
  }

  bool hex4(std::uint32_t& v) {
    if (end_ - p_ < 4) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const unsigned char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return false;
      }
    }
    return true;
  }

  // One escape sequence at p_ (the backslash), appended decoded to `s`.
  bool escape(std::string& s) {
    if (end_ - p_ < 2) return false;
    ++p_;
    switch (*p_++) {
      case '"':
        s += '"';
        return true;
      case '\\':
        s += '\\';
        return true;
      case '/':
        s += '/';
        return true;
      case 'b':
        s += '\b';
        return true;
      case 'f':
        s += '\f';
        return true;
      case 'n':
        s += '\n';
        return true;
      case 'r':
        s += '\r';
        return true;
      case 't':
        s += '\t';
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    std::uint32_t cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t lo = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return false;
    }
    append_utf8(s, cp);
    return true;
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

// A vocab entry or a merge takes 20+ bytes of a pretty-printed file. Reserving for as many as the
// rest of the file could hold costs address space, not touched memory, and spares the copies of a
// growing vector (a compact file just grows it past the guess).
constexpr std::size_t kMinEntryBytes = 24;

bool read_vocab(Scanner& sc, BpeSource& src) {
  if (!sc.eat('{')) return false;
  src.vocab.reserve(sc.remaining() / kMinEntryBytes);
  if (sc.eat('}')) return true;
  do {
    std::string_view tok;
    std::int64_t id = 0;
    if (!sc.string(tok, src.owned) || !sc.eat(':') || !sc.integer(id)) return false;
    src.vocab.emplace_back(tok, id);
  } while (sc.eat(','));
  return sc.eat('}');
}

bool read_merges(Scanner& sc, BpeSource& src) {
  if (!sc.eat('[')) return false;
  src.merges.reserve(sc.remaining() / kMinEntryBytes);
  if (sc.eat(']')) return true;
  do {
    std::string_view a, b;
    if (sc.peek('"')) {
      std::string_view s;
      if (!sc.string(s, src.owned)) return false;
      const auto sp = s.find(' ');
      if (sp == std::string_view::npos || s.find(' ', sp + 1) != std::string_view::npos)
        return false;
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (!sc.eat('[') || !sc.string(a, src.owned) || !sc.eat(',') ||
               !sc.string(b, src.owned) || !sc.eat(']')) {
      return false;
    }
    src.merges.emplace_back(a, b);
  } while (sc.eat(','));
  return sc.eat(']');
}

bool read_model(Scanner& sc, SplitTokenizerJson& out) {
  if (!sc.eat('{') || sc.peek('}')) return false;
  json model = json::object();
  bool vocab = false;
  do {
    std::string_view key;
    if (!sc.string(key, out.bpe.owned) || !sc.eat(':')) return false;
    if (key == "vocab") {
      if (vocab || !read_vocab(sc, out.bpe)) return false;
      vocab = true;
    } else if (key == "merges") {
      if (out.has_merges || !read_merges(sc, out.bpe)) return false;
      out.has_merges = true;
    } else {
      json v;
      if (!sc.value(v)) return false;
      model[std::string(key)] = std::move(v);
    }
  } while (sc.eat(','));
  if (!sc.eat('}') || !vocab) return false;
  // Only BPE models (tokenizer.cpp infers BPE from merges when the type is missing).
  std::string type;
  if (auto it = model.find("type"); it != model.end() && !it->is_null()) {
    if (!it->is_string()) return false;
    type = it->get<std::string>();
  }
  if (!(type == "BPE" || (type.empty() && out.has_merges))) return false;
  out.root["model"] = std::move(model);
  return true;
}

}  // namespace

std::optional<SplitTokenizerJson> split_tokenizer_json(std::string_view text) {
  SplitTokenizerJson out;
  out.root = json::object();
  Scanner sc(text);
  if (!sc.eat('{') || sc.peek('}')) return std::nullopt;
  bool model = false;
  do {
    std::string_view key;
    if (!sc.string(key, out.bpe.owned) || !sc.eat(':')) return std::nullopt;
    if (key == "model") {
      if (model || !read_model(sc, out)) return std::nullopt;
      model = true;
    } else {
      json v;
      if (!sc.value(v)) return std::nullopt;
      out.root[std::string(key)] = std::move(v);  // a repeated key: the later value wins
    }
  } while (sc.eat(','));
  if (!sc.eat('}') || !sc.at_end() || !model) return std::nullopt;
  return out;
}

}  // namespace swift::tok

// Template lexer. Whitespace handling mirrors jinja2's tokeniter: `{%-` strips all whitespace
// before a tag, `-%}` all after; lstrip_blocks removes spaces/tabs between a line start and a
// block or comment tag; trim_blocks removes one newline after a block or comment tag.
#include "template/jinja/lexer.h"

#include <cctype>

#include "core/error.h"
#include "template/jinja/value.h"

namespace swift::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::vector<Token> run() {
    // keep_trailing_newline=False: one final newline is not part of the template.
    if (!src_.empty() && src_.back() == '\n') {
      src_.remove_suffix(1);
      if (!src_.empty() && src_.back() == '\r') src_.remove_suffix(1);
    }
    std::size_t pos = 0;
    bool strip_next = false;  // previous tag ended with `-`
    while (pos < src_.size()) {
      std::size_t tag = find_tag(pos);
      std::string text(src_.substr(pos, tag - pos));
      std::size_t text_start = pos;
      if (strip_next) {
        std::size_t k = 0;
        while (k < text.size() && is_space(text[k])) ++k;
        text.erase(0, k);
        strip_next = false;
      }
      if (tag == src_.size()) {
        emit_text(std::move(text), text_start);
        break;
      }
      char type = src_[tag + 1];
      char mod = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (mod == '-') {
        std::size_t k = text.size();
        while (k > 0 && is_space(text[k - 1])) --k;
        text.resize(k);
      } else if (mod != '+' && type != '{') {
        lstrip(text, text_start);
      }
      std::size_t body = tag + 2 + ((mod == '-' || mod == '+') ? 1 : 0);
      if (type == '%' && is_raw(body)) {
        emit_text(std::move(text), text_start);
        pos = lex_raw(body, strip_next);
        continue;
      }
      emit_text(std::move(text), text_start);
      if (type == '#') {
        pos = skip_comment(body, strip_next);
      } else {
        pos = lex_tag(body, type == '{', strip_next);
      }
    }
    tokens_.push_back(Token{Tok::kEof, "", line_at(src_.size())});
    return std::move(tokens_);
  }

 private:
  std::size_t find_tag(std::size_t pos) const {
    while (true) {
      std::size_t p = src_.find('{', pos);
      if (p == std::string_view::npos || p + 1 >= src_.size()) return src_.size();
      char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      pos = p + 1;
    }
  }

  int line_at(std::size_t pos) {
    while (line_pos_ < pos && line_pos_ < src_.size()) {
      if (src_[line_pos_] == '\n') ++line_;
      ++line_pos_;
    }
    return line_;
  }

  void emit_text(std::string text, std::size_t at) {
    if (text.empty()) return;
    // jinja2 normalises newline sequences in template data to "\n".
    std::string norm;
    norm.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\r') {
        norm += '\n';
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      } else {
        norm += text[i];
      }
    }
    tokens_.push_back(Token{Tok::kText, std::move(norm), line_at(at)});
  }

  // lstrip_blocks: drop spaces/tabs between the start of the line and the tag.
  void lstrip(std::string& text, std::size_t text_start) const {
    std::size_t nl = text.rfind('\n');
    std::size_t from = nl == std::string::npos ? 0 : nl + 1;
    bool line_start = nl != std::string::npos || text_start == 0 || src_[text_start - 1] == '\n';
    if (!line_start || from == text.size()) return;
    for (std::size_t k = from; k < text.size(); ++k)
      if (!is_space(text[k])) return;
    text.resize(from);
  }

  // After the closing delimiter: `-` eats all whitespace (applied to the next text), otherwise
  // trim_blocks eats one newline after block and comment tags unless `+` was given.
  std::size_t after_close(std::size_t end, bool minus, bool plus, bool block, bool& strip_next) {
    if (minus) {
      strip_next = true;
    } else if (block && !plus && end < src_.size() && src_[end] == '\n') {
      ++end;
    }
    return end;
  }

  bool is_raw(std::size_t p) const {
    while (p < src_.size() && is_space(src_[p])) ++p;
    if (src_.substr(p, 3) != "raw") return false;
    p += 3;
    if (p < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[p])) || src_[p] == '_'))
      return false;
    return true;
  }

  std::size_t lex_raw(std::size_t p, bool& strip_next) {
    std::size_t close = src_.find("%}", p);
    SWIFT_CHECK(close != std::string_view::npos, "[jinja] line {}: unterminated raw tag",
                line_at(p));
    bool minus = close > 0 && src_[close - 1] == '-';
    std::size_t start = close + 2;
    if (minus)
      while (start < src_.size() && is_space(src_[start])) ++start;
    // Find `{% endraw %}` (with optional modifiers).
    std::size_t q = start;
    while (true) {
      std::size_t t = src_.find("{%", q);
      SWIFT_CHECK(t != std::string_view::npos,
                  "[jinja] line {}: missing endraw; close the raw block", line_at(p));
      std::size_t b = t + 2;
      char mod = b < src_.size() ? src_[b] : '\0';
      if (mod == '-' || mod == '+') ++b;
      while (b < src_.size() && is_space(src_[b])) ++b;
      if (src_.substr(b, 6) == "endraw") {
        std::size_t e = b + 6;
        while (e < src_.size() && is_space(src_[e])) ++e;
        bool cminus = false, cplus = false;
        if (e < src_.size() && src_[e] == '-') cminus = true, ++e;
        if (e < src_.size() && src_[e] == '+') cplus = true, ++e;
        SWIFT_CHECK(src_.substr(e, 2) == "%}", "[jinja] line {}: malformed endraw tag", line_at(t));
        std::string body(src_.substr(start, t - start));
        if (mod == '-') {
          std::size_t k = body.size();
          while (k > 0 && is_space(body[k - 1])) --k;
          body.resize(k);
        } else if (mod != '+') {
          lstrip(body, start);
        }
        emit_text(std::move(body), start);
        return after_close(e + 2, cminus, cplus, true, strip_next);
      }
      q = t + 2;
    }
  }

  std::size_t skip_comment(std::size_t p, bool& strip_next) {
    std::size_t close = src_.find("#}", p);
    SWIFT_CHECK(close != std::string_view::npos, "[jinja] line {}: unterminated comment",
                line_at(p));
    bool minus = close > p && src_[close - 1] == '-';
    bool plus = close > p && src_[close - 1] == '+';
    return after_close(close + 2, minus, plus, true, strip_next);
  }

  std::size_t lex_tag(std::size_t p, bool var, bool& strip_next) {
    tokens_.push_back(Token{var ? Tok::kVarBegin : Tok::kBlockBegin, "", line_at(p)});
    int depth = 0;  // brackets: `}}` inside a dict literal does not close the tag
    const char close = var ? '}' : '%';
    while (true) {
      while (p < src_.size() && is_space(src_[p])) ++p;
      SWIFT_CHECK(p < src_.size(), "[jinja] line {}: unterminated tag; close it with {}",
                  line_at(p), var ? "}}" : "%}");
      if (depth == 0) {
        bool minus =
            src_[p] == '-' && p + 2 < src_.size() && src_[p + 1] == close && src_[p + 2] == '}';
        bool plus = !var && src_[p] == '+' && p + 2 < src_.size() && src_[p + 1] == close &&
                    src_[p + 2] == '}';
        if (minus || plus || (src_[p] == close && p + 1 < src_.size() && src_[p + 1] == '}')) {
          std::size_t end = p + ((minus || plus) ? 3 : 2);
          tokens_.push_back(Token{var ? Tok::kVarEnd : Tok::kBlockEnd, "", line_at(p)});
          return after_close(end, minus, plus, !var, strip_next);
        }
      }
      p = lex_one(p, depth);
    }
  }

  std::size_t lex_one(std::size_t p, int& depth) {
    int line = line_at(p);
    char c = src_[p];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t e = p;
      while (e < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[e])) || src_[e] == '_'))
        ++e;
      tokens_.push_back(Token{Tok::kName, std::string(src_.substr(p, e - p)), line});
      return e;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return lex_number(p, line);
    if (c == '"' || c == '\'') return lex_string(p, line);
    static const char* kOps2[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : kOps2) {
      if (src_.substr(p, 2) == op) {
        tokens_.push_back(Token{Tok::kOp, op, line});
        return p + 2;
      }
    }
    static const std::string kOps1 = "+-/*%~[](){}=<>.:|,;";
    SWIFT_CHECK(kOps1.find(c) != std::string::npos,
                "[jinja] line {}: unexpected character '{}' in tag", line, c);
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    tokens_.push_back(Token{Tok::kOp, std::string(1, c), line});
    return p + 1;
  }

  std::size_t lex_number(std::size_t p, int line) {
    std::size_t e = p;
    auto digits = [&] {
      while (e < src_.size() &&
             (std::isdigit(static_cast<unsigned char>(src_[e])) || src_[e] == '_'))
        ++e;
    };
    digits();
    bool is_float = false;
    if (e + 1 < src_.size() && src_[e] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[e + 1]))) {
      is_float = true;
      ++e;
      digits();
    }
    if (e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      std::size_t q = e + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && std::isdigit(static_cast<unsigned char>(src_[q]))) {
        is_float = true;
        e = q;
        digits();
      }
    }
    std::string num;
    for (std::size_t i = p; i < e; ++i)
      if (src_[i] != '_') num += src_[i];
    tokens_.push_back(Token{is_float ? Tok::kFloat : Tok::kInt, num, line});
    return e;
  }

  // Python string escapes (jinja2 decodes literals with unicode-escape).
  std::size_t lex_string(std::size_t p, int line) {
    char q = src_[p];
    std::string out;
    std::size_t i = p + 1;
    while (true) {
      SWIFT_CHECK(i < src_.size(), "[jinja] line {}: unterminated string literal", line);
      char c = src_[i];
      if (c == q) break;
      if (c != '\\' || i + 1 >= src_.size()) {
        out += c;
        ++i;
        continue;
      }
      char n = src_[i + 1];
      i += 2;
      switch (n) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'v':
          out += '\v';
          break;
        case '\n':
          break;
        case 'x':
        case 'u':
        case 'U': {
          std::size_t len = n == 'x' ? 2 : (n == 'u' ? 4 : 8);
          SWIFT_CHECK(i + len <= src_.size(), "[jinja] line {}: truncated \\{} escape", line, n);
          std::string hex(src_.substr(i, len));
          for (char h : hex)
            SWIFT_CHECK(std::isxdigit(static_cast<unsigned char>(h)),
                        "[jinja] line {}: bad \\{} escape", line, n);
          unsigned long cp = std::stoul(hex, nullptr, 16);
          SWIFT_CHECK(cp <= 0x10ffff, "[jinja] line {}: escape out of range", line);
          utf8_append(out, static_cast<char32_t>(cp));
          i += len;
          break;
        }
        default:
          if (n >= '0' && n <= '7') {
            unsigned cp = n - '0';
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k)
              cp = cp * 8 + (src_[i++] - '0');
            utf8_append(out, cp);
          } else {
            out += '\\';
            out += n;
          }
      }
    }
    tokens_.push_back(Token{Tok::kString, std::move(out), line});
    return i + 1;
  }

  std::string_view src_;
  std::vector<Token> tokens_;
  std::size_t line_pos_ = 0;
  int line_ = 1;
};

}  // namespace

std::vector<Token> lex(std::string_view src) {
  return Lexer(src).run();
}

}  // namespace swift::jinja

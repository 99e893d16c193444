// Python string semantics for template strings. Case mapping is ASCII-only (non-ASCII letters
// keep their case), which is what chat templates need for role names and keywords.
#include "template/jinja/strops.h"

#include <cctype>
#include <cstdio>

#include "core/error.h"
#include "template/jinja/interp.h"

namespace swift::jinja {

bool py_is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

std::string py_strip(const std::string& s, const std::string* chars, bool left, bool right) {
  std::u32string set = chars ? utf8_decode(*chars) : std::u32string();
  auto strip_me = [&](char32_t c) {
    return chars ? set.find(c) != std::u32string::npos : py_is_space(c);
  };
  if (is_ascii(s) && (!chars || is_ascii(*chars))) {
    std::size_t b = 0, e = s.size();
    if (left)
      while (b < e && strip_me(static_cast<unsigned char>(s[b]))) ++b;
    if (right)
      while (e > b && strip_me(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
  }
  std::u32string u = utf8_decode(s);
  std::size_t b = 0, e = u.size();
  if (left)
    while (b < e && strip_me(u[b])) ++b;
  if (right)
    while (e > b && strip_me(u[e - 1])) --e;
  return utf8_encode(u.substr(b, e - b));
}

std::vector<std::string> py_split(const std::string& s,
                                  const std::string* sep,
                                  std::int64_t maxsplit,
                                  bool from_right) {
  std::vector<std::string> out;
  if (sep) {
    SWIFT_CHECK(!sep->empty(), "[jinja] split(): empty separator");
    if (!from_right) {
      std::size_t start = 0;
      while (maxsplit < 0 || static_cast<std::int64_t>(out.size()) < maxsplit) {
        std::size_t p = s.find(*sep, start);
        if (p == std::string::npos) break;
        out.push_back(s.substr(start, p - start));
        start = p + sep->size();
      }
      out.push_back(s.substr(start));
      return out;
    }
    std::size_t end = s.size();
    std::vector<std::string> rev;
    while (maxsplit < 0 || static_cast<std::int64_t>(rev.size()) < maxsplit) {
      if (end < sep->size()) break;
      std::size_t p = s.rfind(*sep, end - sep->size());
      if (p == std::string::npos) break;
      rev.push_back(s.substr(p + sep->size(), end - p - sep->size()));
      end = p;
    }
    rev.push_back(s.substr(0, end));
    return std::vector<std::string>(rev.rbegin(), rev.rend());
  }
  // Whitespace split: runs of whitespace separate, empty fields are dropped.
  std::u32string u = utf8_decode(s);
  std::vector<std::pair<std::size_t, std::size_t>> fields;
  std::size_t i = 0;
  while (i < u.size()) {
    while (i < u.size() && py_is_space(u[i])) ++i;
    if (i == u.size()) break;
    std::size_t b = i;
    while (i < u.size() && !py_is_space(u[i])) ++i;
    fields.emplace_back(b, i);
  }
  if (maxsplit < 0 || static_cast<std::int64_t>(fields.size()) <= maxsplit + 0) {
    for (auto [b, e] : fields) out.push_back(utf8_encode(u.substr(b, e - b)));
    return out;
  }
  std::size_t k = static_cast<std::size_t>(maxsplit);
  if (!from_right) {
    for (std::size_t f = 0; f < k; ++f)
      out.push_back(utf8_encode(u.substr(fields[f].first, fields[f].second - fields[f].first)));
    std::size_t rest = fields[k].first;
    std::size_t end = u.size();
    while (end > rest && py_is_space(u[end - 1])) --end;
    out.push_back(utf8_encode(u.substr(rest, end - rest)));
    return out;
  }
  std::size_t first_kept = fields.size() - k;
  std::size_t b = 0;
  while (b < u.size() && py_is_space(u[b])) ++b;
  out.push_back(utf8_encode(u.substr(b, fields[first_kept - 1].second - b)));
  for (std::size_t f = first_kept; f < fields.size(); ++f)
    out.push_back(utf8_encode(u.substr(fields[f].first, fields[f].second - fields[f].first)));
  return out;
}

// Simple case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic: the scripts whose
// role names and keywords templates are likely to upper/lower. Other code points are unchanged.
char32_t cp_upper(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 32;
  if (c == 0xff) return 0x178;
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) return c & ~1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1u) ? c : c - 1;
  if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) return c - 32;
  if (c == 0x3c2) return 0x3a3;
  if (c >= 0x430 && c <= 0x44f) return c - 32;
  if (c >= 0x450 && c <= 0x45f) return c - 80;
  return c;
}

char32_t cp_lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if ((c >= 0xc0 && c <= 0xde && c != 0xd7)) return c + 32;
  if (c == 0x178) return 0xff;
  if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) return c | 1u;
  if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) return (c & 1u) ? c + 1 : c;
  if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 32;
  if (c >= 0x410 && c <= 0x42f) return c + 32;
  if (c >= 0x400 && c <= 0x40f) return c + 80;
  return c;
}

namespace {
std::string map_case(const std::string& s, char32_t (*f)(char32_t)) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : utf8_decode(s)) {
    if (c == 0xdf && f == cp_upper) {
      out += "SS";  // the one common full case mapping: German sharp s
      continue;
    }
    utf8_append(out, f(c));
  }
  return out;
}
}  // namespace

std::string ascii_upper(std::string s) {
  if (!is_ascii(s)) return map_case(s, cp_upper);
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return s;
}

std::string ascii_lower(std::string s) {
  if (!is_ascii(s)) return map_case(s, cp_lower);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

namespace {
bool is_cased(unsigned char c) {
  return std::isalpha(c) || c >= 0x80;
}
}  // namespace

namespace {
bool cased_cp(char32_t c) {
  return cp_upper(c) != c || cp_lower(c) != c;
}
}  // namespace

std::string py_title(const std::string& s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : utf8_decode(s)) {
    bool cased = cased_cp(c);
    utf8_append(out, cased ? (prev_cased ? cp_lower(c) : cp_upper(c)) : c);
    prev_cased = cased;
  }
  return out;
}

std::string jinja_title(const std::string& s) {
  std::string out;
  bool word_start = true;
  for (char32_t c : utf8_decode(s)) {
    bool sep = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_is_space(c);
    if (sep) {
      word_start = true;
      utf8_append(out, c);
      continue;
    }
    utf8_append(out, word_start ? cp_upper(c) : cp_lower(c));
    word_start = false;
  }
  return out;
}

std::string py_capitalize(const std::string& s) {
  std::string out;
  bool first = true;
  for (char32_t c : utf8_decode(s)) {
    utf8_append(out, first ? cp_upper(c) : cp_lower(c));
    first = false;
  }
  return out;
}

std::string py_replace(Interp& in,
                       const std::string& s,
                       const std::string& old_s,
                       const std::string& new_s,
                       std::int64_t count) {
  std::string out;
  if (old_s.empty()) {
    // Python inserts `new` between every character (and at both ends).
    std::u32string u = utf8_decode(s);
    std::int64_t n = 0;
    for (std::size_t i = 0; i <= u.size(); ++i) {
      if (count < 0 || n < count) {
        out += new_s;
        ++n;
      }
      if (i < u.size()) utf8_append(out, u[i]);
      in.check_size(out.size());
    }
    return out;
  }
  std::size_t pos = 0;
  std::int64_t n = 0;
  while (count < 0 || n < count) {
    std::size_t p = s.find(old_s, pos);
    if (p == std::string::npos) break;
    out.append(s, pos, p - pos);
    out += new_s;
    in.check_size(out.size());
    pos = p + old_s.size();
    ++n;
  }
  out.append(s, pos, std::string::npos);
  in.check_size(out.size());
  return out;
}

bool py_is(const std::string& s, const std::string& m) {
  if (s.empty()) return false;
  bool any_cased = false;
  for (unsigned char c : s) {
    if (m == "isdigit" || m == "isnumeric" || m == "isdecimal") {
      if (!std::isdigit(c)) return false;
    } else if (m == "isalpha") {
      if (!(std::isalpha(c) || c >= 0x80)) return false;
    } else if (m == "isalnum") {
      if (!(std::isalnum(c) || c >= 0x80)) return false;
    } else if (m == "isspace") {
      if (!(c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))) return false;
    } else if (m == "isupper") {
      if (std::islower(c)) return false;
      any_cased = any_cased || std::isupper(c);
    } else if (m == "islower") {
      if (std::isupper(c)) return false;
      any_cased = any_cased || std::islower(c);
    }
  }
  return (m == "isupper" || m == "islower") ? any_cased : true;
}

std::string py_format(Interp& in, const std::string& fmt, const CallArgs& args) {
  std::string out;
  std::size_t auto_index = 0;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    std::size_t close = fmt.find('}', i);
    SWIFT_CHECK(close != std::string::npos, "[jinja] format(): unmatched '{{'");
    std::string field = fmt.substr(i + 1, close - i - 1);
    SWIFT_CHECK(field.find_first_of(":!") == std::string::npos,
                "[jinja] format(): format specs and conversions are not supported ('{}')", field);
    Value v;
    if (field.empty()) {
      SWIFT_CHECK(auto_index < args.pos.size(), "[jinja] format(): not enough arguments");
      v = args.pos[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
      std::size_t k = std::stoul(field);
      SWIFT_CHECK(k < args.pos.size(), "[jinja] format(): index {} out of range", k);
      v = args.pos[k];
    } else {
      bool found = false;
      for (const auto& [name, val] : args.kw) {
        if (name == field) {
          v = val;
          found = true;
        }
      }
      SWIFT_CHECK(found, "[jinja] format(): missing keyword '{}'", field);
    }
    out += to_str(v);
    in.check_size(out.size());
    i = close;
  }
  return out;
}

std::string py_format_percent(Interp& in, const std::string& fmt, const Value& args) {
  std::vector<Value> items;
  if (args.is_list() && args.list_ref().tuple)
    items = args.list_ref().items;
  else
    items.push_back(args);
  std::size_t k = 0;
  std::string out;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    SWIFT_CHECK(i + 1 < fmt.size(), "[jinja] '%' format: incomplete format");
    std::size_t j = i + 1;
    std::string spec;
    while (j < fmt.size() && std::string("-+ #0123456789.").find(fmt[j]) != std::string::npos)
      spec += fmt[j++];
    SWIFT_CHECK(j < fmt.size(), "[jinja] '%' format: incomplete format");
    char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    SWIFT_CHECK(k < items.size(), "[jinja] '%' format: not enough arguments for format string");
    const Value& v = items[k++];
    SWIFT_CHECK(spec.size() < 16, "[jinja] '%' format: spec too long");
    char buf[512];
    if (conv == 's' || conv == 'r') {
      std::string sv = conv == 's' ? to_str(v) : to_repr(v);
      bool left = spec.find('-') != std::string::npos;
      std::size_t dot = spec.find('.');
      std::string width_s = spec.substr(0, dot);
      width_s.erase(0, width_s.find_first_of("0123456789"));
      long width = width_s.empty() ? 0 : std::strtol(width_s.c_str(), nullptr, 10);
      if (dot != std::string::npos) {
        std::u32string u = utf8_decode(sv);
        long prec = std::strtol(spec.c_str() + dot + 1, nullptr, 10);
        if (prec >= 0 && static_cast<std::size_t>(prec) < u.size())
          sv = utf8_encode(u.substr(0, prec));
      }
      long len = static_cast<long>(utf8_length(sv));
      std::string pad =
          width > len ? std::string(static_cast<std::size_t>(std::min(width - len, 1L << 20)), ' ')
                      : "";
      out += left ? sv + pad : pad + sv;
    } else if (conv == 'd' || conv == 'i') {
      SWIFT_CHECK(v.is_number(), "[jinja] %d format: a number is required, not {}", v.type_name());
      std::snprintf(buf, sizeof(buf), ("%" + spec + "lld").c_str(),
                    static_cast<long long>(v.to_int()));
      out += buf;
    } else if (conv == 'f' || conv == 'e' || conv == 'g' || conv == 'F' || conv == 'E' ||
               conv == 'G') {
      SWIFT_CHECK(v.is_number(), "[jinja] %{} format: a number is required", conv);
      std::snprintf(buf, sizeof(buf), ("%" + spec + conv).c_str(), v.as_double());
      out += buf;
    } else if (conv == 'x' || conv == 'X' || conv == 'o') {
      SWIFT_CHECK(v.is_number() && !v.is_float(), "[jinja] %{} format: an integer is required",
                  conv);
      std::snprintf(buf, sizeof(buf), ("%" + spec + "ll" + conv).c_str(),
                    static_cast<long long>(v.as_int()));
      out += buf;
    } else {
      SWIFT_FAIL("[jinja] '%' format: unsupported format character '{}'", conv);
    }
    in.check_size(out.size());
  }
  SWIFT_CHECK(k == items.size() || !(args.is_list() && args.list_ref().tuple),
              "[jinja] '%' format: not all arguments converted during string formatting");
  return out;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace swift::jinja

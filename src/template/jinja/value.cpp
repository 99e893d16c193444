// Python semantics of template values: truthiness, equality/ordering, str()/repr() (what jinja2
// prints for lists, dicts, floats, None), json.dumps as transformers' tojson calls it, and UTF-8
// helpers for code-point indexing.
#include "template/jinja/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace swift::jinja {

const Value* Dict::find(const Value& key) const {
  auto it = index.find(key_of(key));
  return it == index.end() ? nullptr : &entries[it->second].second;
}

void Dict::set(const Value& key, Value v) {
  std::string k = key_of(key);
  auto it = index.find(k);
  if (it != index.end()) {
    entries[it->second].second = std::move(v);
    return;
  }
  index.emplace(std::move(k), entries.size());
  entries.emplace_back(key, std::move(v));
}

std::optional<Value> CallArgs::take(const std::string& name, std::size_t pos_index) const {
  for (const auto& [k, v] : kw)
    if (k == name) return v;
  if (pos_index < pos.size()) return pos[pos_index];
  return std::nullopt;
}

Value Value::list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<List>();
  l->items = std::move(items);
  l->tuple = tuple;
  return Value(std::move(l));
}

Value Value::dict() {
  return Value(std::make_shared<Dict>());
}

Value Value::func(std::string name, std::function<Value(Interp&, const CallArgs&)> fn) {
  auto f = std::make_shared<Func>();
  f->name = std::move(name);
  f->fn = std::move(fn);
  return Value(std::move(f));
}

namespace {
template <class J>
Value from_json_impl(const J& j, int depth) {
  SWIFT_CHECK(depth <= 512, "[jinja] template data nested deeper than 512 levels");
  switch (j.type()) {
    case nlohmann::detail::value_t::null:
      return Value::none();
    case nlohmann::detail::value_t::boolean:
      return Value(j.template get<bool>());
    case nlohmann::detail::value_t::number_integer:
      return Value(j.template get<std::int64_t>());
    case nlohmann::detail::value_t::number_unsigned: {
      auto u = j.template get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<std::int64_t>(u));
    }
    case nlohmann::detail::value_t::number_float:
      return Value(j.template get<double>());
    case nlohmann::detail::value_t::string:
      return Value(j.template get<std::string>());
    case nlohmann::detail::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_impl(e, depth + 1));
      return Value::list(std::move(items));
    }
    case nlohmann::detail::value_t::object: {
      Value d = Value::dict();
      for (auto it = j.begin(); it != j.end(); ++it)
        d.dict_ref().set(Value(it.key()), from_json_impl(*it, depth + 1));
      return d;
    }
    default:
      return Value::none();
  }
}

}  // namespace

Value Value::from_json(const nlohmann::json& j, int depth) {
  return from_json_impl(j, depth);
}
Value Value::from_json(const nlohmann::ordered_json& j, int depth) {
  return from_json_impl(j, depth);
}

std::int64_t Value::as_int() const {
  if (is_bool()) return as_bool() ? 1 : 0;
  return std::get<std::int64_t>(v_);
}

std::int64_t Value::to_int() const {
  if (!is_float()) return as_int();
  const double d = std::trunc(std::get<double>(v_));
  // 2^63 is exactly representable; every double in [-2^63, 2^63) fits an int64.
  SWIFT_CHECK(std::isfinite(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0,
              "[jinja] cannot convert {} to an integer (beyond 64 bits)", std::get<double>(v_));
  return static_cast<std::int64_t>(d);
}

double Value::as_double() const {
  if (is_float()) return std::get<double>(v_);
  return static_cast<double>(as_int());
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_double() != 0.0;
    case Kind::kString:
      return !str_ref().empty();
    case Kind::kList:
      return !list_ref().items.empty();
    case Kind::kDict:
      return dict_ref().is_namespace || !dict_ref().entries.empty();
    case Kind::kFunc:
      return true;
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return list_ref().tuple ? "tuple" : "list";
    case Kind::kDict:
      return dict_ref().is_namespace ? "Namespace" : "dict";
    case Kind::kFunc:
      return "function";
  }
  return "object";
}

// ---- numbers ------------------------------------------------------------------------------

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest digit string that round-trips, then Python's layout rules for repr(float).
  char buf[64];
  int prec = 1;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s(buf);
  bool neg = s[0] == '-';
  if (neg) s.erase(0, 1);
  std::size_t epos = s.find('e');
  int exp = std::atoi(s.c_str() + epos + 1);
  std::string digits;
  for (std::size_t i = 0; i < epos; ++i)
    if (s[i] != '.') digits += s[i];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      if (static_cast<int>(digits.size()) <= exp + 1) {
        out = digits + std::string(exp + 1 - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
      }
    } else {
      out = "0." + std::string(-exp - 1, '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += eb;
  }
  return neg ? "-" + out : out;
}

// ---- UTF-8 ------------------------------------------------------------------------------

bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::u32string utf8_decode(const std::string& s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    char32_t cp;
    int n;
    if (c < 0x80) {
      cp = c, n = 1;
    } else if ((c >> 5) == 0x6) {
      cp = c & 0x1f, n = 2;
    } else if ((c >> 4) == 0xe) {
      cp = c & 0x0f, n = 3;
    } else if ((c >> 3) == 0x1e) {
      cp = c & 0x07, n = 4;
    } else {
      out.push_back(0xfffd);  // invalid lead byte: keep going like errors="replace"
      ++i;
      continue;
    }
    if (i + n > s.size()) {
      out.push_back(0xfffd);
      break;
    }
    bool ok = true;
    for (int k = 1; k < n; ++k) {
      unsigned char cc = s[i + k];
      if ((cc >> 6) != 0x2) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok) {
      out.push_back(0xfffd);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

void utf8_append(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

std::string utf8_encode(const std::u32string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) utf8_append(out, c);
  return out;
}

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

// ---- str / repr ---------------------------------------------------------------------------

namespace {

// Python escapes non-printable code points in repr(); this covers the categories that matter in
// practice (controls, separators other than space, format characters).
bool py_printable(char32_t c) {
  if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad) return false;
  if ((c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
      (c >= 0x205f && c <= 0x206f) || c == 0x3000 || c == 0xfeff || c == 0x1680)
    return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return true;
}

std::string string_repr(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (char32_t c : utf8_decode(s)) {
    if (c == static_cast<char32_t>(q) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (!py_printable(c)) {
      char buf[16];
      if (c < 0x100)
        std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000)
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      else
        std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    } else {
      utf8_append(out, c);
    }
  }
  out += q;
  return out;
}

}  // namespace

namespace {
// Containers can become cyclic through namespace attributes (`set ns.me = ns`); every recursive
// walk goes through this guard so a cycle is an error, not a stack overflow.
thread_local int g_walk_depth = 0;
struct WalkGuard {
  WalkGuard() {
    if (g_walk_depth >= 256) SWIFT_FAIL("[jinja] value nested deeper than 256 levels (cyclic?)");
    ++g_walk_depth;
  }
  ~WalkGuard() { --g_walk_depth; }
  WalkGuard(const WalkGuard&) = delete;
  WalkGuard& operator=(const WalkGuard&) = delete;
};
}  // namespace

std::string to_repr(const Value& v) {
  WalkGuard guard;
  switch (v.kind()) {
    case Kind::kString:
      return string_repr(v.str_ref());
    case Kind::kList: {
      const List& l = v.list_ref();
      std::string out = l.tuple ? "(" : "[";
      for (std::size_t i = 0; i < l.items.size(); ++i) {
        if (i) out += ", ";
        out += to_repr(l.items[i]);
      }
      if (l.tuple && l.items.size() == 1) out += ",";
      out += l.tuple ? ")" : "]";
      return out;
    }
    case Kind::kDict: {
      const Dict& d = v.dict_ref();
      std::string out = d.is_namespace ? "<Namespace {" : "{";
      for (std::size_t i = 0; i < d.entries.size(); ++i) {
        if (i) out += ", ";
        out += to_repr(d.entries[i].first) + ": " + to_repr(d.entries[i].second);
      }
      out += d.is_namespace ? "}>" : "}";
      return out;
    }
    case Kind::kUndefined:
      return "Undefined";
    default:
      return to_str(v);
  }
}

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return v.as_bool() ? "True" : "False";
    case Kind::kInt:
      return std::to_string(v.as_int());
    case Kind::kFloat:
      return float_repr(v.as_double());
    case Kind::kString:
      return v.str_ref();
    case Kind::kFunc:
      return "<function " + v.func_ref().name + ">";
    default:
      return to_repr(v);
  }
}

// ---- comparisons --------------------------------------------------------------------------

std::string key_of(const Value& v) {
  switch (v.kind()) {
    case Kind::kString:
      return "s" + v.str_ref();
    case Kind::kBool:
    case Kind::kInt:
      return "i" + std::to_string(v.as_int());
    case Kind::kFloat: {
      double d = v.as_double();
      if (std::floor(d) == d && std::fabs(d) < 9e18)
        return "i" + std::to_string(static_cast<std::int64_t>(d));
      return "f" + float_repr(d);
    }
    case Kind::kNone:
      return "n";
    case Kind::kList:
      if (v.list_ref().tuple) {
        std::string k = "t";
        for (const auto& e : v.list_ref().items) k += key_of(e) + "\x1f";
        return k;
      }
      break;
    default:
      break;
  }
  SWIFT_FAIL("[jinja] unhashable type: '{}'; dict keys must be strings, numbers or None",
             v.type_name());
}

bool equals(const Value& a, const Value& b) {
  WalkGuard guard;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.str_ref() == b.str_ref();
    case Kind::kList: {
      const auto& x = a.list_ref().items;
      const auto& y = b.list_ref().items;
      if (x.size() != y.size() || a.list_ref().tuple != b.list_ref().tuple) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!equals(x[i], y[i])) return false;
      return true;
    }
    case Kind::kDict: {
      const Dict& x = a.dict_ref();
      const Dict& y = b.dict_ref();
      if (&x == &y) return true;
      if (x.is_namespace || y.is_namespace) return false;
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [k, val] : x.entries) {
        const Value* o = y.find(k);
        if (!o || !equals(val, *o)) return false;
      }
      return true;
    }
    case Kind::kFunc:
      return &a.func_ref() == &b.func_ref();
    default:
      return false;
  }
}

bool less_than(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.str_ref() < b.str_ref();  // UTF-8 keeps order
  if (a.is_list() && b.is_list()) {
    const auto& x = a.list_ref().items;
    const auto& y = b.list_ref().items;
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return less_than(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  SWIFT_FAIL("[jinja] '<' not supported between instances of '{}' and '{}'", a.type_name(),
             b.type_name());
}

// ---- JSON ---------------------------------------------------------------------------------

namespace {

void json_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  for (char32_t c : utf8_decode(s)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || (ensure_ascii && c >= 0x7f)) {
          char buf[16];
          if (c >= 0x10000) {
            char32_t v = c - 0x10000;
            std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x",
                          static_cast<unsigned>(0xd800 + (v >> 10)),
                          static_cast<unsigned>(0xdc00 + (v & 0x3ff)));
          } else {
            std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          }
          out += buf;
        } else {
          utf8_append(out, c);
        }
    }
  }
  out += '"';
}

std::string json_key(const Value& k) {
  switch (k.kind()) {
    case Kind::kString:
      return k.str_ref();
    case Kind::kBool:
      return k.as_bool() ? "true" : "false";
    case Kind::kNone:
      return "null";
    case Kind::kInt:
    case Kind::kFloat:
      return to_str(k);
    default:
      SWIFT_FAIL("[jinja] tojson: keys must be str, int, float, bool or None, not {}",
                 k.type_name());
  }
}

void json_dump(std::string& out, const Value& v, const JsonOptions& o, int level, int depth) {
  SWIFT_CHECK(depth < 256, "[jinja] tojson: value nested deeper than 256 levels");
  const std::string& item_sep = o.item_sep.empty() ? (o.indent >= 0 ? "," : ", ") : o.item_sep;
  const std::string& key_sep = o.key_sep.empty() ? ": " : o.key_sep;
  auto newline = [&](int lvl) {
    if (o.indent < 0) return;
    out += '\n';
    out.append(static_cast<std::size_t>(o.indent) * lvl, ' ');
  };
  switch (v.kind()) {
    case Kind::kNone:
      out += "null";
      return;
    case Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Kind::kFloat: {
      double d = v.as_double();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d < 0 ? "-Infinity" : "Infinity";
      else
        out += float_repr(d);
      return;
    }
    case Kind::kString:
      json_string(out, v.str_ref(), o.ensure_ascii);
      return;
    case Kind::kList: {
      const auto& items = v.list_ref().items;
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        json_dump(out, items[i], o, level + 1, depth + 1);
      }
      newline(level);
      out += ']';
      return;
    }
    case Kind::kDict: {
      const Dict& d = v.dict_ref();
      if (d.entries.empty()) {
        out += "{}";
        return;
      }
      std::vector<std::pair<std::string, const Value*>> entries;
      for (const auto& [k, val] : d.entries) entries.emplace_back(json_key(k), &val);
      if (o.sort_keys)
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
      out += '{';
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i) out += item_sep;
        newline(level + 1);
        json_string(out, entries[i].first, o.ensure_ascii);
        out += key_sep;
        json_dump(out, *entries[i].second, o, level + 1, depth + 1);
      }
      newline(level);
      out += '}';
      return;
    }
    default:
      SWIFT_FAIL("[jinja] tojson: Object of type {} is not JSON serializable", v.type_name());
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonOptions& opt) {
  std::string out;
  json_dump(out, v, opt, 0, 0);
  return out;
}

nlohmann::json to_nlohmann(const Value& v) {
  WalkGuard guard;
  switch (v.kind()) {
    case Kind::kNone:
    case Kind::kUndefined:
      return nullptr;
    case Kind::kBool:
      return v.as_bool();
    case Kind::kInt:
      return v.as_int();
    case Kind::kFloat:
      return v.as_double();
    case Kind::kString:
      return v.str_ref();
    case Kind::kList: {
      auto a = nlohmann::json::array();
      for (const auto& e : v.list_ref().items) a.push_back(to_nlohmann(e));
      return a;
    }
    case Kind::kDict: {
      auto o = nlohmann::json::object();
      for (const auto& [k, val] : v.dict_ref().entries) o[to_str(k)] = to_nlohmann(val);
      return o;
    }
    default:
      return to_str(v);
  }
}

}  // namespace swift::jinja

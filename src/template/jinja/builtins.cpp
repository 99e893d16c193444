// jinja2's filters and tests as chat templates use them (plus transformers' tojson), and the
// globals transformers' environment provides: range, dict, namespace, raise_exception,
// strftime_now. Each one bounds the size of what it builds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "core/error.h"
#include "template/jinja/interp.h"
#include "template/jinja/jinja.h"
#include "template/jinja/strops.h"

namespace swift::jinja {

std::vector<Value> iterate(const Value& v, int line) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return {};
    case Kind::kList:
      return v.list_ref().items;
    case Kind::kDict: {
      std::vector<Value> keys;
      for (const auto& e : v.dict_ref().entries) keys.push_back(e.first);
      return keys;
    }
    case Kind::kString: {
      std::vector<Value> out;
      for (char32_t c : utf8_decode(v.str_ref())) {
        std::string s;
        utf8_append(s, c);
        out.emplace_back(std::move(s));
      }
      return out;
    }
    default:
      SWIFT_FAIL("[jinja] line {}: '{}' object is not iterable", line, v.type_name());
  }
}

bool contains(const Value& c, const Value& item, int line) {
  switch (c.kind()) {
    case Kind::kUndefined:
      return false;
    case Kind::kString:
      SWIFT_CHECK(item.is_string(),
                  "[jinja] line {}: 'in <string>' requires string as left operand, not {}", line,
                  item.type_name());
      return c.str_ref().find(item.str_ref()) != std::string::npos;
    case Kind::kList:
      for (const auto& x : c.list_ref().items)
        if (equals(x, item)) return true;
      return false;
    case Kind::kDict:
      return c.dict_ref().find(item) != nullptr;
    default:
      SWIFT_FAIL("[jinja] line {}: argument of type '{}' is not iterable", line, c.type_name());
  }
}

namespace {

bool bool_arg(const CallArgs& a, const char* name, std::size_t pos, bool def) {
  auto v = a.take(name, pos);
  return v ? v->truthy() : def;
}

std::int64_t int_arg(const CallArgs& a, const char* name, std::size_t pos, std::int64_t def) {
  auto v = a.take(name, pos);
  if (!v || v->is_none()) return def;
  SWIFT_CHECK(v->is_number(), "[jinja] argument '{}' must be a number", name);
  return v->to_int();
}

// Dotted attribute path for map/selectattr/sort(attribute=...): "a.b" or "a.0".
Value attr_path(Interp& in, const Value& v, const std::string& path) {
  Value cur = v;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (cur.is_undefined()) return cur;
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    cur = digits ? get_item(in, cur, Value(static_cast<std::int64_t>(std::stoll(part))))
                 : get_item(in, cur, Value(part));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

// Sort key that ignores case for strings unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(ascii_lower(v.str_ref()));
  return v;
}

CallArgs shift(const CallArgs& a, std::size_t n) {
  CallArgs r;
  for (std::size_t i = n; i < a.pos.size(); ++i) r.pos.push_back(a.pos[i]);
  r.kw = a.kw;
  return r;
}

Value select_like(
    Interp& in, const Value& v, const CallArgs& a, bool by_attr, bool keep, int line) {
  std::vector<Value> out;
  std::string attr;
  std::size_t next = 0;
  if (by_attr) {
    SWIFT_CHECK(!a.pos.empty() && a.pos[0].is_string(),
                "[jinja] selectattr needs an attribute name");
    attr = a.pos[0].str_ref();
    next = 1;
  }
  std::string test;
  if (next < a.pos.size()) {
    SWIFT_CHECK(a.pos[next].is_string(), "[jinja] select: test name must be a string");
    test = a.pos[next].str_ref();
  }
  CallArgs targs = shift(a, next + 1);
  for (const auto& item : iterate(v, line)) {
    in.tick();
    Value probe = by_attr ? attr_path(in, item, attr) : item;
    bool ok = test.empty() ? probe.truthy() : apply_test(in, test, probe, targs, line);
    if (ok == keep) out.push_back(item);
  }
  return Value::list(std::move(out));
}

// What Python's int()/float() accept: surrounding whitespace and single underscores between
// digits, but no hex (strtod would take "0x1A"). Returns "" for text Python rejects.
std::string py_number_text(const std::string& raw) {
  std::string s = py_strip(raw, nullptr, true, true);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == 'x' || c == 'X' || c == 'p' || c == 'P') return "";
    if (c == '_') {
      bool ok = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!ok) return "";
      continue;
    }
    out += c;
  }
  return out;
}

double py_round(double x, std::int64_t ndigits) {
  if (std::isnan(x) || std::isinf(x)) return x;
  ndigits = std::clamp<std::int64_t>(ndigits, -300, 300);
  if (ndigits < 0) {
    double p = std::pow(10.0, static_cast<double>(-ndigits));
    return std::nearbyint(x / p) * p;
  }
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::min<std::int64_t>(ndigits, 100)),
                x);
  return std::strtod(buf, nullptr);
}

std::string indent_text(const std::string& s, const std::string& pad, bool first, bool blank) {
  std::string out;
  std::size_t start = 0;
  bool is_first = true;
  while (true) {
    std::size_t nl = s.find('\n', start);
    std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    bool add = is_first ? first : (blank || !line.empty());
    if (is_first && first && !blank && line.empty()) add = false;
    if (add) out += pad;
    out += line;
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    is_first = false;
  }
  return out;
}

}  // namespace

Value apply_filter(
    Interp& in, const std::string& name, const Value& v, const CallArgs& a, int line) {
  if (name == "tojson") {
    JsonOptions o;
    auto ind = a.take("indent", 0);
    if (ind && !ind->is_none())
      o.indent = static_cast<int>(std::clamp<std::int64_t>(ind->as_int(), 0, 64));
    o.ensure_ascii = bool_arg(a, "ensure_ascii", 99, false);
    o.sort_keys = bool_arg(a, "sort_keys", 99, false);
    auto seps = a.take("separators", 99);
    if (seps && seps->is_list() && seps->list_ref().items.size() == 2) {
      o.item_sep = to_str(seps->list_ref().items[0]);
      o.key_sep = to_str(seps->list_ref().items[1]);
    }
    std::string s = to_json(v, o);
    in.check_size(s.size());
    return Value(std::move(s));
  }
  if (name == "safe" || name == "string") return Value(to_str(v));
  if (name == "escape" || name == "e" || name == "forceescape")
    return Value(html_escape(to_str(v)));
  if (name == "trim") {
    auto chars = a.take("chars", 0);
    std::string cs = chars && !chars->is_none() ? to_str(*chars) : "";
    return Value(py_strip(to_str(v), chars && !chars->is_none() ? &cs : nullptr, true, true));
  }
  if (name == "upper") return Value(ascii_upper(to_str(v)));
  if (name == "lower") return Value(ascii_lower(to_str(v)));
  if (name == "title") return Value(jinja_title(to_str(v)));
  if (name == "capitalize") return Value(py_capitalize(to_str(v)));
  if (name == "length" || name == "count") {
    if (v.is_string()) return Value(static_cast<std::int64_t>(utf8_length(v.str_ref())));
    if (v.is_list()) return Value(static_cast<std::int64_t>(v.list_ref().items.size()));
    if (v.is_dict()) return Value(static_cast<std::int64_t>(v.dict_ref().entries.size()));
    if (v.is_undefined()) return Value(static_cast<std::int64_t>(0));
    SWIFT_FAIL("[jinja] line {}: object of type '{}' has no len()", line, v.type_name());
  }
  if (name == "default" || name == "d") {
    Value def = a.take("default_value", 0).value_or(Value(""));
    bool boolean = bool_arg(a, "boolean", 1, false);
    if (v.is_undefined() || (boolean && !v.truthy())) return def;
    return v;
  }
  if (name == "first" || name == "last") {
    std::vector<Value> items = iterate(v, line);
    if (items.empty()) return Value::undefined("No first item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "join") {
    std::string sep = to_str(a.take("d", 0).value_or(Value("")));
    auto attr = a.take("attribute", 1);
    std::string out;
    bool first = true;
    for (const auto& item : iterate(v, line)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attr && !attr->is_none() ? attr_path(in, item, to_str(*attr)) : item);
      in.check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "replace") {
    auto o = a.take("old", 0), n = a.take("new", 1);
    SWIFT_CHECK(o && n, "[jinja] line {}: replace needs old and new", line);
    return Value(py_replace(in, to_str(v), to_str(*o), to_str(*n), int_arg(a, "count", 2, -1)));
  }
  if (name == "int") {
    std::int64_t def = int_arg(a, "default", 0, 0);
    if (v.is_number()) return Value(v.to_int());
    if (v.is_string()) {
      std::string s = py_number_text(v.str_ref());
      char* end = nullptr;
      errno = 0;
      long long x = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0' && errno == 0) return Value(static_cast<std::int64_t>(x));
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0' && std::isfinite(d) && std::fabs(d) < 9e18)
        return Value(static_cast<std::int64_t>(d));
    }
    return Value(def);
  }
  if (name == "float") {
    double def = a.take("default", 0).value_or(Value(0.0)).as_double();
    if (v.is_number()) return Value(v.as_double());
    if (v.is_string()) {
      std::string s = py_number_text(v.str_ref());
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && *end == '\0') return Value(d);
    }
    return Value(def);
  }
  if (name == "abs") {
    SWIFT_CHECK(v.is_number(), "[jinja] line {}: bad operand type for abs(): '{}'", line,
                v.type_name());
    if (v.is_float()) return Value(std::fabs(v.as_double()));
    SWIFT_CHECK(v.as_int() != INT64_MIN, "[jinja] integer overflow");
    return Value(static_cast<std::int64_t>(std::llabs(v.as_int())));
  }
  if (name == "round") {
    std::int64_t prec = int_arg(a, "precision", 0, 0);
    std::string method = to_str(a.take("method", 1).value_or(Value("common")));
    SWIFT_CHECK(v.is_number(), "[jinja] line {}: round needs a number", line);
    if (method == "common") {
      if (!v.is_float()) return Value(v.as_int());
      return Value(py_round(v.as_double(), prec));
    }
    SWIFT_CHECK(method == "floor" || method == "ceil",
                "[jinja] line {}: round method must be common, floor or ceil", line);
    double p = std::pow(10.0, static_cast<double>(std::clamp<std::int64_t>(prec, -300, 300)));
    double x = v.as_double() * p;
    return Value((method == "floor" ? std::floor(x) : std::ceil(x)) / p);
  }
  if (name == "list") return Value::list(iterate(v, line));
  if (name == "items") {
    if (v.is_undefined()) return Value::list();
    SWIFT_CHECK(v.is_dict(), "[jinja] line {}: items filter needs a mapping", line);
    std::vector<Value> out;
    for (const auto& [k, val] : v.dict_ref().entries) out.push_back(Value::list({k, val}, true));
    return Value::list(std::move(out));
  }
  if (name == "dictsort") {
    SWIFT_CHECK(v.is_dict(), "[jinja] line {}: dictsort needs a mapping", line);
    bool cs = bool_arg(a, "case_sensitive", 0, false);
    std::string by = to_str(a.take("by", 1).value_or(Value("key")));
    bool rev = bool_arg(a, "reverse", 2, false);
    std::vector<Value> out;
    for (const auto& [k, val] : v.dict_ref().entries) out.push_back(Value::list({k, val}, true));
    std::size_t idx = by == "value" ? 1 : 0;
    std::stable_sort(out.begin(), out.end(), [&](const Value& x, const Value& y) {
      return less_than(sort_key(x.list_ref().items[idx], cs),
                       sort_key(y.list_ref().items[idx], cs));
    });
    if (rev) std::reverse(out.begin(), out.end());
    return Value::list(std::move(out));
  }
  if (name == "sort") {
    bool rev = bool_arg(a, "reverse", 0, false);
    bool cs = bool_arg(a, "case_sensitive", 1, false);
    auto attr = a.take("attribute", 2);
    std::vector<Value> items = iterate(v, line);
    auto key = [&](const Value& x) {
      return sort_key(attr && !attr->is_none() ? attr_path(in, x, to_str(*attr)) : x, cs);
    };
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
      return rev ? less_than(key(y), key(x)) : less_than(key(x), key(y));
    });
    return Value::list(std::move(items));
  }
  if (name == "unique") {
    bool cs = bool_arg(a, "case_sensitive", 0, false);
    auto attr = a.take("attribute", 1);
    std::vector<Value> out, seen;
    for (const auto& x : iterate(v, line)) {
      in.tick();
      Value k = sort_key(attr && !attr->is_none() ? attr_path(in, x, to_str(*attr)) : x, cs);
      bool dup = false;
      for (const auto& s : seen) dup = dup || equals(s, k);
      if (!dup) {
        seen.push_back(k);
        out.push_back(x);
      }
    }
    return Value::list(std::move(out));
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::u32string u = utf8_decode(v.str_ref());
      std::reverse(u.begin(), u.end());
      return Value(utf8_encode(u));
    }
    std::vector<Value> items = iterate(v, line);
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "map") {
    std::vector<Value> out;
    auto attr = a.take("attribute", 99);
    if (attr) {
      auto def = a.take("default", 99);
      for (const auto& x : iterate(v, line)) {
        Value r = attr_path(in, x, to_str(*attr));
        out.push_back(r.is_undefined() && def ? *def : r);
      }
      return Value::list(std::move(out));
    }
    SWIFT_CHECK(!a.pos.empty() && a.pos[0].is_string(),
                "[jinja] line {}: map needs a filter name or attribute=", line);
    std::string f = a.pos[0].str_ref();
    CallArgs fargs = shift(a, 1);
    for (const auto& x : iterate(v, line)) {
      in.tick();
      out.push_back(apply_filter(in, f, x, fargs, line));
    }
    return Value::list(std::move(out));
  }
  if (name == "select") return select_like(in, v, a, false, true, line);
  if (name == "reject") return select_like(in, v, a, false, false, line);
  if (name == "selectattr") return select_like(in, v, a, true, true, line);
  if (name == "rejectattr") return select_like(in, v, a, true, false, line);
  if (name == "attr") {
    // jinja2's attr() is getattr only: a dict's keys are items, not attributes.
    std::string attr = to_str(a.take("name", 0).value_or(Value("")));
    if (v.is_dict() && !v.dict_ref().is_namespace) {
      static const char* kMethods[] = {"items", "keys", "values", "get", "copy"};
      for (const char* m : kMethods)
        if (attr == m) return get_attr(in, v, attr);
      return Value::undefined("'dict object' has no attribute '" + attr + "'");
    }
    return get_attr(in, v, attr);
  }
  if (name == "indent") {
    auto w = a.take("width", 0).value_or(Value(4));
    std::string pad =
        w.is_string()
            ? w.str_ref()
            : std::string(static_cast<std::size_t>(std::clamp<std::int64_t>(w.as_int(), 0, 1024)),
                          ' ');
    std::string out =
        indent_text(to_str(v), pad, bool_arg(a, "first", 1, false), bool_arg(a, "blank", 2, false));
    in.check_size(out.size());
    return Value(std::move(out));
  }
  if (name == "wordcount")
    return Value(static_cast<std::int64_t>(py_split(to_str(v), nullptr, -1, false).size()));
  if (name == "center") {
    std::int64_t width = std::clamp<std::int64_t>(int_arg(a, "width", 0, 80), 0, 1 << 20);
    std::string s = to_str(v);
    std::int64_t len = static_cast<std::int64_t>(utf8_length(s));
    if (width <= len) return Value(s);
    std::int64_t pad = width - len, left = pad / 2 + (pad & width & 1);
    return Value(std::string(left, ' ') + s + std::string(pad - left, ' '));
  }
  if (name == "batch") {
    std::int64_t n = int_arg(a, "linecount", 0, 1);
    SWIFT_CHECK(n > 0, "[jinja] line {}: batch size must be positive", line);
    auto fill = a.take("fill_with", 1);
    std::vector<Value> out, cur;
    for (const auto& x : iterate(v, line)) {
      cur.push_back(x);
      if (static_cast<std::int64_t>(cur.size()) == n) {
        out.push_back(Value::list(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      if (fill && !fill->is_none())
        while (static_cast<std::int64_t>(cur.size()) < n) cur.push_back(*fill);
      out.push_back(Value::list(std::move(cur)));
    }
    return Value::list(std::move(out));
  }
  if (name == "sum") {
    auto attr = a.take("attribute", 0);
    Value acc = a.take("start", 1).value_or(Value(0));
    for (const auto& x : iterate(v, line)) {
      Value y = attr && !attr->is_none() ? attr_path(in, x, to_str(*attr)) : x;
      SWIFT_CHECK(acc.is_number() && y.is_number(), "[jinja] line {}: sum needs numbers", line);
      std::int64_t r = 0;
      if (acc.is_float() || y.is_float())
        acc = Value(acc.as_double() + y.as_double());
      else if (!__builtin_add_overflow(acc.as_int(), y.as_int(), &r))
        acc = Value(r);
      else
        SWIFT_FAIL("[jinja] line {}: sum overflows 64-bit integers", line);
    }
    return acc;
  }
  if (name == "min" || name == "max") {
    bool cs = bool_arg(a, "case_sensitive", 0, false);
    auto attr = a.take("attribute", 1);
    std::vector<Value> items = iterate(v, line);
    if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
    auto key = [&](const Value& x) {
      return sort_key(attr && !attr->is_none() ? attr_path(in, x, to_str(*attr)) : x, cs);
    };
    Value best = items[0];
    for (const auto& x : items) {
      bool better = name == "min" ? less_than(key(x), key(best)) : less_than(key(best), key(x));
      if (better) best = x;
    }
    return best;
  }
  if (name == "format") {
    return Value(py_format_percent(in, to_str(v), Value::list(a.pos, true)));
  }
  if (name == "pprint") return Value(to_repr(v));
  SWIFT_FAIL("[jinja] line {}: no filter named '{}'", line, name);
}

bool apply_test(Interp& in, const std::string& name, const Value& v, const CallArgs& a, int line) {
  (void)in;
  auto arg = [&]() -> Value {
    SWIFT_CHECK(!a.pos.empty(), "[jinja] line {}: test '{}' needs an argument", line, name);
    return a.pos[0];
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "mapping") return v.is_dict() && !v.dict_ref().is_namespace;
  if (name == "sequence")
    return v.is_string() || v.is_list() || (v.is_dict() && !v.dict_ref().is_namespace);
  if (name == "iterable")
    return v.is_string() || v.is_list() || (v.is_dict() && !v.dict_ref().is_namespace);
  if (name == "callable") return v.is_func();
  if (name == "equalto" || name == "eq" || name == "==" || name == "sameas")
    return equals(v, arg());
  if (name == "ne" || name == "!=") return !equals(v, arg());
  if (name == "lt" || name == "lessthan" || name == "<") return less_than(v, arg());
  if (name == "le" || name == "<=") return !less_than(arg(), v);
  if (name == "gt" || name == "greaterthan" || name == ">") return less_than(arg(), v);
  if (name == "ge" || name == ">=") return !less_than(v, arg());
  if (name == "in") return contains(arg(), v, line);
  if (name == "odd" || name == "even") {
    SWIFT_CHECK(v.is_number() && !v.is_float(), "[jinja] line {}: '{}' test needs an integer", line,
                name);
    bool odd = (v.as_int() % 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "divisibleby") {
    Value d = arg();
    SWIFT_CHECK(v.is_number() && d.is_number(), "[jinja] line {}: divisibleby needs numbers", line);
    if (!v.is_float() && !d.is_float()) {
      SWIFT_CHECK(d.as_int() != 0, "[jinja] line {}: divisibleby 0", line);
      return v.as_int() % d.as_int() == 0;
    }
    return std::fmod(v.as_double(), d.as_double()) == 0;
  }
  if (name == "lower") return v.is_string() && ascii_lower(v.str_ref()) == v.str_ref();
  if (name == "upper") return v.is_string() && ascii_upper(v.str_ref()) == v.str_ref();
  if (name == "escaped") return false;
  SWIFT_FAIL("[jinja] line {}: no test named '{}'", line, name);
}

void add_globals(Scope& scope) {
  scope.vars["range"] = Value::func("range", [](Interp& in, const CallArgs& a) -> Value {
    SWIFT_CHECK(!a.pos.empty() && a.pos.size() <= 3, "[jinja] range expects 1 to 3 arguments");
    for (const auto& x : a.pos)
      SWIFT_CHECK(x.is_number() && !x.is_float(), "[jinja] range arguments must be integers");
    std::int64_t start = 0, stop, step = 1;
    if (a.pos.size() == 1) {
      stop = a.pos[0].as_int();
    } else {
      start = a.pos[0].as_int();
      stop = a.pos[1].as_int();
      if (a.pos.size() == 3) step = a.pos[2].as_int();
    }
    SWIFT_CHECK(step != 0, "[jinja] range() arg 3 must not be zero");
    // Exact in 128 bits: near the int64 limits stop - start and i * step overflow 64.
    const __int128 span =
        step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
    const __int128 st = step > 0 ? static_cast<__int128>(step) : -static_cast<__int128>(step);
    const __int128 n = span > 0 ? (span + st - 1) / st : 0;
    SWIFT_CHECK(n <= in.limits().max_range,
                "[jinja] range too big: {} items; the sandbox allows at most {}",
                static_cast<long double>(n), in.limits().max_range);
    const auto count = static_cast<std::int64_t>(n);
    std::vector<Value> out;
    out.reserve(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i)
      out.emplace_back(static_cast<std::int64_t>(start + static_cast<__int128>(i) * step));
    return Value::list(std::move(out));
  });
  scope.vars["dict"] = Value::func("dict", [](Interp&, const CallArgs& a) -> Value {
    Value d = Value::dict();
    if (!a.pos.empty()) {
      if (a.pos[0].is_dict()) {
        for (const auto& [k, v] : a.pos[0].dict_ref().entries) d.dict_ref().set(k, v);
      } else {
        for (const auto& kv : iterate(a.pos[0], 0)) {
          auto pair = iterate(kv, 0);
          SWIFT_CHECK(pair.size() == 2, "[jinja] dict(): sequence elements must be pairs");
          d.dict_ref().set(pair[0], pair[1]);
        }
      }
    }
    for (const auto& [k, v] : a.kw) d.dict_ref().set(Value(k), v);
    return d;
  });
  scope.vars["namespace"] = Value::func("namespace", [](Interp& in, const CallArgs& a) -> Value {
    Value d = Value::dict();
    d.dict_ref().is_namespace = true;
    for (const auto& p : a.pos) {
      SWIFT_CHECK(p.is_dict(), "[jinja] namespace() takes a mapping and keyword arguments");
      for (const auto& [k, v] : p.dict_ref().entries) d.dict_ref().set(k, v);
    }
    for (const auto& [k, v] : a.kw) d.dict_ref().set(Value(k), v);
    in.track_namespace(d);
    return d;
  });
  scope.vars["raise_exception"] =
      Value::func("raise_exception", [](Interp&, const CallArgs& a) -> Value {
        std::string msg = a.pos.empty() ? std::string() : to_str(a.pos[0]);
        throw TemplateRaised(msg);
      });
  scope.vars["strftime_now"] = Value::func("strftime_now", [](Interp&, const CallArgs& a) -> Value {
    SWIFT_CHECK(!a.pos.empty() && a.pos[0].is_string(),
                "[jinja] strftime_now needs a format string");
    const std::string& fmt = a.pos[0].str_ref();
    SWIFT_CHECK(fmt.size() <= 256, "[jinja] strftime_now format too long");
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[1024];
    std::size_t n = std::strftime(buf, sizeof(buf), fmt.c_str(), &tm);
    return Value(std::string(buf, n));
  });
}

}  // namespace swift::jinja

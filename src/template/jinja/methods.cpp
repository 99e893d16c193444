// Attribute and subscript access with jinja2's sandbox rules, and the Python methods of str,
// dict and list that chat templates call (`content.strip()`, `message.get('x')`, ...).
// Mutating methods are refused like transformers' ImmutableSandboxedEnvironment refuses them,
// and dunder names are always undefined: there is no host object to reach.
#include <algorithm>
#include <set>

#include "core/error.h"
#include "template/jinja/interp.h"
#include "template/jinja/strops.h"

namespace swift::jinja {
namespace {

Value unsafe(const std::string& name, const Value& obj) {
  return Value::undefined("access to attribute '" + name + "' of '" + obj.type_name() +
                          "' object is unsafe (the template sandbox is immutable)");
}

std::int64_t int_arg(const CallArgs& a, const char* name, std::size_t pos, std::int64_t def) {
  auto v = a.take(name, pos);
  if (!v || v->is_none()) return def;
  SWIFT_CHECK(v->is_number() && !v->is_float(), "[jinja] {}: expected an integer", name);
  return v->as_int();
}

std::optional<std::string> str_arg(const CallArgs& a, const char* name, std::size_t pos) {
  auto v = a.take(name, pos);
  if (!v || v->is_none()) return std::nullopt;
  SWIFT_CHECK(v->is_string(), "[jinja] {}: expected a string, got {}", name, v->type_name());
  return v->str_ref();
}

// Index into a sequence of `n` items with Python's negative-index rule; -1 if out of range.
std::int64_t norm_index(std::int64_t i, std::int64_t n) {
  if (i < 0) i += n;
  return (i < 0 || i >= n) ? -1 : i;
}

bool prefix_match(const std::string& s, const Value& p, bool suffix) {
  auto one = [&](const Value& x) {
    SWIFT_CHECK(x.is_string(), "[jinja] startswith/endswith: expected str or tuple of str");
    const std::string& t = x.str_ref();
    if (t.size() > s.size()) return false;
    return suffix ? s.compare(s.size() - t.size(), t.size(), t) == 0
                  : s.compare(0, t.size(), t) == 0;
  };
  if (p.is_list()) {
    for (const auto& x : p.list_ref().items)
      if (one(x)) return true;
    return false;
  }
  return one(p);
}

Value str_method(Interp& in, const std::string& s, const std::string& m, const CallArgs& a) {
  if (m == "strip" || m == "lstrip" || m == "rstrip") {
    auto chars = str_arg(a, "chars", 0);
    return Value(py_strip(s, chars ? &*chars : nullptr, m != "rstrip", m != "lstrip"));
  }
  if (m == "split" || m == "rsplit") {
    auto sep = str_arg(a, "sep", 0);
    std::int64_t maxsplit = int_arg(a, "maxsplit", 1, -1);
    std::vector<Value> out;
    for (auto& p : py_split(s, sep ? &*sep : nullptr, maxsplit, m == "rsplit"))
      out.emplace_back(std::move(p));
    return Value::list(std::move(out));
  }
  if (m == "splitlines") {
    std::vector<Value> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n' || s[i] == '\r') {
        out.emplace_back(s.substr(start, i - start));
        if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
        start = i + 1;
      }
    }
    if (start < s.size()) out.emplace_back(s.substr(start));
    return Value::list(std::move(out));
  }
  if (m == "startswith" || m == "endswith") {
    auto p = a.take("prefix", 0);
    SWIFT_CHECK(p.has_value(), "[jinja] {}() takes at least 1 argument", m);
    return Value(prefix_match(s, *p, m == "endswith"));
  }
  if (m == "upper") return Value(ascii_upper(s));
  if (m == "lower" || m == "casefold") return Value(ascii_lower(s));
  if (m == "title") return Value(py_title(s));
  if (m == "capitalize") return Value(py_capitalize(s));
  if (m == "swapcase") {
    std::string r = s;
    for (char& c : r) {
      if (c >= 'a' && c <= 'z')
        c = static_cast<char>(c - 32);
      else if (c >= 'A' && c <= 'Z')
        c = static_cast<char>(c + 32);
    }
    return Value(r);
  }
  if (m == "replace") {
    auto old_s = str_arg(a, "old", 0);
    auto new_s = str_arg(a, "new", 1);
    SWIFT_CHECK(old_s && new_s, "[jinja] replace() takes 2 string arguments");
    return Value(py_replace(in, s, *old_s, *new_s, int_arg(a, "count", 2, -1)));
  }
  if (m == "count") {
    auto sub = str_arg(a, "sub", 0);
    SWIFT_CHECK(sub.has_value(), "[jinja] count() takes 1 string argument");
    if (sub->empty()) return Value(static_cast<std::int64_t>(utf8_length(s) + 1));
    std::int64_t n = 0;
    for (std::size_t p = s.find(*sub); p != std::string::npos; p = s.find(*sub, p + sub->size()))
      ++n;
    return Value(n);
  }
  if (m == "find" || m == "rfind" || m == "index" || m == "rindex") {
    auto sub = str_arg(a, "sub", 0);
    SWIFT_CHECK(sub.has_value(), "[jinja] {}() takes 1 string argument", m);
    std::size_t p = (m[0] == 'r') ? s.rfind(*sub) : s.find(*sub);
    if (p == std::string::npos) {
      SWIFT_CHECK(m == "find" || m == "rfind", "[jinja] {}: substring not found", m);
      return Value(static_cast<std::int64_t>(-1));
    }
    return Value(static_cast<std::int64_t>(utf8_length(s.substr(0, p))));
  }
  if (m == "join") {
    auto seq = a.take("iterable", 0);
    SWIFT_CHECK(seq.has_value(), "[jinja] join() takes 1 argument");
    std::string out;
    bool first = true;
    for (const auto& v : iterate(*seq, 0)) {
      SWIFT_CHECK(v.is_string(), "[jinja] join(): sequence item is {}, expected str",
                  v.type_name());
      if (!first) out += s;
      first = false;
      out += v.str_ref();
      in.check_size(out.size());
    }
    return Value(std::move(out));
  }
  if (m == "isdigit" || m == "isnumeric" || m == "isdecimal" || m == "isalpha" || m == "isalnum" ||
      m == "isspace" || m == "isupper" || m == "islower") {
    return Value(py_is(s, m));
  }
  if (m == "removeprefix" || m == "removesuffix") {
    auto x = str_arg(a, "x", 0);
    SWIFT_CHECK(x.has_value(), "[jinja] {}() takes 1 string argument", m);
    bool pre = m == "removeprefix";
    if (prefix_match(s, Value(*x), !pre))
      return Value(pre ? s.substr(x->size()) : s.substr(0, s.size() - x->size()));
    return Value(s);
  }
  if (m == "partition" || m == "rpartition") {
    auto sep = str_arg(a, "sep", 0);
    SWIFT_CHECK(sep && !sep->empty(), "[jinja] {}() needs a non-empty separator", m);
    std::size_t p = m == "partition" ? s.find(*sep) : s.rfind(*sep);
    if (p == std::string::npos) {
      if (m == "partition") return Value::list({Value(s), Value(""), Value("")}, true);
      return Value::list({Value(""), Value(""), Value(s)}, true);
    }
    return Value::list({Value(s.substr(0, p)), Value(*sep), Value(s.substr(p + sep->size()))},
                       true);
  }
  if (m == "center" || m == "ljust" || m == "rjust" || m == "zfill") {
    std::int64_t width = int_arg(a, "width", 0, 0);
    in.check_size(static_cast<std::size_t>(std::max<std::int64_t>(0, width)));
    std::string fill = m == "zfill" ? "0" : str_arg(a, "fillchar", 1).value_or(" ");
    std::int64_t len = static_cast<std::int64_t>(utf8_length(s));
    if (width <= len) return Value(s);
    std::int64_t pad = width - len;
    auto rep = [&](std::int64_t k) {
      std::string r;
      for (std::int64_t i = 0; i < k; ++i) r += fill;
      return r;
    };
    if (m == "ljust") return Value(s + rep(pad));
    if (m == "rjust" || m == "zfill") return Value(rep(pad) + s);
    std::int64_t left = pad / 2 + (pad & width & 1);
    return Value(rep(left) + s + rep(pad - left));
  }
  if (m == "format") return Value(py_format(in, s, a));
  SWIFT_FAIL("[jinja] str has no method '{}'", m);
}

const std::set<std::string>& str_methods() {
  static const std::set<std::string> k = {
      "strip",        "lstrip",    "rstrip",     "split",   "rsplit",    "splitlines",
      "startswith",   "endswith",  "upper",      "lower",   "casefold",  "title",
      "capitalize",   "swapcase",  "replace",    "count",   "find",      "rfind",
      "index",        "rindex",    "join",       "isdigit", "isnumeric", "isdecimal",
      "isalpha",      "isalnum",   "isspace",    "isupper", "islower",   "removeprefix",
      "removesuffix", "partition", "rpartition", "center",  "ljust",     "rjust",
      "zfill",        "format"};
  return k;
}

Value dict_method(const Value& obj, const std::string& m, const CallArgs& a) {
  const Dict& d = obj.dict_ref();
  if (m == "items") {
    std::vector<Value> out;
    for (const auto& [k, v] : d.entries) out.push_back(Value::list({k, v}, true));
    return Value::list(std::move(out));
  }
  if (m == "keys" || m == "values") {
    std::vector<Value> out;
    for (const auto& [k, v] : d.entries) out.push_back(m == "keys" ? k : v);
    return Value::list(std::move(out));
  }
  if (m == "get") {
    auto key = a.take("key", 0);
    SWIFT_CHECK(key.has_value(), "[jinja] get() takes at least 1 argument");
    const Value* v = d.find(*key);
    if (v) return *v;
    auto def = a.take("default", 1);
    return def ? *def : Value::none();
  }
  if (m == "copy") {
    Value c = Value::dict();
    for (const auto& [k, v] : d.entries) c.dict_ref().set(k, v);
    return c;
  }
  SWIFT_FAIL("[jinja] dict has no method '{}'", m);
}

Value list_method(const Value& obj, const std::string& m, const CallArgs& a) {
  const auto& items = obj.list_ref().items;
  if (m == "index" || m == "count") {
    auto x = a.take("value", 0);
    SWIFT_CHECK(x.has_value(), "[jinja] {}() takes 1 argument", m);
    std::int64_t n = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (equals(items[i], *x)) {
        if (m == "index") return Value(static_cast<std::int64_t>(i));
        ++n;
      }
    }
    SWIFT_CHECK(m == "count", "[jinja] list.index(x): x not in list");
    return Value(n);
  }
  if (m == "copy") return Value::list(items, obj.list_ref().tuple);
  SWIFT_FAIL("[jinja] list has no method '{}'", m);
}

Value bind(const Value& obj, const std::string& name) {
  return Value::func(name, [obj, name](Interp& in, const CallArgs& a) -> Value {
    if (obj.is_string()) return str_method(in, obj.str_ref(), name, a);
    if (obj.is_dict()) return dict_method(obj, name, a);
    return list_method(obj, name, a);
  });
}

}  // namespace

Value get_attr(Interp& in, const Value& obj, const std::string& name) {
  (void)in;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return unsafe(name, obj);
  static const std::set<std::string> kDictMethods = {"items", "keys", "values", "get", "copy"};
  static const std::set<std::string> kDictUnsafe = {"pop",        "popitem", "update",
                                                    "setdefault", "clear",   "fromkeys"};
  static const std::set<std::string> kListMethods = {"index", "count", "copy"};
  static const std::set<std::string> kListUnsafe = {"append", "extend",  "insert", "pop",
                                                    "remove", "reverse", "sort",   "clear"};
  std::string missing = "'" + obj.type_name() + " object' has no attribute '" + name + "'";
  switch (obj.kind()) {
    case Kind::kDict: {
      const Dict& d = obj.dict_ref();
      if (!d.is_namespace) {
        if (kDictMethods.count(name)) return bind(obj, name);
        if (kDictUnsafe.count(name)) return unsafe(name, obj);
      }
      const Value* v = d.find(Value(name));
      return v ? *v : Value::undefined(missing);
    }
    case Kind::kString:
      if (str_methods().count(name)) return bind(obj, name);
      return Value::undefined(missing);
    case Kind::kList:
      if (kListMethods.count(name)) return bind(obj, name);
      if (kListUnsafe.count(name)) return unsafe(name, obj);
      return Value::undefined(missing);
    default:
      return Value::undefined(missing);
  }
}

Value get_item(Interp& in, const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Kind::kList: {
      if (key.is_number() && !key.is_float()) {
        const auto& items = obj.list_ref().items;
        std::int64_t i = norm_index(key.as_int(), static_cast<std::int64_t>(items.size()));
        return i < 0 ? Value::undefined("list index out of range") : items[i];
      }
      break;
    }
    case Kind::kDict: {
      if (key.is_string() || key.is_number() || key.is_none() ||
          (key.is_list() && key.list_ref().tuple)) {
        const Value* v = obj.dict_ref().find(key);
        if (v) return *v;
      }
      break;
    }
    case Kind::kString: {
      if (key.is_number() && !key.is_float()) {
        const std::string& s = obj.str_ref();
        if (is_ascii(s)) {
          std::int64_t i = norm_index(key.as_int(), static_cast<std::int64_t>(s.size()));
          return i < 0 ? Value::undefined("string index out of range")
                       : Value(std::string(1, s[i]));
        }
        std::u32string u = utf8_decode(s);
        std::int64_t i = norm_index(key.as_int(), static_cast<std::int64_t>(u.size()));
        if (i < 0) return Value::undefined("string index out of range");
        std::string out;
        utf8_append(out, u[i]);
        return Value(out);
      }
      break;
    }
    default:
      break;
  }
  // jinja2 falls back to attribute lookup for string subscripts (`msg['items']` -> method).
  if (key.is_string() && (obj.is_dict() || obj.is_list() || obj.is_string()))
    return get_attr(in, obj, key.str_ref());
  return Value::undefined("'" + obj.type_name() + " object' has no item " + to_repr(key));
}

Value slice(
    Interp& in, const Value& obj, const Value& start, const Value& stop, const Value& step) {
  (void)in;
  auto as_opt = [](const Value& v, const char* what) -> std::optional<std::int64_t> {
    if (v.is_none() || v.is_undefined()) return std::nullopt;
    SWIFT_CHECK(v.is_number() && !v.is_float(), "[jinja] slice {} must be an integer", what);
    return v.as_int();
  };
  std::int64_t st = as_opt(step, "step").value_or(1);
  SWIFT_CHECK(st != 0, "[jinja] slice step cannot be zero");
  auto pick = [&](std::int64_t n) {
    std::vector<std::int64_t> idx;
    auto clamp = [&](std::optional<std::int64_t> v, std::int64_t def) {
      if (!v) return def;
      std::int64_t x = *v;
      if (x < 0) x += n;
      if (st > 0) return std::clamp<std::int64_t>(x, 0, n);
      return std::clamp<std::int64_t>(x, -1, n - 1);
    };
    std::int64_t b = clamp(as_opt(start, "start"), st > 0 ? 0 : n - 1);
    std::int64_t e = clamp(as_opt(stop, "stop"), st > 0 ? n : -1);
    for (std::int64_t i = b; st > 0 ? i < e : i > e; i += st) idx.push_back(i);
    return idx;
  };
  if (obj.is_list()) {
    const auto& items = obj.list_ref().items;
    std::vector<Value> out;
    for (auto i : pick(static_cast<std::int64_t>(items.size()))) out.push_back(items[i]);
    return Value::list(std::move(out), obj.list_ref().tuple);
  }
  if (obj.is_string()) {
    std::u32string u = utf8_decode(obj.str_ref());
    std::u32string out;
    for (auto i : pick(static_cast<std::int64_t>(u.size()))) out.push_back(u[i]);
    return Value(utf8_encode(out));
  }
  return Value::undefined("'" + obj.type_name() + "' object is not subscriptable");
}

}  // namespace swift::jinja

// The data model of the sandboxed Jinja engine: Python-like values (None, bool, int, float, str,
// list/tuple, dict, namespace, callables, Undefined) and the Python semantics templates rely on
// (truthiness, ==, ordering, str()/repr(), json.dumps). There is no host object model: a template
// can only reach data it was given and the builtins we register.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace swift::jinja {

class Value;
class Interp;

struct List {
  std::vector<Value> items;
  bool tuple = false;
};

// Insertion-ordered like a Python dict. Keys are scalars; `index` maps a canonical key string to
// the entry position so lookups stay O(1) on big tool schemas.
struct Dict : std::enable_shared_from_this<Dict> {
  std::vector<std::pair<Value, Value>> entries;
  std::unordered_map<std::string, std::size_t> index;
  bool is_namespace = false;  // jinja2 namespace(): the only object `set x.attr` may modify

  const Value* find(const Value& key) const;
  void set(const Value& key, Value v);
};

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  // Removes and returns a keyword argument, or the positional at `pos_index` when not given.
  std::optional<Value> take(const std::string& name, std::size_t pos_index) const;
};

struct Func {
  std::string name;
  std::function<Value(Interp&, const CallArgs&)> fn;
};

struct Undef {
  std::string hint;  // why it is undefined, shown if the template uses it in a way that fails
};

struct NoneT {};

enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kFunc };

class Value {
 public:
  Value() : v_(Undef{}) {}
  Value(NoneT) : v_(NoneT{}) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<std::int64_t>(i)) {}
  Value(std::int64_t i) : v_(i) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::shared_ptr<List> l) : v_(std::move(l)) {}
  Value(std::shared_ptr<Dict> d) : v_(std::move(d)) {}
  Value(std::shared_ptr<Func> f) : v_(std::move(f)) {}
  static Value undefined(std::string hint = "") { return Value(Undef{std::move(hint)}); }
  static Value none() { return Value(NoneT{}); }
  static Value list(std::vector<Value> items = {}, bool tuple = false);
  static Value dict();
  static Value func(std::string name, std::function<Value(Interp&, const CallArgs&)> fn);
  // Throws beyond 512 levels of nesting: request data is untrusted.
  static Value from_json(const nlohmann::json& j, int depth = 0);
  static Value from_json(const nlohmann::ordered_json& j, int depth = 0);  // keeps key order

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_func() const { return kind() == Kind::kFunc; }

  bool as_bool() const { return std::get<bool>(v_); }
  std::int64_t as_int() const;  // bool/int
  double as_double() const;     // bool/int/float
  // Python's int() of a number: floats truncate toward zero; NaN, inf and floats beyond 64 bits
  // (Python would make a big integer) are an error, never an undefined cast.
  std::int64_t to_int() const;
  const std::string& str_ref() const { return std::get<std::string>(v_); }
  List& list_ref() const { return *std::get<std::shared_ptr<List>>(v_); }
  Dict& dict_ref() const { return *std::get<std::shared_ptr<Dict>>(v_); }
  const Func& func_ref() const { return *std::get<std::shared_ptr<Func>>(v_); }
  const std::string& undef_hint() const { return std::get<Undef>(v_).hint; }

  bool truthy() const;
  std::string type_name() const;  // Python's type name, for error messages

 private:
  explicit Value(Undef u) : v_(std::move(u)) {}
  std::variant<Undef,
               NoneT,
               bool,
               std::int64_t,
               double,
               std::string,
               std::shared_ptr<List>,
               std::shared_ptr<Dict>,
               std::shared_ptr<Func>>
      v_;
};

// Python str() / repr().
std::string to_str(const Value& v);
std::string to_repr(const Value& v);
std::string float_repr(double d);

// Python ==, and ordering (<) that raises on incomparable types like Python 3 does.
bool equals(const Value& a, const Value& b);
bool less_than(const Value& a, const Value& b);

// json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=...) as transformers'
// tojson filter calls it. indent < 0 means None.
struct JsonOptions {
  int indent = -1;
  std::string item_sep, key_sep;  // empty: Python's defaults for the indent mode
  bool sort_keys = false;
  bool ensure_ascii = false;
};
std::string to_json(const Value& v, const JsonOptions& opt);
nlohmann::json to_nlohmann(const Value& v);

// Python strings index by code point; these convert between UTF-8 and code points.
std::u32string utf8_decode(const std::string& s);
std::string utf8_encode(const std::u32string& s);
void utf8_append(std::string& out, char32_t c);
std::size_t utf8_length(const std::string& s);
bool is_ascii(const std::string& s);

// The canonical hash key of a dict key (1 == 1.0 == True like Python); throws on unhashable keys.
std::string key_of(const Value& v);

}  // namespace swift::jinja

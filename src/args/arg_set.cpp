#include "args/arg_set.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"

namespace swift::args {

namespace {

std::string join_choices(const std::vector<std::string>& c) {
  std::string out;
  for (std::size_t i = 0; i < c.size(); ++i) out += (i ? ", " : "") + c[i];
  return out;
}

bool parse_bool(const std::string& s, bool* out) {
  std::string l = str::lower(s);
  if (l == "true" || l == "1" || l == "yes" || l == "y" || l == "t") {
    *out = true;
    return true;
  }
  if (l == "false" || l == "0" || l == "no" || l == "n" || l == "f") {
    *out = false;
    return true;
  }
  return false;
}

bool parse_int(const std::string& s, Int* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0') return false;
  *out = v;
  return true;
}

bool parse_float(const std::string& s, Float* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || end == s.c_str() || *end != '\0' || std::isnan(v)) return false;
  *out = v;
  return true;
}

// "None" written on the command line (or null in a config) resets an optional argument.
bool is_none_text(const std::string& s) {
  return s == "None" || s == "none" || s == "null";
}

std::string float_text(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

}  // namespace

const char* arg_type_name(ArgType t) {
  switch (t) {
    case ArgType::kStr:
    case ArgType::kOptStr:
      return "STR";
    case ArgType::kInt:
    case ArgType::kOptInt:
      return "INT";
    case ArgType::kFloat:
    case ArgType::kOptFloat:
      return "FLOAT";
    case ArgType::kBool:
    case ArgType::kOptBool:
      return "BOOL";
    case ArgType::kStrList:
      return "STR [STR ...]";
    case ArgType::kJson:
      return "JSON";
  }
  return "?";
}

ArgSet::Field& ArgSet::declare(void* ptr,
                               ArgType type,
                               const char* name,
                               const char* choices,
                               const char* help,
                               const char* group) {
  auto it = fields_.find(name);
  if (it != fields_.end()) {
    Field& f = fields_list_[it->second];
    // A redeclaration must agree on the type; it is a table bug otherwise.
    SWIFT_CHECK(f.type == type, "[args] argument --{} declared with two different types", name);
    f.targets.push_back(ptr);
    if (choices && *choices) f.choices = str::split(choices, '|');
    if (help && *help) f.help = help;
    f.group = group;
    return f;
  }
  Field f;
  f.name = name;
  f.type = type;
  f.targets.push_back(ptr);
  if (choices && *choices) f.choices = str::split(choices, '|');
  f.help = help ? help : "";
  f.group = group ? group : "";
  fields_[name] = fields_list_.size();
  fields_list_.push_back(std::move(f));
  return fields_list_.back();
}

template <class T>
void ArgSet::store(Field& f, const T& value) {
  for (void* p : f.targets) *static_cast<T*>(p) = value;
}

// On (re)declaration the newest default becomes the value of every member with that name, and
// the default shown in --help.
#define SWIFT_ARGSET_ADD(TYPE, KIND, TEXT)                                           \
  void ArgSet::add(TYPE& v, const char* name, const char* choices, const char* help, \
                   const char* group) {                                              \
    Field& f = declare(&v, KIND, name, choices, help, group);                        \
    TYPE copy = v;                                                                   \
    store(f, copy);                                                                  \
    f.default_text = TEXT;                                                           \
  }

SWIFT_ARGSET_ADD(Str, ArgType::kStr, "'" + copy + "'")
SWIFT_ARGSET_ADD(OptStr, ArgType::kOptStr, copy ? "'" + *copy + "'" : std::string("None"))
SWIFT_ARGSET_ADD(Int, ArgType::kInt, std::to_string(copy))
SWIFT_ARGSET_ADD(OptInt, ArgType::kOptInt, copy ? std::to_string(*copy) : std::string("None"))
SWIFT_ARGSET_ADD(Float, ArgType::kFloat, float_text(copy))
SWIFT_ARGSET_ADD(OptFloat, ArgType::kOptFloat, copy ? float_text(*copy) : std::string("None"))
SWIFT_ARGSET_ADD(Bool, ArgType::kBool, copy ? std::string("True") : std::string("False"))
SWIFT_ARGSET_ADD(OptBool,
                 ArgType::kOptBool,
                 copy ? (*copy ? std::string("True") : std::string("False")) : std::string("None"))
SWIFT_ARGSET_ADD(StrList, ArgType::kStrList, nlohmann::json(copy).dump())
SWIFT_ARGSET_ADD(Json, ArgType::kJson, copy.is_null() ? std::string("None") : copy.dump())
#undef SWIFT_ARGSET_ADD

void ArgSet::add_alias(const std::string& alias, const std::string& name) {
  aliases_[alias] = name;
}

std::string ArgSet::canonical(const std::string& key) const {
  std::string k = key;
  if (fields_.count(k) == 0) {
    // HfArgumentParser also accepts dashes in place of underscores.
    for (char& c : k)
      if (c == '-') c = '_';
  }
  auto a = aliases_.find(k);
  return a != aliases_.end() ? a->second : k;
}

bool ArgSet::was_set(const std::string& name) const {
  auto it = fields_.find(canonical(name));
  return it != fields_.end() && fields_list_[it->second].set;
}

std::vector<std::string> ArgSet::names() const {
  std::vector<std::string> out;
  for (const auto& f : fields_list_) out.push_back(f.name);
  return out;
}

void ArgSet::apply(const std::vector<Assignment>& assignments) {
  for (const auto& a : assignments) {
    std::string key = canonical(a.key);
    auto it = fields_.find(key);
    if (it == fields_.end()) {
      std::vector<std::string> candidates = names();
      for (const auto& [alias, target] : aliases_) candidates.push_back(alias);
      std::string near = str::closest(key, candidates);
      SWIFT_FAIL("[args] unknown argument --{} ({}) for `swift {}`{}; see `swift {} --help`", a.key,
                 a.origin, command_, near.empty() ? "" : "; did you mean --" + near + "?",
                 command_);
    }
    assign(fields_list_[it->second], a);
  }
}

void ArgSet::assign(Field& f, const Assignment& a) {
  auto bad = [&](const std::string& what) {
    SWIFT_FAIL("[args] --{} ({}): {}", f.name, a.origin, what);
  };
  const auto& vals = a.values;
  bool optional = f.type == ArgType::kOptStr || f.type == ArgType::kOptInt ||
                  f.type == ArgType::kOptFloat || f.type == ArgType::kOptBool ||
                  f.type == ArgType::kJson;
  if (a.is_null || (optional && vals.size() == 1 && is_none_text(vals[0]))) {
    switch (f.type) {
      case ArgType::kOptStr:
        store(f, OptStr());
        break;
      case ArgType::kOptInt:
        store(f, OptInt());
        break;
      case ArgType::kOptFloat:
        store(f, OptFloat());
        break;
      case ArgType::kOptBool:
        store(f, OptBool());
        break;
      case ArgType::kJson:
        store(f, Json());
        break;
      case ArgType::kStrList:
        store(f, StrList());
        break;
      default:
        bad("cannot be None; it takes " + std::string(arg_type_name(f.type)));
    }
    f.set = true;
    return;
  }
  if (f.type == ArgType::kStrList) {
    if (!f.choices.empty()) {
      for (const auto& v : vals)
        if (std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end())
          bad("'" + v + "' is not one of " + join_choices(f.choices));
    }
    store(f, StrList(vals));
    f.set = true;
    return;
  }
  std::string v;
  if (vals.empty()) {
    if (f.type == ArgType::kBool || f.type == ArgType::kOptBool) {
      v = "true";  // a bare `--flag` turns a boolean on
    } else {
      bad(std::string("expects a value (") + arg_type_name(f.type) + ")");
    }
  } else if (vals.size() > 1) {
    bad("expects one value but got " + std::to_string(vals.size()) + ": " +
        nlohmann::json(vals).dump());
  } else {
    v = vals[0];
  }
  if (!f.choices.empty() && std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end()) {
    bad("'" + v + "' is not one of " + join_choices(f.choices));
  }
  switch (f.type) {
    case ArgType::kStr:
      store(f, Str(v));
      break;
    case ArgType::kOptStr:
      store(f, OptStr(v));
      break;
    case ArgType::kInt:
    case ArgType::kOptInt: {
      Int x = 0;
      if (!parse_int(v, &x)) bad("'" + v + "' is not an integer");
      if (f.type == ArgType::kInt)
        store(f, x);
      else
        store(f, OptInt(x));
      break;
    }
    case ArgType::kFloat:
    case ArgType::kOptFloat: {
      Float x = 0;
      if (!parse_float(v, &x)) bad("'" + v + "' is not a number");
      if (f.type == ArgType::kFloat)
        store(f, x);
      else
        store(f, OptFloat(x));
      break;
    }
    case ArgType::kBool:
    case ArgType::kOptBool: {
      bool x = false;
      if (!parse_bool(v, &x)) bad("'" + v + "' is not a boolean; use true or false");
      if (f.type == ArgType::kBool)
        store(f, x);
      else
        store(f, OptBool(x));
      break;
    }
    case ArgType::kJson: {
      // Dict arguments take a JSON string; several (deepspeed, device_map) also take a plain
      // name such as `zero2` or `auto`, kept as a JSON string.
      std::string t = str::trim(v);
      Json j = Json::parse(v, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) {
        if (!t.empty() && (t[0] == '{' || t[0] == '[' || t[0] == '"'))
          bad("'" + v + "' is not valid JSON; pass a JSON object string");
        j = Json(v);
      }
      store(f, j);
      break;
    }
    case ArgType::kStrList:
      break;  // handled above
  }
  f.set = true;
}

nlohmann::json ArgSet::value_json(const Field& f) const {
  const void* p = f.targets.front();
  switch (f.type) {
    case ArgType::kStr:
      return *static_cast<const Str*>(p);
    case ArgType::kOptStr: {
      const auto& o = *static_cast<const OptStr*>(p);
      return o ? nlohmann::json(*o) : nlohmann::json();
    }
    case ArgType::kInt:
      return *static_cast<const Int*>(p);
    case ArgType::kOptInt: {
      const auto& o = *static_cast<const OptInt*>(p);
      return o ? nlohmann::json(*o) : nlohmann::json();
    }
    case ArgType::kFloat:
      return *static_cast<const Float*>(p);
    case ArgType::kOptFloat: {
      const auto& o = *static_cast<const OptFloat*>(p);
      return o ? nlohmann::json(*o) : nlohmann::json();
    }
    case ArgType::kBool:
      return *static_cast<const Bool*>(p);
    case ArgType::kOptBool: {
      const auto& o = *static_cast<const OptBool*>(p);
      return o ? nlohmann::json(*o) : nlohmann::json();
    }
    case ArgType::kStrList:
      return *static_cast<const StrList*>(p);
    case ArgType::kJson:
      return *static_cast<const Json*>(p);
  }
  return nullptr;
}

nlohmann::ordered_json ArgSet::to_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& f : fields_list_) out[f.name] = value_json(f);
  return out;
}

void ArgSet::set_json(const std::string& name, const nlohmann::json& value) {
  auto it = fields_.find(canonical(name));
  SWIFT_CHECK(it != fields_.end(), "[args] unknown argument {}", name);
  Field& f = fields_list_[it->second];
  Assignment a;
  a.key = name;
  a.origin = "args.json";
  if (value.is_null()) {
    a.is_null = true;
  } else if (value.is_array()) {
    for (const auto& v : value) a.values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  } else if (value.is_string()) {
    a.values.push_back(value.get<std::string>());
  } else if (value.is_boolean()) {
    a.values.push_back(value.get<bool>() ? "true" : "false");
  } else {
    a.values.push_back(value.dump());
  }
  bool was = f.set;
  assign(f, a);
  f.set = was;
}

void ArgSet::set_default(const std::string& name, const nlohmann::json& value) {
  set_json(name, value);
  Field& f = fields_list_[fields_.at(canonical(name))];
  nlohmann::json v = value_json(f);
  if (v.is_null()) {
    f.default_text = "None";
  } else if (v.is_boolean()) {
    f.default_text = v.get<bool>() ? "True" : "False";
  } else if (v.is_string()) {
    f.default_text = "'" + v.get<std::string>() + "'";
  } else {
    f.default_text = v.dump();
  }
}

std::string ArgSet::help_text(const std::string& usage) const {
  std::string out = usage + "\n";
  std::string group;
  for (const auto& f : fields_list_) {
    if (f.group != group) {
      group = f.group;
      out += "\n" + group + " arguments:\n";
    }
    std::string head = "  --" + f.name + " " + arg_type_name(f.type);
    if (!f.choices.empty()) head = "  --" + f.name + " {" + join_choices(f.choices) + "}";
    out += head + "\n      " + f.help + " (default: " + f.default_text + ")\n";
  }
  if (!aliases_.empty()) {
    out += "\naliases:\n";
    for (const auto& [alias, name] : aliases_) out += "  --" + alias + " = --" + name + "\n";
  }
  return out;
}

CommandLine split_command_line(const std::vector<std::string>& argv) {
  CommandLine cl;
  std::size_t i = 0;
  if (!argv.empty() && !str::starts_with(argv[0], "-")) {
    const std::string& first = argv[0];
    std::string l = str::lower(first);
    SWIFT_CHECK(
        str::ends_with(l, ".yaml") || str::ends_with(l, ".yml") || str::ends_with(l, ".json"),
        "[args] unexpected positional argument '{}'; arguments are written --key value, "
        "and only a leading .yaml/.yml/.json config file may be positional",
        first);
    cl.config_file = first;
    i = 1;
  }
  for (; i < argv.size(); ++i) {
    const std::string& tok = argv[i];
    if (tok == "-h" || tok == "--help") {
      cl.help = true;
      continue;
    }
    SWIFT_CHECK(str::starts_with(tok, "--") && tok.size() > 2,
                "[args] unexpected value '{}'; values follow a --key (write --key value)", tok);
    Assignment a;
    a.origin = "command line";
    auto eq = tok.find('=');
    if (eq != std::string::npos) {
      a.key = tok.substr(2, eq - 2);
      a.values.push_back(tok.substr(eq + 1));
    } else {
      a.key = tok.substr(2);
      // Values run until the next --key; "-1" or "-0.5" are values, not keys.
      while (i + 1 < argv.size() && !str::starts_with(argv[i + 1], "--")) {
        a.values.push_back(argv[++i]);
      }
    }
    SWIFT_CHECK(!a.key.empty(), "[args] empty argument name in '{}'", tok);
    cl.assignments.push_back(std::move(a));
  }
  return cl;
}

}  // namespace swift::args

#include "args/config_file.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"

namespace swift::args {

namespace {

// A config file is small; aliases can make its tree exponentially larger than its text
// ("billion laughs"). Every node produced while expanding counts against one budget per file.
constexpr std::size_t kMaxConfigNodes = 1u << 20;
constexpr std::uint64_t kMaxConfigBytes = 16ull << 20;

// YAML nodes converted to JSON so that both file kinds share one expansion.
nlohmann::json yaml_to_json(const YAML::Node& n,
                            const std::string& path,
                            int depth,
                            std::size_t* budget) {
  SWIFT_CHECK(depth < 64, "[config] {} nests deeper than 64 levels", path);
  SWIFT_CHECK(*budget > 0,
              "[config] {} expands to more than {} values (YAML aliases repeating aliases?); "
              "write the values out",
              path, kMaxConfigNodes);
  --*budget;
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      // Keep the scalar's text: the argument's declared type decides how to read it. Quoted
      // scalars stay strings; plain ones that look like JSON numbers/bools are typed for dicts.
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // explicitly quoted
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      nlohmann::json num = nlohmann::json::parse(s, nullptr, false);
      if (!num.is_discarded() && num.is_number()) return num;
      return s;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& item : n) arr.push_back(yaml_to_json(item, path, depth + 1, budget));
      return arr;
    }
    case YAML::NodeType::Map: {
      nlohmann::json obj = nlohmann::json::object();
      for (const auto& kv : n) {
        SWIFT_CHECK(kv.first.IsScalar(), "[config] {}: mapping keys must be plain names", path);
        obj[kv.first.Scalar()] = yaml_to_json(kv.second, path, depth + 1, budget);
      }
      return obj;
    }
  }
  return nullptr;
}

// The text a scalar has on a command line: numbers and bools as Python's str() would print
// them for ms-swift's expansion, strings verbatim.
std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

}  // namespace

namespace {

bool yaml_is_null(const YAML::Node& n) {
  if (n.IsNull() || !n.IsDefined()) return true;
  if (!n.IsScalar() || n.Tag() == "!") return false;
  const std::string& s = n.Scalar();
  return s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// A top-level YAML value as command-line words: scalars keep their exact text (so "2e-4" or
// "0.10" reach the argument's own parser untouched), lists spread, mappings become JSON.
void yaml_values(const YAML::Node& n, const std::string& path, Assignment* a, std::size_t* budget) {
  if (yaml_is_null(n)) {
    a->is_null = true;
  } else if (n.IsScalar()) {
    a->values.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n)
      a->values.push_back(item.IsScalar() ? item.Scalar()
                                          : yaml_to_json(item, path, 1, budget).dump());
  } else {
    a->values.push_back(yaml_to_json(n, path, 0, budget).dump());
  }
}

void json_values(const nlohmann::json& v, Assignment* a) {
  if (v.is_null()) {
    a->is_null = true;
  } else if (v.is_array()) {
    for (const auto& item : v)
      a->values.push_back(item.is_object() || item.is_array() ? item.dump() : scalar_text(item));
  } else if (v.is_object()) {
    a->values.push_back(v.dump());
  } else {
    a->values.push_back(scalar_text(v));
  }
}

void add_env(const nlohmann::json& v, const std::string& path, ConfigFile* cfg) {
  SWIFT_CHECK(v.is_object() || v.is_null(), "[config] {}: ENV must be a mapping of NAME: value",
              path);
  if (!v.is_object()) return;
  for (auto e = v.begin(); e != v.end(); ++e)
    cfg->env.emplace_back(e.key(), e.value().is_null() ? "" : scalar_text(e.value()));
}

}  // namespace

ConfigFile load_config_file(const std::string& path) {
  fs::require_file(path, "[config]", "pass a YAML or JSON config file");
  SWIFT_CHECK(fs::file_size(path) <= kMaxConfigBytes,
              "[config] {} is {} bytes; a config file may have at most {}", path,
              fs::file_size(path), kMaxConfigBytes);
  std::string text = fs::read_file(path, kMaxConfigBytes);
  std::size_t budget = kMaxConfigNodes;
  ConfigFile cfg;
  auto is_env = [](const std::string& k) { return k == "ENV" || k == "env"; };
  if (str::ends_with(str::lower(path), ".json")) {
    str::check_json_text(text, "[config] " + path);
    nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    SWIFT_CHECK(!root.is_discarded(), "[config] {} is not valid JSON", path);
    SWIFT_CHECK(root.is_object(), "[config] {} must be a mapping of argument names to values",
                path);
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (is_env(it.key())) {
        add_env(it.value(), path, &cfg);
        continue;
      }
      Assignment a;
      a.key = it.key();
      a.origin = path;
      json_values(it.value(), &a);
      cfg.assignments.push_back(std::move(a));
    }
    return cfg;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SWIFT_FAIL("[config] {} is not valid YAML: {}", path, e.what());
  }
  if (yaml_is_null(root)) return cfg;  // an empty file sets nothing
  SWIFT_CHECK(root.IsMap(), "[config] {} must be a mapping of argument names to values", path);
  for (const auto& kv : root) {
    SWIFT_CHECK(kv.first.IsScalar(), "[config] {}: argument names must be plain strings", path);
    const std::string key = kv.first.Scalar();
    if (is_env(key)) {
      add_env(yaml_to_json(kv.second, path, 0, &budget), path, &cfg);
      continue;
    }
    Assignment a;
    a.key = key;
    a.origin = path;
    yaml_values(kv.second, path, &a, &budget);
    cfg.assignments.push_back(std::move(a));
  }
  return cfg;
}

void export_config_env(const ConfigFile& cfg) {
  for (const auto& [name, value] : cfg.env) {
    const char* cur = std::getenv(name.c_str());
    if (cur != nullptr) {
      if (value != cur)
        SWIFT_WARN("ENV {}={} from the config file ignored: the environment already has {}={}",
                   name, value, name, cur);
      continue;
    }
    ::setenv(name.c_str(), value.c_str(), 0);
  }
}

}  // namespace swift::args

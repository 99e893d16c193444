// adapter_config.json reading and validation (see adapter_config.h).
#include "io/adapter_config.h"

#include <cmath>
#include <regex>

#include "core/error.h"
#include "core/fs.h"
#include "io/hf_config.h"

namespace swift::io {

namespace {

using Json = nlohmann::json;

constexpr std::int64_t kMaxRank = 1 << 16;
constexpr std::size_t kMaxPatternKey = 256;

bool get_bool(const Json& j, const char* key, bool def, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  SWIFT_CHECK(it->is_boolean(), "[tuners] {}: field '{}' must be true or false, not {}", where, key,
              it->dump());
  return it->get<bool>();
}

std::int64_t check_rank(const Json& v, const std::string& field, const std::string& where) {
  SWIFT_CHECK(v.is_number_integer() ||
                  (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()),
              "[tuners] {}: field '{}' must be a whole number (the LoRA rank), not {}", where,
              field, v.dump());
  const double r = v.get<double>();
  SWIFT_CHECK(r >= 1 && r <= kMaxRank, "[tuners] {}: field '{}' is {}; a LoRA rank must be 1..{}",
              where, field, v.dump(), kMaxRank);
  return static_cast<std::int64_t>(r);
}

double check_alpha(const Json& v, const std::string& field, const std::string& where) {
  SWIFT_CHECK(v.is_number() && std::isfinite(v.get<double>()),
              "[tuners] {}: field '{}' must be a finite number (LoRA alpha), not {}", where, field,
              v.dump());
  return v.get<double>();
}

template <typename T, typename F>
std::vector<std::pair<std::string, T>> patterns(const Json& j,
                                                const char* key,
                                                const std::string& where,
                                                F check) {
  std::vector<std::pair<std::string, T>> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  SWIFT_CHECK(it->is_object(), "[tuners] {}: field '{}' must be an object of module: value", where,
              key);
  for (auto p = it->begin(); p != it->end(); ++p) {
    SWIFT_CHECK(!p.key().empty() && p.key().size() <= kMaxPatternKey,
                "[tuners] {}: field '{}' has a key of {} bytes (1..{} allowed)", where, key,
                p.key().size(), kMaxPatternKey);
    out.emplace_back(p.key(), check(p.value(), std::string(key) + "." + p.key(), where));
  }
  return out;
}

std::vector<std::string> string_list(const Json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  SWIFT_CHECK(it->is_array(), "[tuners] {}: field '{}' must be a list of names", where, key);
  for (const auto& v : *it) {
    SWIFT_CHECK(v.is_string(), "[tuners] {}: field '{}' must hold names (strings), not {}", where,
                key, v.dump());
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

bool peft_pattern_matches(const std::string& key, const std::string& module) {
  // Plain names (the usual case) are a suffix at a dot boundary; no regex engine needed.
  if (key.find_first_of("\\^$|?*+()[]{}") == std::string::npos) {
    if (module.size() < key.size()) return false;
    const std::size_t at = module.size() - key.size();
    if (module.compare(at, key.size(), key) != 0) return false;
    return at == 0 || module[at - 1] == '.';
  }
  try {
    return std::regex_match(module, std::regex("(.*\\.)?(" + key + ")"));
  } catch (const std::regex_error&) {
    return false;
  }
}

std::int64_t AdapterConfig::rank_for(const std::string& module) const {
  for (const auto& [k, v] : rank_pattern)
    if (peft_pattern_matches(k, module)) return v;
  return r;
}

double AdapterConfig::alpha_for(const std::string& module) const {
  for (const auto& [k, v] : alpha_pattern)
    if (peft_pattern_matches(k, module)) return v;
  return lora_alpha;
}

double AdapterConfig::scaling_for(const std::string& module) const {
  const double rank = static_cast<double>(rank_for(module));
  const double alpha = alpha_for(module);
  return use_rslora ? alpha / std::sqrt(rank) : alpha / rank;
}

AdapterConfig parse_adapter_config(const Json& j, const std::string& where) {
  SWIFT_CHECK(j.is_object(), "[tuners] {}: must hold a JSON object", where);
  AdapterConfig c;
  c.path = where;
  c.raw = j;
  if (auto it = j.find("peft_type"); it != j.end() && !it->is_null()) {
    SWIFT_CHECK(it->is_string(), "[tuners] {}: field 'peft_type' must be a string such as \"LORA\"",
                where);
    c.peft_type = it->get<std::string>();
  }
  if (auto it = j.find("r"); it != j.end() && !it->is_null()) c.r = check_rank(*it, "r", where);
  if (auto it = j.find("lora_alpha"); it != j.end() && !it->is_null())
    c.lora_alpha = check_alpha(*it, "lora_alpha", where);
  c.use_rslora = get_bool(j, "use_rslora", false, where);
  c.use_dora = get_bool(j, "use_dora", false, where);
  c.fan_in_fan_out = get_bool(j, "fan_in_fan_out", false, where);
  c.rank_pattern = patterns<std::int64_t>(j, "rank_pattern", where, check_rank);
  c.alpha_pattern = patterns<double>(j, "alpha_pattern", where, check_alpha);
  c.target_parameters = string_list(j, "target_parameters", where);
  if (auto it = j.find("target_modules"); it != j.end() && !it->is_null()) {
    SWIFT_CHECK(it->is_string() || it->is_array(),
                "[tuners] {}: field 'target_modules' must be a regex string or a list of names",
                where);
    if (it->is_array()) string_list(j, "target_modules", where);
    c.target_modules = *it;
  }
  if (auto it = j.find("modules_to_save"); it != j.end() && !it->is_null()) {
    string_list(j, "modules_to_save", where);
    c.modules_to_save = *it;
  }
  if (auto it = j.find("base_model_name_or_path"); it != j.end() && !it->is_null()) {
    SWIFT_CHECK(it->is_string(), "[tuners] {}: field 'base_model_name_or_path' must be a string",
                where);
    c.base_model_name_or_path = it->get<std::string>();
  }
  return c;
}

AdapterConfig read_adapter_config(const std::string& dir) {
  const std::string path = fs::join(dir, "adapter_config.json");
  fs::require_file(path, "[tuners]",
                   "pass a PEFT adapter folder (adapter_config.json + "
                   "adapter_model.safetensors)");
  return parse_adapter_config(read_json_file(path), path);
}

}  // namespace swift::io

// adapter_config.json, read once and checked field by field: every consumer (loading an adapter,
// `swift inspect`, merging) takes this struct instead of reading raw JSON, so a wrong field is
// reported the same way everywhere, naming the file and the field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace swift::io {

struct AdapterConfig {
  std::string path;  // the adapter_config.json read
  std::string peft_type = "LORA";
  std::int64_t r = 8;
  double lora_alpha = 8.0;
  bool use_rslora = false;
  bool use_dora = false;
  bool fan_in_fan_out = false;
  // PEFT's per-module overrides, in file order: key (a module-name suffix or regex) -> value.
  std::vector<std::pair<std::string, std::int64_t>> rank_pattern;
  std::vector<std::pair<std::string, double>> alpha_pattern;
  std::vector<std::string> target_parameters;
  nlohmann::json target_modules;   // a string (regex), a list of names, or null
  nlohmann::json modules_to_save;  // a list of names or null
  std::string base_model_name_or_path;
  nlohmann::json raw;  // the whole file, for saving it back unchanged

  // PEFT's lookup: the first pattern key matching the end of `module` at a name boundary.
  std::int64_t rank_for(const std::string& module) const;
  double alpha_for(const std::string& module) const;
  // lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora.
  double scaling_for(const std::string& module) const;
};

// Reads <dir>/adapter_config.json; throws "[tuners] <file>: field 'r' must be ..." on any field
// of the wrong type or range.
AdapterConfig read_adapter_config(const std::string& dir);
// The same checks on an already parsed object (`where` names it in messages).
AdapterConfig parse_adapter_config(const nlohmann::json& j, const std::string& where);
// True when PEFT's pattern `key` selects `module` (regex over the dotted name, anchored at a
// name boundary, as PEFT's re.match(rf"(.*\.)?({key})$") does).
bool peft_pattern_matches(const std::string& key, const std::string& module);

}  // namespace swift::io

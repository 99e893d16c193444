// Run configs: `swift sft cfg.yaml --learning_rate 2e-4`. The file (YAML or JSON) is a mapping
// of argument names to values; lists spread into list arguments, mappings become JSON strings
// (as ms-swift expands them), null resets to None. An `ENV:` mapping exports variables that are
// not already set (a conflicting value keeps the environment's and warns). Arguments given on
// the command line override the file.
#pragma once

#include <string>
#include <vector>

#include "args/arg_set.h"

namespace swift::args {

struct ConfigFile {
  std::vector<Assignment> assignments;
  std::vector<std::pair<std::string, std::string>> env;  // the ENV block, in file order
};

ConfigFile load_config_file(const std::string& path);

// Exports the ENV block: variables already set are left alone (warned when different).
void export_config_env(const ConfigFile& cfg);

}  // namespace swift::args

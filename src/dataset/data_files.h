// Which files of a dataset repository hold a given subset (config) and split, as the Hugging
// Face `datasets` library decides it (ModelScope's loader follows the same rules): the
// `configs:` list in README.md's YAML header when there is one, else the default patterns
// (data/<split>-00000-of-00001.* shards, split names such as train / validation / test in file
// or folder names, else every data file is "train").
#pragma once

#include <map>
#include <string>
#include <vector>

namespace swift::dataset {

// split -> files, for one config.
using SplitFiles = std::map<std::string, std::vector<std::string>>;

struct RepoLayout {
  std::map<std::string, SplitFiles> configs;  // from README.md; empty when it has none
  std::string default_config;                 // the config marked default (or the only one)
};

// True for the file types the loader reads (.parquet, .jsonl, .json, .csv, .tsv, .txt).
bool is_data_file(const std::string& path);

// Parses README.md's YAML front matter. Malformed YAML or an odd `configs` entry is an error
// naming `what`.
RepoLayout parse_readme_configs(const std::string& readme,
                                const std::vector<std::string>& files,
                                const std::string& what);

// The default split assignment of `files` (data files only).
SplitFiles infer_splits(const std::vector<std::string>& files);

// The files of (config, split): throws swift::Error naming `what` and what is available when
// there are none.
std::vector<std::string> select_data_files(const std::vector<std::string>& files,
                                           const std::string* readme,
                                           const std::string& config,
                                           const std::string& split,
                                           const std::string& what);

// Glob match as fsspec does for data_files patterns: '*' and '?' stay within one path
// component, '**' crosses them ('**/' may match nothing), [abc] / [!abc] classes.
bool glob_match(const std::string& pattern, const std::string& path);

}  // namespace swift::dataset

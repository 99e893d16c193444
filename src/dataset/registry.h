// ms-swift's dataset registry as data (registry_data.inc): which hub ids a registered dataset
// has on ModelScope and Hugging Face, its subsets and splits, column renames, and which of
// ms-swift's preprocessors turns its rows into messages. An id that is not registered loads
// with automatic format detection, as in ms-swift.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace swift::dataset {

struct RegisteredSubset {
  std::string name;                // what the user writes after ':'
  std::string subset = "default";  // the hub config it reads
  std::vector<std::string> split;  // empty: the dataset's
  std::string preprocess;          // empty: the dataset's
  nlohmann::ordered_json options;  // preprocessor options (query_suffix, response_prefix, ...)
  bool weak = false;               // left out of ":all"
};

struct RegisteredDataset {
  std::string ms_id, hf_id;
  std::string dataset_name;               // e.g. "self-cognition"
  std::vector<RegisteredSubset> subsets;  // at least one
  std::vector<std::string> split = {"train"};
  std::string preprocess;          // empty: automatic
  nlohmann::ordered_json columns;  // {"src": "dst"} renames before preprocessing
  std::vector<std::string> tags;
};

const std::vector<RegisteredDataset>& registered_datasets();

// The entry whose ModelScope or Hugging Face id is `id` (case-insensitive, as ms-swift
// matches), or null.
const RegisteredDataset* find_registered(const std::string& id);

// Applies registered preprocessor `name` to one raw row whose columns were already renamed.
// Appends 0..n rows to `out` (0: the row is filtered out, as ms-swift's preprocessors do) or
// returns the reason the row is unusable. Unknown names are a programmer error.
struct PreprocessContext {
  const RegisteredSubset* subset = nullptr;
  std::vector<std::string> model_name, model_author;  // self-cognition, (zh, en)
};
std::string apply_preprocessor(const std::string& name,
                               const nlohmann::ordered_json& raw,
                               const PreprocessContext& ctx,
                               std::vector<nlohmann::ordered_json>* out);
bool is_known_preprocessor(const std::string& name);

// Python's json.dumps(obj) text (", " and ": " separators, non-ASCII as \uXXXX), which
// ms-swift's preprocessors write into tool-call messages.
std::string python_json_dumps(const nlohmann::ordered_json& v);

}  // namespace swift::dataset

// Datasets as ms-swift reads them: the specifier syntax
// `[hf::|ms::]<id_or_path>[:subset1/subset2|:all][#N]`, local .jsonl/.json/.csv/.txt files, and
// the row formats (messages, sharegpt, query/response with history, alpaca, pre-training text)
// normalised to one canonical `{"messages": [...], ...}` row (ms-swift-spec §3.1-3.2).
//
// Rows are nlohmann::ordered_json: key order is kept as written (tool schemas render with
// `tojson` in that order, as Python does).
//
// Bad rows: with `strict` the first one fails naming file:line and the reason; otherwise rows are
// dropped with a count per reason, and loading aborts when more than `max_drop_ratio` of them
// were dropped (a silently half-empty dataset is worse than an error).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace swift::dataset {

struct DatasetSpec {
  std::string hub;                     // "", "hf" or "ms"
  std::string name;                    // path or hub id
  std::vector<std::string> subsets;    // empty: default
  std::optional<std::int64_t> sample;  // #N
};

// Parses one --dataset word. A word naming an existing local path is taken literally (subset
// and #N still apply when they follow the path).
DatasetSpec parse_dataset_spec(const std::string& word);

struct LoadOptions {
  bool strict = false;
  double max_drop_ratio = 0.01;
  std::uint64_t seed = 42;         // --data_seed
  bool shuffle = true;             // --dataset_shuffle: #N picks rows at random when true
  nlohmann::ordered_json columns;  // --columns {"src": "dst"} extra mappings (object or null)
};

struct LoadStats {
  std::size_t total = 0;
  std::size_t kept = 0;
  std::map<std::string, std::size_t> dropped;  // reason -> count
};

// Normalises one raw row; returns the reason (non-empty) when the row is unusable.
std::string normalize_row(const nlohmann::ordered_json& raw,
                          const nlohmann::ordered_json& columns,
                          nlohmann::ordered_json* out);

// Reads a local file (.jsonl, .json, .csv, .txt) into raw rows; a parse error names file:line.
std::vector<nlohmann::ordered_json> read_rows(const std::string& path);

// Loads, normalises and samples one --dataset word (local files only; hub datasets are not
// built yet and say so).
std::vector<nlohmann::ordered_json> load_dataset(const std::string& word,
                                                 const LoadOptions& opts,
                                                 LoadStats* stats = nullptr);

// #N semantics: N < size picks N rows (at random without replacement when shuffling); N > size
// repeats the whole set N / size times and adds N % size rows.
std::vector<nlohmann::ordered_json> sample_rows(std::vector<nlohmann::ordered_json> rows,
                                                std::int64_t n,
                                                bool shuffle,
                                                std::uint64_t seed);

}  // namespace swift::dataset

// Datasets as ms-swift reads them: the specifier syntax
// `[hf::|ms::]<id_or_path>[:subset1/subset2|:all][#N]`, local .jsonl/.json/.csv/.tsv/.txt/.parquet
// files and folders, hub dataset repositories (through a DatasetSource the hub glue provides),
// ms-swift's registered datasets (registry.h), and the row formats (messages, sharegpt,
// query/response with history, alpaca, pre-training text) normalised to one canonical
// `{"messages": [...], ...}` row (ms-swift-spec §3.1-3.2).
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
#include <functional>
#include <map>
#include <memory>
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

// The files of one dataset repository: a hub repo (downloaded on demand) or a local folder.
class DatasetSource {
 public:
  virtual ~DatasetSource() = default;
  // Repo-relative paths of every file, '/'-separated.
  virtual const std::vector<std::string>& files() = 0;
  // A local path holding `file` (one of files()), downloading and verifying it when needed.
  virtual std::string fetch(const std::string& file) = 0;
  // For messages: "ModelScope dataset org/name", "folder /x".
  virtual std::string describe() const = 0;
};

// Opens hub dataset `id` on "hf" or "ms"; throws swift::Error when it cannot.
using SourceFactory =
    std::function<std::unique_ptr<DatasetSource>(const std::string& hub, const std::string& id)>;

// A local folder (e.g. a `git clone`d hub dataset) as a source.
std::unique_ptr<DatasetSource> folder_source(const std::string& dir);

struct LoadOptions {
  bool strict = false;
  double max_drop_ratio = 0.01;
  std::uint64_t seed = 42;              // --data_seed
  bool shuffle = true;                  // --dataset_shuffle: #N picks rows at random when true
  nlohmann::ordered_json columns;       // --columns {"src": "dst"} extra mappings (object or null)
  bool use_hf = false;                  // --use_hf / USE_HF: hub ids name Hugging Face datasets
  SourceFactory hub_source;             // null: hub ids are an error (no hub library linked)
  std::vector<std::string> model_name;  // --model_name (zh, en) for self-cognition
  std::vector<std::string> model_author;  // --model_author (zh, en)
};

struct LoadStats {
  std::size_t total = 0;
  std::size_t kept = 0;
  std::map<std::string, std::size_t> dropped;  // reason -> count
  std::size_t filtered = 0;                    // rows a registered preprocessor leaves out
};

// Normalises one raw row; returns the reason (non-empty) when the row is unusable.
std::string normalize_row(const nlohmann::ordered_json& raw,
                          const nlohmann::ordered_json& columns,
                          nlohmann::ordered_json* out);

// Reads a local file (.jsonl, .json, .csv, .tsv, .txt, .parquet) into raw rows; a parse error
// names file:line.
std::vector<nlohmann::ordered_json> read_rows(const std::string& path);

// Loads, normalises and samples one --dataset word: a local file or folder, or a hub dataset id
// (ms-swift's registered name, or any repo, read with automatic format detection).
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

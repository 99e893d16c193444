// load_dataset: one --dataset word from a local file, a local folder or a hub repository, with
// ms-swift's registry deciding the hub ids, subsets, splits, column renames and preprocessor;
// rows are normalised as they stream in (a Parquet file one row group at a time), then sampled.
#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "dataset/data_files.h"
#include "dataset/dataset.h"
#include "dataset/internal.h"
#include "dataset/parquet/parquet.h"
#include "dataset/registry.h"

namespace swift::dataset {

namespace {

using json = nlohmann::ordered_json;
namespace stdfs = std::filesystem;

constexpr std::size_t kMaxFolderFiles = 100000;
constexpr std::uint64_t kMaxReadmeBytes = 1u << 20;

class FolderSource : public DatasetSource {
 public:
  explicit FolderSource(const std::string& dir) : dir_(dir) {
    std::error_code ec;
    auto it = stdfs::recursive_directory_iterator(dir, stdfs::directory_options::none, ec);
    SWIFT_CHECK(!ec, "[dataset] cannot list {}: {}", dir, ec.message());
    for (auto end = stdfs::recursive_directory_iterator(); it != end; it.increment(ec)) {
      SWIFT_CHECK(!ec, "[dataset] cannot list {}: {}", dir, ec.message());
      std::string name = it->path().filename().string();
      if (it->is_directory(ec) && !name.empty() && name[0] == '.') {
        it.disable_recursion_pending();  // .git and other hidden folders
        continue;
      }
      if (!it->is_regular_file(ec)) continue;
      SWIFT_CHECK(files_.size() < kMaxFolderFiles,
                  "[dataset] {} holds more than {} files; pass the data files themselves", dir,
                  kMaxFolderFiles);
      files_.push_back(it->path().lexically_relative(dir).generic_string());
    }
    std::sort(files_.begin(), files_.end());
  }
  const std::vector<std::string>& files() override { return files_; }
  std::string fetch(const std::string& file) override { return fs::join(dir_, file); }
  std::string describe() const override { return "folder " + dir_; }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

// How the rows of one (subset, split) become messages.
struct Plan {
  std::string preprocess;  // empty: automatic format detection
  json columns;            // raw name -> new name ("_" or "-": dropped)
  PreprocessContext ctx;
};

// --columns first (the user's word wins), then the registry's renames; keys match
// case-insensitively as in ms-swift's safe_rename_columns.
json merge_columns(const json& user, const json& registered) {
  json out = json::object();
  for (const json* m : {&user, &registered}) {
    if (!m->is_object()) continue;
    for (auto it = m->begin(); it != m->end(); ++it) {
      if (!it.value().is_string()) continue;
      std::string k = str::lower(it.key());
      if (!out.contains(k)) out[k] = it.value();
    }
  }
  return out;
}

std::string renamed(const std::string& key, const json& columns) {
  auto it = columns.find(str::lower(key));
  return it == columns.end() ? key : it->get<std::string>();
}

bool dropped_column(const std::string& name) {
  return name == "_" || name == "-";
}

json rename_row(json&& raw, const json& columns) {
  if (!raw.is_object() || columns.empty()) return std::move(raw);
  json out = json::object();
  for (auto it = raw.begin(); it != raw.end(); ++it) {
    std::string k = renamed(it.key(), columns);
    if (dropped_column(k)) continue;
    // Two columns renamed onto one name keep the first (ms-swift renames neither).
    if (!out.contains(k)) out[k] = it.value();
  }
  return out;
}

class Collector {
 public:
  Collector(const LoadOptions& opts, LoadStats& st) : opts_(opts), st_(st) {}

  void add(json raw, const std::string& file, Format format, const Plan& plan) {
    ++st_.total;
    std::size_t line = raw.is_object() && raw.contains("__swift_line__") &&
                               raw["__swift_line__"].is_number_unsigned()
                           ? raw["__swift_line__"].get<std::size_t>()
                           : st_.total;
    std::string why;
    std::vector<json> out;
    if (raw.is_object() && raw.contains("__swift_error__")) {
      why = raw["__swift_error__"].is_string() ? raw["__swift_error__"].get<std::string>()
                                               : "unreadable row";
    } else {
      if (raw.is_object()) raw.erase("__swift_line__");
      json row = rename_row(std::move(raw), plan.columns);
      if (plan.preprocess.empty()) {
        json msg;
        why = normalize_row_as(std::move(row), format, json(), &msg);
        if (why.empty()) out.push_back(std::move(msg));
      } else {
        why = apply_preprocessor(plan.preprocess, row, plan.ctx, &out);
      }
    }
    if (!why.empty()) {
      SWIFT_CHECK(!opts_.strict, "[dataset] {}:{}: {} (--strict true stops at the first bad row)",
                  file, line, why);
      ++st_.dropped[why];
      return;
    }
    if (out.empty()) ++st_.filtered;
    for (auto& r : out) rows_.push_back(std::move(r));
  }

  void finish(const std::string& what) {
    st_.kept = rows_.size();
    std::size_t dropped = 0;
    for (const auto& [why, n] : st_.dropped) dropped += n;
    if (dropped == 0) return;
    std::string reasons;
    for (const auto& [why, n] : st_.dropped) reasons += fmt::format("{}: {}; ", why, n);
    SWIFT_WARN("{}: kept {} of {} rows; dropped {}", what, st_.kept, st_.total, reasons);
    SWIFT_CHECK(
        static_cast<double>(dropped) <= opts_.max_drop_ratio * static_cast<double>(st_.total),
        "[dataset] {}: {} of {} rows are unusable ({}) — more than {:.0f}%; fix the data "
        "or pass --strict true to see the first bad row",
        what, dropped, st_.total, reasons, opts_.max_drop_ratio * 100.0);
  }

  std::vector<json>& rows() { return rows_; }

 private:
  const LoadOptions& opts_;
  LoadStats& st_;
  std::vector<json> rows_;
};

bool is_parquet(const std::string& path) {
  return str::ends_with(str::lower(path), ".parquet");
}

// Reads `paths` (one subset and split) through `plan`. Automatic detection looks at the union
// of the renamed columns of all the files, as ms-swift looks at the dataset's features.
void load_files(const std::vector<std::string>& paths, const Plan& plan, Collector& col) {
  std::vector<std::vector<json>> texts(paths.size());
  std::set<std::string> keys;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (is_parquet(paths[i])) {
      for (const auto& k : parquet::Reader(paths[i]).column_names())
        keys.insert(renamed(k, plan.columns));
    } else {
      texts[i] = read_rows(paths[i]);
      for (const auto& r : texts[i]) {
        if (!r.is_object()) continue;
        for (auto it = r.begin(); it != r.end(); ++it) keys.insert(renamed(it.key(), plan.columns));
      }
    }
  }
  json shape = json::object();
  for (const auto& k : keys) shape[k] = nullptr;
  Format format = detect_format({shape}, json());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (is_parquet(paths[i])) {
      parquet::Reader reader(paths[i]);
      std::size_t n = 0;
      reader.for_each_row([&](json&& row) {
        row["__swift_line__"] = ++n;
        col.add(std::move(row), paths[i], format, plan);
      });
    } else {
      for (auto& r : texts[i]) col.add(std::move(r), paths[i], format, plan);
      texts[i].clear();
      texts[i].shrink_to_fit();
    }
  }
}

std::vector<RegisteredSubset> pick_subsets(const RegisteredDataset* entry,
                                           const std::vector<std::string>& requested,
                                           const std::vector<std::string>& readme_configs,
                                           const std::string& what) {
  std::vector<RegisteredSubset> known =
      entry ? entry->subsets : std::vector<RegisteredSubset>{RegisteredSubset{"default"}};
  auto names = [&] {
    std::string s;
    for (const auto& k : known) s += (s.empty() ? "" : ", ") + k.name;
    return s;
  };
  if (requested.empty()) {
    if (known.size() <= 1) return known;
    for (const auto& k : known)
      if (k.name == "default") return {k};
    SWIFT_FAIL(
        "[dataset] {} has several subsets and no default; pass one as {}:<subset> ({}) or "
        "{}:all",
        what, what, names(), what);
  }
  bool has_all = std::any_of(known.begin(), known.end(),
                             [](const RegisteredSubset& k) { return k.name == "all"; });
  if (requested.size() == 1 && requested[0] == "all" && !has_all) {
    std::vector<RegisteredSubset> out;
    if (entry) {
      for (const auto& k : known)
        if (!k.weak) out.push_back(k);
    } else {
      for (const auto& c : readme_configs) out.push_back(RegisteredSubset{c, c});
      if (out.empty()) out.push_back(RegisteredSubset{"default"});
    }
    return out;
  }
  std::vector<RegisteredSubset> out;
  for (const auto& r : requested) {
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const RegisteredSubset& k) { return k.name == r; });
    // An unregistered name reads the hub config of that name with the dataset's preprocessor.
    out.push_back(it != known.end() ? *it : RegisteredSubset{r, r});
  }
  return out;
}

void load_repo(DatasetSource& src,
               const RegisteredDataset* entry,
               const DatasetSpec& spec,
               const LoadOptions& opts,
               Collector& col) {
  const std::string what = src.describe();
  const auto& files = src.files();
  std::string readme;
  bool has_readme = false;
  for (const auto& f : files) {
    if (f == "README.md" || f == "readme.md") {
      std::string p = src.fetch(f);
      if (fs::is_file(p) && fs::file_size(p) <= kMaxReadmeBytes) {
        readme = fs::read_file(p);
        has_readme = true;
      }
      break;
    }
  }
  std::vector<std::string> configs;
  if (has_readme) {
    for (const auto& [name, splits] : parse_readme_configs(readme, files, what).configs)
      configs.push_back(name);
  }
  if (entry && entry->dataset_name == "self-cognition" && opts.model_name.empty())
    SWIFT_WARN(
        "[dataset] {}: --model_name / --model_author are not set; rows keep their "
        "{{{{NAME}}}} and {{{{AUTHOR}}}} placeholders",
        what);
  for (const auto& sub : pick_subsets(entry, spec.subsets, configs, what)) {
    std::vector<std::string> splits = !sub.split.empty() ? sub.split
                                      : entry            ? entry->split
                                                         : std::vector<std::string>{"train"};
    Plan plan;
    plan.preprocess = !sub.preprocess.empty() ? sub.preprocess : entry ? entry->preprocess : "";
    plan.columns = merge_columns(opts.columns, entry ? entry->columns : json());
    plan.ctx.subset = &sub;
    plan.ctx.model_name = opts.model_name;
    plan.ctx.model_author = opts.model_author;
    for (const auto& split : splits) {
      auto chosen =
          select_data_files(files, has_readme ? &readme : nullptr, sub.subset, split, what);
      std::vector<std::string> paths;
      for (const auto& f : chosen) paths.push_back(src.fetch(f));
      SWIFT_INFO("[dataset] {} subset {} split {}: {} file(s)", what, sub.name, split,
                 paths.size());
      load_files(paths, plan, col);
    }
  }
}

// Checks a hub id before it reaches a URL or a cache path.
void check_hub_id(const std::string& id, const std::string& word) {
  auto parts = str::split(id, '/');
  bool ok = parts.size() == 2;
  for (const auto& p : parts) {
    ok =
        ok && !p.empty() && p.size() <= 96 && p.front() != '.' && p.find("..") == std::string::npos;
    for (char c : p)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
  }
  SWIFT_CHECK(ok,
              "[dataset] '{}' is not a local file or folder, nor a hub dataset id of the form "
              "org/name; check --dataset",
              word);
}

}  // namespace

std::unique_ptr<DatasetSource> folder_source(const std::string& dir) {
  return std::make_unique<FolderSource>(dir);
}

std::vector<json> load_dataset(const std::string& word, const LoadOptions& opts, LoadStats* stats) {
  DatasetSpec spec = parse_dataset_spec(word);
  LoadStats local;
  LoadStats& st = stats ? *stats : local;
  Collector col(opts, st);
  std::string what = spec.name;
  if (fs::exists(spec.name)) {
    if (fs::is_dir(spec.name)) {
      FolderSource src(spec.name);
      load_repo(src, nullptr, spec, opts, col);
    } else {
      SWIFT_CHECK(spec.subsets.empty(),
                  "[dataset] '{}': subsets apply to hub datasets and folders, not to the file {}",
                  word, spec.name);
      Plan plan;
      plan.columns = merge_columns(opts.columns, json());
      load_files({spec.name}, plan, col);
    }
  } else {
    SWIFT_CHECK(!str::starts_with(spec.name, "/") && !str::starts_with(spec.name, "./") &&
                    !str::starts_with(spec.name, "../"),
                "[dataset] {} does not exist; check --dataset", spec.name);
    check_hub_id(spec.name, word);
    bool use_hf = spec.hub == "hf" || (spec.hub.empty() && opts.use_hf);
    const RegisteredDataset* entry = find_registered(spec.name);
    std::string id = spec.name;
    if (entry) {
      id = use_hf ? entry->hf_id : entry->ms_id;
      SWIFT_CHECK(!id.empty(), "[dataset] {} is registered in ms-swift only on {}; {}", spec.name,
                  use_hf ? "ModelScope" : "Hugging Face",
                  use_hf ? "drop --use_hf (or write ms::" + spec.name + ")"
                         : "pass --use_hf true (or write hf::" + spec.name + ")");
    }
    SWIFT_CHECK(opts.hub_source,
                "[dataset] '{}' is not a local file or folder and this program was built without "
                "hub access; download the dataset and pass its path",
                word);
    auto src = opts.hub_source(use_hf ? "hf" : "ms", id);
    what = src->describe();
    load_repo(*src, entry, spec, opts, col);
  }
  col.finish(what);
  if (col.rows().empty() && st.total > 0 && st.filtered == st.total)
    SWIFT_WARN("[dataset] {}: every row was filtered out by its preprocessor", what);
  std::vector<json> rows = std::move(col.rows());
  if (spec.sample) rows = sample_rows(std::move(rows), *spec.sample, opts.shuffle, opts.seed);
  return rows;
}

}  // namespace swift::dataset

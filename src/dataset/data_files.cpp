// Data-file resolution for dataset repositories (see data_files.h); the default patterns are
// those of the `datasets` library's data_files module.
#include "dataset/data_files.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/strings.h"

namespace swift::dataset {

namespace {

constexpr std::size_t kMaxReadme = 1u << 20;
constexpr std::size_t kMaxYamlNesting = 64;

const std::vector<std::pair<std::string, std::vector<std::string>>> kSplitKeywords = {
    {"train", {"train", "training"}},
    {"validation", {"validation", "valid", "dev", "val"}},
    {"test", {"test", "testing", "eval", "evaluation"}},
};

bool is_sep(char c) {
  return c == '-' || c == '.' || c == '_' || c == ' ' || (c >= '0' && c <= '9');
}

std::vector<std::string> components(const std::string& p) {
  return str::split(p, '/');
}

// basename has `kw` at its start or after a separator, followed by a separator.
bool keyword_in_name(const std::string& name, const std::string& kw) {
  for (std::size_t at = name.find(kw); at != std::string::npos; at = name.find(kw, at + 1)) {
    bool before = at == 0 || is_sep(name[at - 1]);
    bool after = at + kw.size() < name.size() && is_sep(name[at + kw.size()]);
    if (before && after) return true;
  }
  return false;
}

// The datasets library's folder patterns: "{kw}/**" and "{kw}[sep]*/**" for a top-level folder,
// "**/*[sep]{kw}/**" and "**/*[sep]{kw}[sep]*/**" for a folder at any depth.
bool keyword_in_dir(const std::string& dir, const std::string& kw, bool top_level) {
  if (top_level && (dir == kw || (str::starts_with(dir, kw) && is_sep(dir[kw.size()]))))
    return true;
  for (std::size_t at = dir.find(kw); at != std::string::npos; at = dir.find(kw, at + 1)) {
    if (at == 0 || !is_sep(dir[at - 1])) continue;
    bool end = at + kw.size() == dir.size();
    if (end || is_sep(dir[at + kw.size()])) return true;
  }
  return false;
}

bool hidden(const std::string& path) {
  for (const auto& c : components(path))
    if (!c.empty() && (c[0] == '.' || str::starts_with(c, "__"))) return true;
  return false;
}

// data/<split>-00000-of-00001*.*: the split name, or "" when `path` is not such a shard.
std::string sharded_split(const std::string& path) {
  if (!str::starts_with(path, "data/")) return "";
  std::string name = path.substr(5);
  if (name.find('/') != std::string::npos) return "";
  auto dash = name.find('-');
  if (dash == std::string::npos || dash == 0) return "";
  std::string split = name.substr(0, dash), rest = name.substr(dash + 1);
  auto digits = [&](std::size_t from, std::size_t n) {
    if (rest.size() < from + n) return false;
    for (std::size_t i = from; i < from + n; ++i)
      if (rest[i] < '0' || rest[i] > '9') return false;
    return true;
  };
  if (!digits(0, 5) || rest.compare(5, 4, "-of-") != 0 || !digits(9, 5)) return "";
  if (rest.find('.', 14) == std::string::npos) return "";
  for (char c : split)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return "";
  return split;
}

bool match_class(const std::string& pat, std::size_t& i, char c) {
  // pat[i] == '['; on return i is past ']'. A malformed class matches '[' literally.
  std::size_t j = i + 1;
  bool negate = j < pat.size() && (pat[j] == '!' || pat[j] == '^');
  if (negate) ++j;
  bool ok = false;
  std::size_t start = j;
  for (; j < pat.size() && (pat[j] != ']' || j == start); ++j) {
    if (j + 2 < pat.size() && pat[j + 1] == '-' && pat[j + 2] != ']') {
      if (c >= pat[j] && c <= pat[j + 2]) ok = true;
      j += 2;
    } else if (pat[j] == c) {
      ok = true;
    }
  }
  if (j >= pat.size()) {
    ++i;
    return c == '[';
  }
  i = j + 1;
  return ok != negate;
}

std::vector<std::string> yaml_strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsScalar()) out.push_back(n.as<std::string>());
  if (n.IsSequence())
    for (const auto& x : n) out.push_back(x.as<std::string>());
  return out;
}

}  // namespace

bool glob_match(const std::string& pat, const std::string& path) {
  // Dynamic programming over (pattern position, path position); patterns come from untrusted
  // READMEs, so no backtracking recursion.
  const std::size_t n = path.size();
  std::vector<char> cur(n + 1, 0), next(n + 1, 0);
  cur[0] = 1;
  std::size_t i = 0;
  while (i < pat.size()) {
    std::fill(next.begin(), next.end(), 0);
    if (pat.compare(i, 3, "**/") == 0) {
      // Zero or more whole folders.
      for (std::size_t p = 0; p <= n; ++p) {
        if (!cur[p]) continue;
        next[p] = 1;
        for (std::size_t q = p; q < n; ++q)
          if (path[q] == '/') next[q + 1] = 1;
      }
      i += 3;
    } else if (pat.compare(i, 2, "**") == 0) {
      for (std::size_t p = 0; p <= n; ++p) {
        if (!cur[p]) continue;
        for (std::size_t q = p; q <= n; ++q) next[q] = 1;
        break;
      }
      i += 2;
    } else if (pat[i] == '*') {
      for (std::size_t p = 0; p <= n; ++p) {
        if (!cur[p]) continue;
        next[p] = 1;
        for (std::size_t q = p; q < n && path[q] != '/'; ++q) next[q + 1] = 1;
      }
      ++i;
    } else {
      std::size_t end = i;
      for (std::size_t p = 0; p < n; ++p) {
        if (!cur[p]) continue;
        std::size_t k = i;
        bool ok;
        if (pat[i] == '[') {
          ok = path[p] != '/' && match_class(pat, k, path[p]);
        } else {
          ok = pat[i] == '?' ? path[p] != '/' : pat[i] == path[p];
          k = i + 1;
        }
        if (ok) next[p + 1] = 1;
        end = k;
      }
      if (end == i) {
        // No live position consumed a character: advance past this token anyway.
        std::size_t k = i;
        if (pat[i] == '[') {
          match_class(pat, k, '\0');
        } else {
          k = i + 1;
        }
        end = k;
      }
      i = end;
    }
    std::swap(cur, next);
  }
  return cur[n] != 0;
}

bool is_data_file(const std::string& path) {
  std::string l = str::lower(path);
  for (const char* ext : {".parquet", ".jsonl", ".json", ".csv", ".tsv", ".txt"})
    if (str::ends_with(l, ext)) return true;
  return false;
}

SplitFiles infer_splits(const std::vector<std::string>& all) {
  std::vector<std::string> files;
  for (const auto& f : all)
    if (is_data_file(f) && !hidden(f) && str::lower(f) != "readme.md") files.push_back(f);
  std::sort(files.begin(), files.end());
  SplitFiles out;
  for (const auto& f : files) {
    std::string s = sharded_split(f);
    if (!s.empty()) out[s].push_back(f);
  }
  if (!out.empty()) return out;
  for (const auto& [split, keywords] : kSplitKeywords) {
    for (const auto& f : files) {
      auto parts = components(f);
      for (const auto& kw : keywords) {
        if (keyword_in_name(parts.back(), kw)) {
          out[split].push_back(f);
          break;
        }
      }
    }
  }
  if (!out.empty()) return out;
  for (const auto& [split, keywords] : kSplitKeywords) {
    for (const auto& f : files) {
      auto parts = components(f);
      bool hit = false;
      for (std::size_t d = 0; d + 1 < parts.size() && !hit; ++d)
        for (const auto& kw : keywords) hit = hit || keyword_in_dir(parts[d], kw, d == 0);
      if (hit) out[split].push_back(f);
    }
  }
  if (!out.empty()) return out;
  if (!files.empty()) out["train"] = files;
  return out;
}

RepoLayout parse_readme_configs(const std::string& readme,
                                const std::vector<std::string>& files,
                                const std::string& what) {
  RepoLayout layout;
  std::string text = readme.substr(0, kMaxReadme);
  if (str::starts_with(text, "\xEF\xBB\xBF")) text = text.substr(3);
  if (!str::starts_with(text, "---")) return layout;
  std::size_t end = text.find("\n---", 3);
  if (end == std::string::npos) return layout;
  std::string header = text.substr(3, end - 3);
  // yaml-cpp recurses per nesting level: refuse deep flow nesting before parsing.
  std::size_t depth = 0, max_depth = 0;
  for (char c : header) {
    if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  SWIFT_CHECK(max_depth <= kMaxYamlNesting,
              "[dataset] {}: README.md's YAML header is nested deeper than {} levels", what,
              kMaxYamlNesting);
  for (const auto& line : str::split(header, '\n')) {
    std::size_t indent = line.find_first_not_of(" -");
    SWIFT_CHECK(indent == std::string::npos || indent <= 4 * kMaxYamlNesting,
                "[dataset] {}: README.md's YAML header is indented too deeply", what);
  }
  try {
    YAML::Node root = YAML::Load(header);
    if (!root.IsMap() || !root["configs"]) return layout;
    YAML::Node configs = root["configs"];
    SWIFT_CHECK(configs.IsSequence(), "[dataset] {}: README.md's `configs` is not a list", what);
    for (const auto& c : configs) {
      SWIFT_CHECK(c.IsMap() && c["config_name"],
                  "[dataset] {}: a README.md `configs` entry has no config_name", what);
      std::string name = c["config_name"].as<std::string>();
      SplitFiles splits;
      YAML::Node df = c["data_files"];
      std::vector<std::pair<std::string, std::vector<std::string>>> patterns;
      if (!df) {
        // A config without data_files reads its data_dir (or the whole repo).
        std::string dir = c["data_dir"] ? c["data_dir"].as<std::string>() : "";
        for (auto& [split, fs] : infer_splits(files)) {
          for (auto& f : fs)
            if (dir.empty() || str::starts_with(f, dir + "/")) splits[split].push_back(f);
        }
      } else if (df.IsScalar() || (df.IsSequence() && df.size() > 0 && df[0].IsScalar())) {
        patterns.push_back({"train", yaml_strings(df)});
      } else if (df.IsSequence()) {
        for (const auto& e : df) {
          SWIFT_CHECK(e.IsMap() && e["path"],
                      "[dataset] {}: config {} has a data_files entry without a path", what, name);
          patterns.push_back(
              {e["split"] ? e["split"].as<std::string>() : "train", yaml_strings(e["path"])});
        }
      } else if (df.IsMap()) {
        for (const auto& kv : df)
          patterns.push_back({kv.first.as<std::string>(), yaml_strings(kv.second)});
      }
      for (const auto& [split, globs] : patterns) {
        std::string dir = c["data_dir"] ? c["data_dir"].as<std::string>() + "/" : "";
        for (const auto& f : files) {
          for (const auto& g : globs) {
            if (glob_match(dir + g, f)) {
              splits[split].push_back(f);
              break;
            }
          }
        }
      }
      for (auto& [split, fs] : splits) std::sort(fs.begin(), fs.end());
      if (c["default"] && c["default"].as<bool>()) layout.default_config = name;
      layout.configs[name] = std::move(splits);
    }
  } catch (const YAML::Exception& e) {
    SWIFT_FAIL("[dataset] {}: README.md's YAML header is malformed (line {}); fix or remove it",
               what, e.mark.line + 1);
  }
  if (layout.default_config.empty() && layout.configs.size() == 1)
    layout.default_config = layout.configs.begin()->first;
  return layout;
}

std::vector<std::string> select_data_files(const std::vector<std::string>& files,
                                           const std::string* readme,
                                           const std::string& config,
                                           const std::string& split,
                                           const std::string& what) {
  RepoLayout layout;
  if (readme) layout = parse_readme_configs(*readme, files, what);
  const SplitFiles* splits = nullptr;
  SplitFiles inferred;
  std::string config_desc;
  if (!layout.configs.empty()) {
    auto it = layout.configs.find(config);
    if (it == layout.configs.end() && config == "default" && !layout.default_config.empty())
      it = layout.configs.find(layout.default_config);
    if (it == layout.configs.end()) {
      std::string names;
      for (const auto& [n, s] : layout.configs) names += (names.empty() ? "" : ", ") + n;
      SWIFT_FAIL(
          "[dataset] {} has no subset '{}'; its subsets are: {} (pass one as "
          "{}:<subset>)",
          what, config, names, what);
    }
    splits = &it->second;
  } else {
    // No configs: a subset other than "default" names a folder of the repo.
    std::vector<std::string> scoped;
    for (const auto& f : files)
      if (config == "default" || str::starts_with(f, config + "/")) scoped.push_back(f);
    if (scoped.empty()) {
      std::set<std::string> dirs;
      for (const auto& f : files)
        if (f.find('/') != std::string::npos && !hidden(f) && is_data_file(f))
          dirs.insert(f.substr(0, f.find('/')));
      std::string names = "default";
      for (const auto& d : dirs) names += ", " + d;
      SWIFT_FAIL(
          "[dataset] {} has no subset '{}' (no README configs and no folder of that name); "
          "available: {}",
          what, config, names);
    }
    inferred = infer_splits(scoped);
    splits = &inferred;
  }
  auto it = splits->find(split);
  if (it == splits->end() || it->second.empty()) {
    std::string names;
    for (const auto& [n, f] : *splits) names += (names.empty() ? "" : ", ") + n;
    bool script = std::any_of(files.begin(), files.end(),
                              [](const std::string& f) { return str::ends_with(f, ".py"); });
    SWIFT_CHECK(!names.empty() || !script,
                "[dataset] {} is built by a Python loading script, which swift.cpp does not run; "
                "use a repository with data files (e.g. its refs/convert/parquet revision) or "
                "download and convert it to jsonl",
                what);
    SWIFT_FAIL("[dataset] {} subset '{}' has no split '{}'{}{}", what, config, split,
               names.empty() ? " (it holds no .parquet/.jsonl/.json/.csv/.tsv/.txt files)"
                             : "; its splits are: ",
               names);
  }
  return it->second;
}

}  // namespace swift::dataset

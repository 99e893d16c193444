// The e2e fixture models (tests/data/e2e/<name>: tiny random weights with a real vocabulary)
// completed with the tokenizer files of the matching npm test asset, as the fixtures README
// asks: a folder of copies under the build tree, one per test process, removed at exit (the
// model loader refuses symlinks that leave the folder). Returns "" when the asset is not fetched.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/test_assets.h"

namespace swift::testing {

inline std::string e2e_model_dir(const std::string& name, const std::string& tokenizer) {
  namespace fs = std::filesystem;
  const fs::path tok = tokenizer_asset_dir(tokenizer);
  if (!fs::exists(tok / "tokenizer.json")) return "";
  const fs::path src = fs::path(SWIFT_SOURCE_DIR) / "tests/data/e2e" / name;
  const fs::path dst =
      fs::path(SWIFT_BINARY_DIR) / "test_e2e_models" / (name + "-" + std::to_string(::getpid()));
  struct Cleanup {
    std::vector<fs::path> dirs;
    ~Cleanup() {
      std::error_code ec;
      for (const auto& d : dirs) fs::remove_all(d, ec);
    }
  };
  static Cleanup cleanup;
  if (fs::exists(dst / "e2e_golden.jsonl")) return dst.string();
  fs::create_directories(dst);
  cleanup.dirs.push_back(dst);
  auto link = [&](const fs::path& from) {
    fs::copy_file(from, dst / from.filename(), fs::copy_options::overwrite_existing);
  };
  for (const auto& e : fs::directory_iterator(src)) link(e.path());
  for (const auto& e : fs::directory_iterator(tok)) link(e.path());
  return dst.string();
}

}  // namespace swift::testing

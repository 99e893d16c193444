// The e2e fixture models (tests/data/e2e/<name>: tiny random weights with a real vocabulary)
// completed with the tokenizer files of the matching npm test asset, as the fixtures README
// asks: a folder of symlinks under the build tree (one per test process). Returns "" when the asset is not fetched.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/test_assets.h"

namespace swift::testing {

inline std::string e2e_model_dir(const std::string& name, const std::string& tokenizer) {
  namespace fs = std::filesystem;
  const fs::path tok = tokenizer_asset_dir(tokenizer);
  if (!fs::exists(tok / "tokenizer.json")) return "";
  const fs::path src = fs::path(SWIFT_SOURCE_DIR) / "tests/data/e2e" / name;
  const fs::path dst = fs::path(SWIFT_BINARY_DIR) / "test_e2e_models" /
                       (name + "-" + std::to_string(::getpid()));
  fs::create_directories(dst);
  auto link = [&](const fs::path& from) {
    const fs::path to = dst / from.filename();
    std::error_code ec;
    fs::remove(to, ec);
    fs::create_symlink(fs::absolute(from), to);
  };
  for (const auto& e : fs::directory_iterator(src)) link(e.path());
  for (const auto& e : fs::directory_iterator(tok)) link(e.path());
  return dst.string();
}

}  // namespace swift::testing

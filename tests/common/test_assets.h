// Where the tests find the real tokenizers that scripts/fetch-test-assets.sh downloads:
// ${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/<name>.
#pragma once

#include <cstdlib>
#include <string>

namespace swift::testing {

inline std::string tokenizer_asset_dir(const std::string& name) {
  const char* env = std::getenv("SWIFT_TEST_ASSETS");
  const char* home = std::getenv("HOME");
  std::string root = env && *env ? std::string(env)
                                 : std::string(home ? home : "") + "/.cache/swift-cpp/test-assets";
  return root + "/tokenizers/" + name;
}

}  // namespace swift::testing

// --save_total_limit rotation against transformers' rotate_checkpoints on the same folders
// (tests/data/train/checkpoint_rotation.json). Where HF's prefix match deletes a folder that is
// not a checkpoint (checkpoint-10-merged), we keep it: the one deliberate difference.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "train/checkpoints.h"

namespace {

namespace stdfs = std::filesystem;

TEST(Checkpoints, RotationEqualsTransformersForCheckpointFolders) {
  std::ifstream f(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/checkpoint_rotation.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const auto cases = nlohmann::json::parse(ss.str());
  ASSERT_GE(cases.size(), 5u);
  const auto dir = stdfs::temp_directory_path() / ("swift_rot_" + std::to_string(::getpid()));
  for (const auto& c : cases) {
    stdfs::remove_all(dir);
    for (const auto& s : c["steps"]) stdfs::create_directories(dir / ("checkpoint-" + s.dump()));
    for (const auto& s : c["strays"]) stdfs::create_directories(dir / s.get<std::string>());
    std::optional<std::string> best;
    if (!c["best"].is_null()) best = (dir / ("checkpoint-" + c["best"].dump())).string();
    swift::train::rotate_checkpoints(dir.string(), c["save_total_limit"], best);
    std::set<std::string> left;
    for (const auto& e : stdfs::directory_iterator(dir)) left.insert(e.path().filename());
    std::set<std::string> want;
    for (const auto& n : c["left"]) want.insert(n);
    for (const auto& s : c["strays"]) want.insert(s);  // never ours to delete
    EXPECT_EQ(left, want) << c.dump();
  }
  // A merged export beside the checkpoints is not one of them: never counted, never deleted.
  stdfs::remove_all(dir);
  for (int s : {5, 10, 15}) stdfs::create_directories(dir / ("checkpoint-" + std::to_string(s)));
  stdfs::create_directories(dir / "checkpoint-10-merged");
  const auto removed = swift::train::rotate_checkpoints(dir.string(), 1, std::nullopt);
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_TRUE(stdfs::exists(dir / "checkpoint-10-merged"));
  EXPECT_TRUE(stdfs::exists(dir / "checkpoint-15"));
  stdfs::remove_all(dir);
}

}  // namespace

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/progress.h"
#include "core/strings.h"

namespace {

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("swift_test_core_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(Error, CheckThrowsWithMessageAndLocation) {
  try {
    SWIFT_CHECK(1 + 1 == 3, "[test] {} is not {}", 2, 3);
    FAIL() << "no throw";
  } catch (const swift::Error& e) {
    EXPECT_STREQ(e.what(), "[test] 2 is not 3");
    EXPECT_GT(e.line(), 0);
  }
}

TEST(Strings, ClosestSuggestsTypo) {
  std::vector<std::string> names = {"lora_rank", "lora_alpha", "lora_dropout", "learning_rate"};
  EXPECT_EQ(swift::str::closest("lora_rnak", names), "lora_rank");
  EXPECT_EQ(swift::str::closest("zzzzzzzzzzzz", names), "");
  EXPECT_EQ(swift::str::edit_distance("kitten", "sitting"), 3u);
}

TEST(Strings, JsonNestingCountsOutsideStrings) {
  using swift::str::json_nesting;
  EXPECT_EQ(json_nesting("1"), 0u);
  EXPECT_EQ(json_nesting(R"({"a": [1, {"b": []}]})"), 4u);
  // Brackets inside strings, also after an escaped quote, do not count.
  EXPECT_EQ(json_nesting(R"(["[[[", "\"{{{", "\\"])"), 1u);
  // Deep input stops counting just past the limit.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(json_nesting(deep, 10), 11u);
  EXPECT_FALSE(swift::str::json_nesting_ok(deep));
  EXPECT_TRUE(swift::str::json_nesting_ok(std::string(512, '[') + std::string(512, ']')));
}

TEST(Fs, AtomicWriteReplacesAndLeavesNoTemporaries) {
  auto dir = temp_dir("atomic");
  auto path = swift::fs::join(dir, "sub/a.json");
  swift::fs::write_file_atomic(path, "one");
  swift::fs::write_file_atomic(path, "two");
  EXPECT_EQ(swift::fs::read_file(path), "two");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    (void)e;
    ++n;
  }
  EXPECT_EQ(n, 1);
}

TEST(Fs, MapReadsBytesAndEmptyFiles) {
  auto dir = temp_dir("map");
  auto path = swift::fs::join(dir, "x.bin");
  swift::fs::write_file_atomic(path, std::string("abc\0d", 5));
  swift::fs::MappedFile m(path);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m.data()[4], 'd');
  auto empty = swift::fs::join(dir, "empty.bin");
  swift::fs::write_file_atomic(empty, "");
  swift::fs::MappedFile e(empty);
  EXPECT_EQ(e.size(), 0u);
  EXPECT_THROW(swift::fs::MappedFile(swift::fs::join(dir, "missing")), swift::Error);
}

TEST(Fs, IsWithinRejectsEscapes) {
  auto dir = temp_dir("within");
  EXPECT_TRUE(swift::fs::is_within(swift::fs::join(dir, "a/b.safetensors"), dir));
  EXPECT_FALSE(swift::fs::is_within(swift::fs::join(dir, "../x"), dir));
  EXPECT_FALSE(swift::fs::is_within("/etc/passwd", dir));
  std::filesystem::create_symlink("/etc", swift::fs::join(dir, "link"));
  EXPECT_FALSE(swift::fs::is_within(swift::fs::join(dir, "link/passwd"), dir));
}

TEST(Progress, RendersPercentAndSizes) {
  swift::ProgressBar bar("Downloading x", 1000, /*bytes=*/true);
  bar.set(500);
  std::string line = bar.render();
  EXPECT_NE(line.find(" 50%|"), std::string::npos) << line;
  EXPECT_NE(line.find("500/1.00k"), std::string::npos) << line;
  EXPECT_EQ(swift::format_duration(3725), "1:02:05");
  EXPECT_EQ(swift::format_duration(65), "01:05");
}

}  // namespace

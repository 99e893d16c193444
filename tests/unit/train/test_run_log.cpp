// logging.jsonl lines byte for byte as ms-swift 4.6 writes them for the same trainer logs and
// clocks (tests/data/train/logging_records.json, from tools/reference/make_logging_goldens.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "train/run_log.h"

namespace {

using nlohmann::ordered_json;

ordered_json goldens() {
  std::ifstream f(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/logging_records.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return ordered_json::parse(ss.str());
}

TEST(RunLog, FormatTimeEqualsMsSwift) {
  const ordered_json g = goldens();
  for (const auto& c : g["format_time"])
    EXPECT_EQ(swift::train::format_time(c[0].get<double>()), c[1].get<std::string>()) << c[0];
}

TEST(RunLog, RecordsEqualMsSwiftByteForByte) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("swift_logging_" + std::to_string(::getpid()) + ".jsonl");
  const ordered_json g = goldens();
  for (const auto& r : g["records"]) {
    ordered_json logs = r["logs"];
    swift::train::TrainProgress p;
    p.global_step = r["global_step"];
    p.max_steps = r["max_steps"];
    p.start_step = r["start_step"];
    p.elapsed_seconds = r["elapsed"];
    p.max_memory_gib = r["max_memory_gib"];
    swift::train::add_train_message(logs, p);
    std::filesystem::remove(path);
    swift::train::append_jsonl(path.string(), logs);
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_EQ(ss.str(), r["line"].get<std::string>());
  }
  std::filesystem::remove(path);
}

TEST(RunLog, PythonRounding) {
  EXPECT_DOUBLE_EQ(swift::train::py_round(2.675, 2), 2.67);  // 2.675 is below half in binary
  EXPECT_DOUBLE_EQ(swift::train::py_round(0.125, 2), 0.12);  // exact tie: to even
  EXPECT_DOUBLE_EQ(swift::train::py_round(1.23456789e-05, 8), 1.235e-05);
}

}  // namespace

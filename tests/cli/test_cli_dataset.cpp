// `swift inspect --dataset` and hub datasets as a user runs them: the binary resolves ms-swift's
// dataset names against a fake ModelScope / Hugging Face hub on 127.0.0.1, downloads into the
// hub caches and prints the rows ms-swift's preprocessing makes, one JSON line each.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/e2e_model.h"
#include "common/run_command.h"
#include "hub/fake_hub.h"

namespace {

namespace stdfs = std::filesystem;
using json = nlohmann::ordered_json;
using swift::hub::testing::FakeFile;
using swift::hub::testing::FakeHub;
using swift::hub::testing::FakeRepo;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> rows;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(pos, end - pos);
    if (!line.empty() && line[0] == '{') rows.push_back(json::parse(line));
    pos = end + 1;
  }
  return rows;
}

class CliDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (stdfs::temp_directory_path() / ("swift_cli_dataset_" + std::to_string(::getpid())))
                .string();
    stdfs::remove_all(root_);
    stdfs::create_directories(root_);
    std::string dir = std::string(SWIFT_SOURCE_DIR) + "/tests/data/parquet/";
    parquet_ = slurp(dir + "alpaca_zh_zstd.parquet");
    std::string lines = slurp(dir + "alpaca_zh_zstd.jsonl");
    for (std::size_t pos = 0; pos < lines.size();) {
      auto end = lines.find('\n', pos);
      rows_.push_back(json::parse(lines.substr(pos, end - pos)));
      pos = end + 1;
    }
    FakeRepo ms;
    ms.commit = "0123456789abcdef0123456789abcdef01234567";
    ms.files["data/train-00000-of-00001.parquet"] = FakeFile{parquet_, false, ""};
    hub_.add_ms_dataset("AI-ModelScope/alpaca-gpt4-data-zh", ms);
    FakeRepo hf = ms;
    hf.files["data/train-00000-of-00001.parquet"].lfs = true;
    hub_.add_hf_dataset("llm-wizard/alpaca-gpt4-data-zh", hf);
  }
  void TearDown() override { stdfs::remove_all(root_); }

  swift::testing::CommandResult swift(const std::string& args, const std::string& extra_env = "") {
    std::string env =
        "env -u USE_HF -u HF_HUB_OFFLINE -u HF_DATASETS_OFFLINE -u HF_TOKEN "
        "HF_HUB_DISABLE_PROGRESS_BARS=1 HF_ENDPOINT=" +
        hub_.base_url() + " MODELSCOPE_ENDPOINT=" + hub_.base_url() + " HF_HUB_CACHE=" + root_ +
        "/hf MODELSCOPE_CACHE=" + root_ + "/ms HF_HOME=" + root_ + "/home " + extra_env;
    return swift::testing::run_command(env + " " + SWIFT_BIN + " " + args + " 2>" + root_ + "/err");
  }
  std::string err() { return slurp(root_ + "/err"); }

  // ms-swift's AlpacaZhPreprocessor + ResponsePreprocessor on row i.
  json expected(std::size_t i) const {
    std::string inst = rows_[i]["instruction"], input = rows_[i]["input"];
    const std::string prefix = "输入：";
    if (input.rfind(prefix, 0) == 0) input = input.substr(prefix.size());
    std::string q =
        !inst.empty() && !input.empty() ? inst + "\n" + input : (inst.empty() ? input : inst);
    return json::array({{{"role", "user"}, {"content", q}},
                        {{"role", "assistant"}, {"content", rows_[i]["output"]}}});
  }

  FakeHub hub_;
  std::string root_, parquet_;
  std::vector<json> rows_;
};

TEST_F(CliDataset, InspectPrintsMsSwiftRowsFromModelScope) {
  auto r = swift("inspect --dataset AI-ModelScope/alpaca-gpt4-data-zh");
  ASSERT_EQ(r.code, 0) << err();
  auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), rows_.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["messages"], expected(i)) << i;
  EXPECT_TRUE(stdfs::is_regular_file(
      root_ + "/ms/datasets/AI-ModelScope/alpaca-gpt4-data-zh/data/train-00000-of-00001.parquet"));
  auto sampled = swift("inspect --dataset AI-ModelScope/alpaca-gpt4-data-zh#500");
  ASSERT_EQ(sampled.code, 0) << err();
  EXPECT_EQ(json_lines(sampled.out).size(), 500u);
  EXPECT_NE(err().find("500 rows"), std::string::npos) << err();
}

TEST_F(CliDataset, UseHfTakesTheHuggingFaceLayout) {
  auto r = swift("inspect --dataset AI-ModelScope/alpaca-gpt4-data-zh#20 --use_hf true");
  ASSERT_EQ(r.code, 0) << err();
  EXPECT_EQ(json_lines(r.out).size(), 20u);
  EXPECT_TRUE(
      stdfs::is_directory(root_ + "/hf/datasets--llm-wizard--alpaca-gpt4-data-zh/snapshots"));
  EXPECT_FALSE(stdfs::exists(root_ + "/ms/datasets"));
  // USE_HF=1 does the same; offline afterwards reads the cache only.
  auto again =
      swift("inspect --dataset AI-ModelScope/alpaca-gpt4-data-zh#3", "USE_HF=1 HF_HUB_OFFLINE=1");
  ASSERT_EQ(again.code, 0) << err();
  EXPECT_EQ(json_lines(again.out).size(), 3u);
}

TEST_F(CliDataset, ErrorsAreOneClearLine) {
  auto r = swift("inspect --dataset org/absent");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(err().find("dataset org/absent not found on ModelScope"), std::string::npos) << err();
  r = swift("inspect --dataset AI-ModelScope/alpaca-gpt4-data-zh:nosuch");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(err().find("no subset 'nosuch'"), std::string::npos) << err();
}

TEST_F(CliDataset, InferValDatasetReadsHubDatasets) {
  std::string model = swift::testing::e2e_model_dir("qwen3_e2e", "qwen3");
  if (model.empty())
    GTEST_SKIP() << "tokenizer test asset missing: run scripts/fetch-test-assets.sh";
  std::string out = root_ + "/result.jsonl";
  auto r = swift("infer --model " + model +
                 " --val_dataset AI-ModelScope/alpaca-gpt4-data-zh#3 --temperature 0 "
                 "--max_new_tokens 2 --result_path " +
                 out);
  ASSERT_EQ(r.code, 0) << err();
  auto rows = json_lines(slurp(out));
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    EXPECT_TRUE(row.contains("response"));
    EXPECT_TRUE(row["labels"].is_string());
  }
}

}  // namespace

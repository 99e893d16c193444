// Hub datasets end to end against the fake hub on 127.0.0.1: ms-swift's registered names
// resolve to their ModelScope or Hugging Face repos, files land in the caches the Python
// libraries use, subsets / splits / #N work as in ms-swift, the rows become the messages
// ms-swift's preprocessors make, downloads resume and are checked, offline mode reads only the
// cache, and mistakes get errors that say what to do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/test_util.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "dataset/dataset.h"
#include "dataset/hub_source.h"
#include "hub/dataset.h"
#include "hub/fake_hub.h"  // tests/unit/hub

namespace swift::dataset {
namespace {

namespace stdfs = std::filesystem;
using json = nlohmann::ordered_json;
using hub::testing::FakeFile;
using hub::testing::FakeHub;
using hub::testing::FakeRepo;

const char* kCommit = "89abcdef0123456789abcdef0123456789abcdef";

std::string source_file(const std::string& rel) {
  return fs::read_file(std::string(SWIFT_SOURCE_DIR) + "/" + rel);
}

std::vector<json> jsonl(const std::string& text) {
  std::vector<json> rows;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    if (end > pos) rows.push_back(json::parse(text.substr(pos, end - pos)));
    pos = end + 1;
  }
  return rows;
}

std::string csv_field(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The alpaca fixture's rows (as pyarrow reads them) and, per ms-swift's AlpacaZhPreprocessor
// (an input starting with "输入：" loses it; instruction and input joined by "\n" when both are
// non-empty) and ResponsePreprocessor, the messages ms-swift makes of each.
struct Alpaca {
  std::vector<json> rows = jsonl(source_file("tests/data/parquet/alpaca_zh_zstd.jsonl"));
  std::string parquet = source_file("tests/data/parquet/alpaca_zh_zstd.parquet");
  std::string csv() const {
    std::string s = "instruction,input,output\n";
    for (const auto& r : rows) {
      s += csv_field(r["instruction"]) + "," + csv_field(r["input"]) + "," +
           csv_field(r["output"]) + "\n";
    }
    return s;
  }
  json messages(std::size_t i) const {
    std::string inst = rows[i]["instruction"], input = rows[i]["input"];
    const std::string prefix = "输入：";
    if (input.rfind(prefix, 0) == 0) input = input.substr(prefix.size());
    std::string q =
        !inst.empty() && !input.empty() ? inst + "\n" + input : (inst.empty() ? input : inst);
    return json::array({{{"role", "user"}, {"content", q}},
                        {{"role", "assistant"}, {"content", rows[i]["output"]}}});
  }
};

FakeRepo repo(std::map<std::string, FakeFile> files) {
  FakeRepo r;
  r.commit = kCommit;
  r.files = std::move(files);
  return r;
}

class DatasetHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = stdfs::temp_directory_path() /
            ("swift_dataset_hub_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(root_);
    stdfs::create_directories(root_);
    for (const char* v : {"USE_HF", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
                          "HF_TOKEN", "MODELSCOPE_API_TOKEN", "HUGGINGFACE_HUB_CACHE"})
      ::unsetenv(v);
    ::setenv("HF_HUB_CACHE", (root_ / "hf").c_str(), 1);
    ::setenv("MODELSCOPE_CACHE", (root_ / "ms").c_str(), 1);
    ::setenv("HF_HOME", (root_ / "hf_home").c_str(), 1);
    ::setenv("HF_ENDPOINT", hub_.base_url().c_str(), 1);
    ::setenv("MODELSCOPE_ENDPOINT", hub_.base_url().c_str(), 1);
    ::setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1", 1);

    hub_.add_ms_dataset("AI-ModelScope/alpaca-gpt4-data-zh",
                        repo({{"README.md", {"# alpaca-gpt4-data-zh\n", false, ""}},
                              {"train.csv", {alpaca_.csv(), false, ""}}}));
    hub_.add_hf_dataset(
        "llm-wizard/alpaca-gpt4-data-zh",
        repo({{"README.md", {"---\nlicense: cc-by-4.0\n---\n# alpaca\n", false, ""}},
              {".gitattributes", {"*.parquet filter=lfs\n", false, ""}},
              {"data/train-00000-of-00001-7d5e1b.parquet", {alpaca_.parquet, true, ""}}}));
    std::string cognition =
        R"({"query": "你是？", "response": "我是{{NAME}}，由{{AUTHOR}}训练的人工智能助手。", "tag": "zh"})"
        "\n"
        R"({"query": "who are you?", "response": "I am {{NAME}}, trained by {{AUTHOR}}.", "tag": "en"})"
        "\n";
    hub_.add_ms_dataset("swift/self-cognition",
                        repo({{"self_cognition.jsonl", {cognition, false, ""}}}));
    // An unregistered repo with two configs in its README.
    std::string readme =
        "---\nconfigs:\n- config_name: first\n  data_files:\n  - split: train\n    path: "
        "first/train-*\n  - split: test\n    path: first/test.jsonl\n  default: true\n"
        "- config_name: second\n  data_files: \"second/*.jsonl\"\n---\n";
    hub_.add_hf_dataset(
        "org/multi",
        repo(
            {{"README.md", {readme, false, ""}},
             {"first/train-0.jsonl",
              {R"({"problem": "1+1", "solution": "2"})"
               "\n",
               false, ""}},
             {"first/test.jsonl",
              {R"({"problem": "2+2", "solution": "4"})"
               "\n",
               false, ""}},
             {"second/a.jsonl",
              {R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})"
               "\n",
               false, ""}}}));
  }
  void TearDown() override { stdfs::remove_all(root_); }

  LoadOptions options(bool use_hf = false) {
    LoadOptions lo;
    lo.use_hf = use_hf;
    hub::HubOptions ho = hub::hub_options_from_env(use_hf, std::nullopt);
    ho.retry_base_delay_s = 0.01;
    ho.progress = false;
    lo.hub_source = hub_source_factory(ho);
    return lo;
  }

  FakeHub hub_;
  Alpaca alpaca_;
  stdfs::path root_;
};

using swift::testing::expect_error;

TEST_F(DatasetHubTest, ModelScopeAlpacaZhYieldsMsSwiftMessages) {
  auto rows = load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options());
  ASSERT_EQ(rows.size(), alpaca_.rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i]["messages"], alpaca_.messages(i)) << i << ": " << rows[i].dump();
  // modelscope's dataset cache layout
  EXPECT_TRUE(
      fs::is_file((root_ / "ms/datasets/AI-ModelScope/alpaca-gpt4-data-zh/train.csv").string()));
  // #500 > 80 rows: the set repeated, then random rows, exactly 500.
  auto sampled = load_dataset("AI-ModelScope/alpaca-gpt4-data-zh#500", options());
  EXPECT_EQ(sampled.size(), 500u);
  auto few = load_dataset("AI-ModelScope/alpaca-gpt4-data-zh#7", options());
  EXPECT_EQ(few.size(), 7u);
}

TEST_F(DatasetHubTest, UseHfReadsTheHuggingFaceParquet) {
  auto rows = load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options(true));
  ASSERT_EQ(rows.size(), alpaca_.rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["messages"], alpaca_.messages(i));
  std::string snap =
      (root_ / "hf/datasets--llm-wizard--alpaca-gpt4-data-zh/snapshots").string() + "/" + kCommit;
  EXPECT_TRUE(fs::is_file(snap + "/data/train-00000-of-00001-7d5e1b.parquet"));
  EXPECT_EQ(swift::str::trim(fs::read_file(
                (root_ / "hf/datasets--llm-wizard--alpaca-gpt4-data-zh/refs/main").string())),
            kCommit);
  // hf:: picks the hub per dataset whatever --use_hf says; the HF id works as well.
  EXPECT_EQ(load_dataset("hf::AI-ModelScope/alpaca-gpt4-data-zh#3", options()).size(), 3u);
  EXPECT_EQ(load_dataset("llm-wizard/alpaca-gpt4-data-zh#4", options(true)).size(), 4u);
}

TEST_F(DatasetHubTest, SecondLoadDownloadsNothingAndOfflineReadsTheCache) {
  load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options(true));
  load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options());
  int before = hub_.request_count();
  load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options(true));
  load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options());
  EXPECT_EQ(hub_.request_count() - before, 2);  // one listing per hub, no file
  ::setenv("HF_DATASETS_OFFLINE", "1", 1);
  before = hub_.request_count();
  EXPECT_EQ(load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options(true)).size(), 80u);
  EXPECT_EQ(load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options()).size(), 80u);
  EXPECT_EQ(hub_.request_count(), before);
  expect_error([&] { load_dataset("swift/self-cognition", options()); }, {"not cached", "offline"});
}

TEST_F(DatasetHubTest, SelfCognitionNameAndAuthor) {
  LoadOptions lo = options();
  lo.model_name = {"小黄", "Xiao Huang"};
  lo.model_author = {"魔搭", "ModelScope"};
  auto rows = load_dataset("swift/self-cognition", lo);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["messages"][1]["content"], "我是小黄，由魔搭训练的人工智能助手。");
  EXPECT_EQ(rows[1]["messages"][1]["content"], "I am Xiao Huang, trained by ModelScope.");
  EXPECT_FALSE(rows[0].contains("tag"));
  auto q3 = load_dataset("swift/self-cognition:qwen3", lo);
  EXPECT_EQ(q3[1]["messages"][0]["content"], "who are you? /no_think");
  EXPECT_EQ(q3[1]["messages"][1]["content"],
            "<think>\n\n</think>\n\nI am Xiao Huang, trained by ModelScope.");
  EXPECT_EQ(load_dataset("swift/self-cognition#5", lo).size(), 5u);
  // Without names the placeholders stay (ms-swift leaves them too).
  auto raw = load_dataset("swift/self-cognition", options());
  EXPECT_EQ(raw[1]["messages"][1]["content"], "I am {{NAME}}, trained by {{AUTHOR}}.");
}

TEST_F(DatasetHubTest, UnregisteredRepoConfigsAndSplits) {
  auto first = load_dataset("org/multi", options(true));  // the default config, train split
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["messages"][0]["content"], "1+1");
  EXPECT_EQ(first[0]["messages"][1]["content"], "2");
  auto second = load_dataset("org/multi:second", options(true));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["messages"][1]["content"], "yo");
  EXPECT_EQ(load_dataset("org/multi:all", options(true)).size(), 2u);
  expect_error([&] { load_dataset("org/multi:third", options(true)); },
               {"no subset 'third'", "first, second"});
}

TEST_F(DatasetHubTest, ResumesAndRejectsCorruptFiles) {
  hub_.cut_downloads("train.csv", 1);
  EXPECT_EQ(load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", options()).size(), 80u);
  bool ranged = false;
  for (const auto& r : hub_.log()) ranged = ranged || !r.range.empty();
  EXPECT_TRUE(ranged);
  FakeFile bad{"{\"query\": \"q\", \"response\": \"r\"}\n", false, std::string(64, 'a')};
  hub_.add_ms_dataset("org/corrupt", repo({{"train.jsonl", bad}}));
  expect_error([&] { load_dataset("org/corrupt", options()); }, {"corrupt", "train.jsonl"});
  EXPECT_FALSE(fs::exists((root_ / "ms/datasets/org/corrupt/train.jsonl").string()));
}

TEST_F(DatasetHubTest, ModelScopeListingIsPaged) {
  std::map<std::string, FakeFile> files;
  for (int i = 0; i < 230; ++i) files["notes/n" + std::to_string(i) + ".md"] = {"x", false, ""};
  files["zz/train.jsonl"] = {R"({"query": "a", "response": "b"})"
                             "\n",
                             false, ""};
  hub_.add_ms_dataset("org/many", repo(files));
  EXPECT_EQ(load_dataset("org/many", options()).size(), 1u);
}

TEST_F(DatasetHubTest, ClearErrors) {
  expect_error([&] { load_dataset("org/absent", options()); },
               {"dataset org/absent not found on ModelScope", "--use_hf true"});
  expect_error([&] { load_dataset("org/absent", options(true)); },
               {"not found on Hugging Face", "drop --use_hf"});
  expect_error([&] { load_dataset("not-a-hub-id", options()); }, {"org/name", "--dataset"});
  expect_error([&] { load_dataset("a/b/c", options()); }, {"org/name"});
  expect_error([&] { load_dataset("swift/self-cognition:nope", options()); }, {"no subset 'nope'"});
  // A split the repo does not have.
  hub_.add_ms_dataset("org/testonly", repo({{"test.jsonl",
                                             {R"({"query": "a", "response": "b"})"
                                              "\n",
                                              false, ""}}}));
  expect_error([&] { load_dataset("org/testonly", options()); }, {"no split 'train'", "test"});
  // Registered only on ModelScope.
  expect_error([&] { load_dataset("swift/sharegpt:common-zh", options(true)); },
               {"only on ModelScope"});
  // No hub access linked: a clear message instead of a network attempt.
  expect_error([&] { load_dataset("org/multi", LoadOptions()); }, {"without hub access"});
}

TEST_F(DatasetHubTest, RevisionPinsACommit) {
  hub::HubOptions o = hub::hub_options_from_env(true, std::string(kCommit));
  o.progress = false;
  hub::DatasetRepo repo("llm-wizard/alpaca-gpt4-data-zh", true, o);
  EXPECT_EQ(repo.describe(), "Hugging Face dataset llm-wizard/alpaca-gpt4-data-zh");
  EXPECT_NE(repo.local_root().find(std::string("snapshots/") + kCommit), std::string::npos);
  std::string local = repo.fetch("data/train-00000-of-00001-7d5e1b.parquet");
  EXPECT_TRUE(fs::is_file(local));
  // A commit is not a branch: no refs/<commit> file.
  EXPECT_FALSE(
      fs::exists((root_ / "hf/datasets--llm-wizard--alpaca-gpt4-data-zh/refs" / kCommit).string()));
  expect_error([&] { repo.fetch("../escape"); }, {"unsafe"});
  expect_error([&] { repo.fetch("not/listed.parquet"); }, {"has no file"});
}

}  // namespace
}  // namespace swift::dataset

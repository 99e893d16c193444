// Dataset formats and specifiers as ms-swift documents them (ms-swift-spec §3.1-3.2): every row
// format yields the same canonical messages; #N counts; strict and lenient bad-row handling.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "dataset/data_files.h"
#include "dataset/dataset.h"
#include "dataset/registry.h"

namespace {

using json = nlohmann::ordered_json;
using swift::dataset::load_dataset;
using swift::dataset::LoadOptions;

std::string temp_file(const std::string& name, const std::string& content) {
  auto dir =
      std::filesystem::temp_directory_path() / ("swift_test_dataset_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

const json kExpected = json::array({{{"role", "system"}, {"content", "Be brief."}},
                                    {{"role", "user"}, {"content", "Hi"}},
                                    {{"role", "assistant"}, {"content", "Hello"}}});

TEST(Dataset, EveryFormatYieldsTheSameMessages) {
  std::vector<std::pair<std::string, std::string>> files = {
      {"messages.jsonl",
       R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]})"},
      {"sharegpt.jsonl",
       R"({"system": "Be brief.", "conversation": [{"human": "Hi", "assistant": "Hello"}]})"},
      {"fromvalue.jsonl",
       R"({"system": "Be brief.", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]})"},
      {"query.jsonl", R"({"system": "Be brief.", "query": "Hi", "response": "Hello"})"},
      {"aliases.jsonl", R"({"system_prompt": "Be brief.", "question": "Hi", "answer": "Hello"})"},
      {"alpaca.jsonl",
       R"({"system": "Be brief.", "instruction": "Hi", "input": "", "output": "Hello"})"},
      {"rows.json", R"([{"system": "Be brief.", "prompt": "Hi", "completion": "Hello"}])"},
      {"rows.csv", "system,query,response\n\"Be brief.\",Hi,Hello\n"},
  };
  for (const auto& [name, content] : files) {
    auto rows = load_dataset(temp_file(name, content), LoadOptions());
    ASSERT_EQ(rows.size(), 1u) << name;
    EXPECT_EQ(rows[0]["messages"], kExpected) << name << ": " << rows[0].dump();
  }
}

TEST(Dataset, AlpacaJoinsInstructionAndInput) {
  auto rows = load_dataset(
      temp_file("alpaca2.jsonl", R"({"instruction": "Reverse", "input": "abc", "output": "cba"})"),
      LoadOptions());
  EXPECT_EQ(rows[0]["messages"][0]["content"], "Reverse\nabc");
}

TEST(Dataset, HistoryAndExtraColumns) {
  auto rows = load_dataset(
      temp_file(
          "hist.jsonl",
          R"({"query": "q2", "response": "r2", "history": [["q1", "r1"]], "solution": "42", "images": ["a.png"]})"),
      LoadOptions());
  ASSERT_EQ(rows[0]["messages"].size(), 4u);
  EXPECT_EQ(rows[0]["messages"][0]["content"], "q1");
  EXPECT_EQ(rows[0]["messages"][3]["content"], "r2");
  EXPECT_EQ(rows[0]["images"], json::array({"a.png"}));
}

TEST(Dataset, KeyOrderIsKeptForTools) {
  const std::string tools =
      R"([{"type":"function","function":{"name":"f","description":"d","parameters":{}}}])";
  auto rows = load_dataset(
      temp_file("tools.jsonl", R"({"tools": )" + tools + R"(, "query": "q", "response": "r"})"),
      LoadOptions());
  EXPECT_EQ(rows[0]["tools"].dump(), tools);
}

TEST(Dataset, PretrainingText) {
  auto rows = load_dataset(temp_file("pt.txt", "first line\nsecond line\n"), LoadOptions());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["messages"],
            json::array({{{"role", "assistant"}, {"content", "second line"}}}));
}

TEST(Dataset, CsvQuotingAndCrLf) {
  auto rows = load_dataset(
      temp_file("q.csv", "query,response\r\n\"a, \"\"quoted\"\"\nline\",b\r\n"), LoadOptions());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["messages"][0]["content"], "a, \"quoted\"\nline");
}

TEST(Dataset, SampleCounts) {
  std::string content;
  for (int i = 0; i < 10; ++i)
    content += R"({"query": "q)" + std::to_string(i) + R"(", "response": "r"})" + "\n";
  auto path = temp_file("ten.jsonl", content);
  EXPECT_EQ(load_dataset(path + "#3", LoadOptions()).size(), 3u);
  EXPECT_EQ(load_dataset(path + "#25", LoadOptions()).size(), 25u);
  EXPECT_EQ(load_dataset(path + "#0", LoadOptions()).size(), 0u);
  // Without replacement below the size: no row twice.
  auto seven = load_dataset(path + "#7", LoadOptions());
  std::set<std::string> seen;
  for (const auto& r : seven) seen.insert(r["messages"][0]["content"].get<std::string>());
  EXPECT_EQ(seen.size(), 7u);
  // Above the size: every row twice, then 5 more distinct ones.
  std::map<std::string, int> counts;
  for (const auto& r : load_dataset(path + "#25", LoadOptions()))
    ++counts[r["messages"][0]["content"].get<std::string>()];
  int threes = 0;
  for (const auto& [k, n] : counts) {
    EXPECT_TRUE(n == 2 || n == 3) << k;
    threes += n == 3;
  }
  EXPECT_EQ(threes, 5);
  // Sequential without shuffle.
  LoadOptions seq;
  seq.shuffle = false;
  auto first = load_dataset(path + "#2", seq);
  EXPECT_EQ(first[0]["messages"][0]["content"], "q0");
  EXPECT_EQ(first[1]["messages"][0]["content"], "q1");
}

TEST(Dataset, SpecSyntax) {
  auto s = swift::dataset::parse_dataset_spec("hf::org/name:sub1/sub2#100");
  EXPECT_EQ(s.hub, "hf");
  EXPECT_EQ(s.name, "org/name");
  EXPECT_EQ(s.subsets, (std::vector<std::string>{"sub1", "sub2"}));
  EXPECT_EQ(*s.sample, 100);
  EXPECT_THROW(swift::dataset::parse_dataset_spec("x#abc"), swift::Error);
  EXPECT_THROW(load_dataset("org/not-local#5", LoadOptions()), swift::Error);
}

TEST(Dataset, StrictNamesFileAndLine) {
  auto path = temp_file("bad.jsonl",
                        "{\"query\": \"a\", \"response\": \"b\"}\n{not json\n"
                        "{\"query\": \"c\", \"response\": \"d\"}\n");
  LoadOptions strict;
  strict.strict = true;
  try {
    load_dataset(path, strict);
    FAIL() << "no error";
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
  // Lenient: one bad row of three is over the 1% default, so loading aborts with counts...
  EXPECT_THROW(load_dataset(path, LoadOptions()), swift::Error);
  // ...and with a looser ratio the bad row is dropped and counted.
  LoadOptions loose;
  loose.max_drop_ratio = 0.5;
  swift::dataset::LoadStats stats;
  auto rows = load_dataset(path, loose, &stats);
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(stats.total, 3u);
  EXPECT_EQ(stats.dropped["invalid JSON"], 1u);
}

// Rows (or JSON-string messages) nested without bound are bad rows, not a stack overflow.
TEST(Dataset, DeeplyNestedRowsAreBadRows) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto path =
      temp_file("deep.jsonl", "{\"query\": \"a\", \"response\": \"b\"}\n{\"x\": " + deep + "}\n");
  LoadOptions loose;
  loose.max_drop_ratio = 0.5;
  swift::dataset::LoadStats stats;
  EXPECT_EQ(load_dataset(path, loose, &stats).size(), 1u);
  EXPECT_EQ(stats.dropped.size(), 1u);
  // The same as one .json list.
  auto list = temp_file("deep.json", "[{\"query\": \"a\", \"response\": \"b\"}, " + deep + "]");
  EXPECT_THROW(load_dataset(list, LoadOptions()), swift::Error);
  json out;
  json raw = {{"messages", deep}};
  EXPECT_FALSE(swift::dataset::normalize_row(raw, json(), &out).empty());
}

TEST(Dataset, MalformedRowsAreRejectedNotCrashing) {
  std::vector<std::string> bad = {
      R"({"messages": []})",
      R"({"messages": "oops"})",
      R"({"messages": [{"role": "wizard", "content": "x"}]})",
      R"({"messages": [{"role": "user", "content": 5}]})",
      R"({"messages": [1, 2]})",
      R"([1, 2, 3])",
      R"({"query": 5, "response": "x"})",
      R"({"query": "q", "response": "r", "history": [["only one"]]})",
  };
  for (const auto& line : bad) {
    json out;
    json raw = json::parse(line);
    EXPECT_FALSE(swift::dataset::normalize_row(raw, json(), &out).empty()) << line;
  }
}

// --- data files, registry, folders and Parquet (issue 14) ---

using swift::dataset::glob_match;
using swift::dataset::infer_splits;

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("swift_test_dataset_" + std::to_string(::getpid())) / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

void write_file(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

TEST(DataFiles, GlobMatchesAsFsspec) {
  EXPECT_TRUE(glob_match("data/train-*", "data/train-00000-of-00001.parquet"));
  EXPECT_FALSE(glob_match("data/train-*", "data/x/train-0.parquet"));
  EXPECT_TRUE(glob_match("**/train-*", "train-0.parquet"));
  EXPECT_TRUE(glob_match("**/train-*", "a/b/train-0.parquet"));
  EXPECT_TRUE(glob_match("data/**", "data/a/b.json"));
  EXPECT_TRUE(glob_match("*.jsonl", "x.jsonl"));
  EXPECT_FALSE(glob_match("*.jsonl", "d/x.jsonl"));
  EXPECT_TRUE(glob_match("part[0-9].csv", "part7.csv"));
  EXPECT_FALSE(glob_match("part[!0-9].csv", "part7.csv"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "a/c"));
  // Adversarial patterns stay linear.
  EXPECT_FALSE(glob_match(std::string(200, '*') + "x", std::string(5000, 'a')));
  EXPECT_FALSE(glob_match("[", "a"));
}

TEST(DataFiles, DefaultSplitPatterns) {
  auto s = infer_splits({"README.md", "data/train-00000-of-00002.parquet",
                         "data/train-00001-of-00002.parquet", "data/test-00000-of-00001.parquet",
                         ".gitattributes"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s["train"].size(), 2u);
  EXPECT_EQ(s["test"].size(), 1u);
  s = infer_splits({"train.jsonl", "dev.jsonl", "my_test_set.csv"});
  EXPECT_EQ(s["train"], (std::vector<std::string>{"train.jsonl"}));
  EXPECT_EQ(s["validation"], (std::vector<std::string>{"dev.jsonl"}));
  EXPECT_EQ(s["test"], (std::vector<std::string>{"my_test_set.csv"}));
  s = infer_splits({"train/a.json", "valid/b.json"});
  EXPECT_EQ(s["train"].size(), 1u);
  EXPECT_EQ(s["validation"].size(), 1u);
  // Nested folders count only with a separator before the keyword, as in `datasets`.
  s = infer_splits({"data/train/x.json", "data/test/y.json"});
  EXPECT_EQ(s["train"].size(), 2u);
  s = infer_splits({"data/my-test/y.json", "data/all/x.json"});
  EXPECT_EQ(s["test"].size(), 1u);
  s = infer_splits({"alpaca_data.json", "notes.md"});
  EXPECT_EQ(s["train"], (std::vector<std::string>{"alpaca_data.json"}));
  s = infer_splits(
      {"data/train_sft-00000-of-00003.parquet", "data/test_sft-00000-of-00001.parquet"});
  EXPECT_EQ(s["train_sft"].size(), 1u);
  EXPECT_EQ(s["test_sft"].size(), 1u);
}

TEST(DataFiles, ReadmeConfigs) {
  std::string readme =
      "---\nlicense: mit\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
      "    path:\n    - a/*.parquet\n    - b/*.parquet\n  - split: test\n    path: t.jsonl\n"
      "- config_name: zh\n  data_dir: zh\n  data_files: \"*.jsonl\"\n---\n# card\n";
  std::vector<std::string> files = {"a/0.parquet", "b/1.parquet", "t.jsonl", "zh/x.jsonl",
                                    "README.md"};
  auto layout = swift::dataset::parse_readme_configs(readme, files, "repo");
  ASSERT_EQ(layout.configs.size(), 2u);
  EXPECT_EQ(layout.configs["default"]["train"].size(), 2u);
  EXPECT_EQ(layout.configs["zh"]["train"], (std::vector<std::string>{"zh/x.jsonl"}));
  EXPECT_EQ(swift::dataset::select_data_files(files, &readme, "default", "test", "repo"),
            (std::vector<std::string>{"t.jsonl"}));
  try {
    swift::dataset::select_data_files(files, &readme, "en", "train", "repo");
    ADD_FAILURE();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("default, zh"), std::string::npos) << e.what();
  }
  std::string bad = "---\nconfigs: [\n---\n";
  EXPECT_THROW(swift::dataset::parse_readme_configs(bad, files, "repo"), swift::Error);
  std::string deep = "---\nx: " + std::string(5000, '[') + "\n---\n";
  EXPECT_THROW(swift::dataset::parse_readme_configs(deep, files, "repo"), swift::Error);
  std::string odd = "---\nconfigs:\n- data_files: x\n---\n";
  EXPECT_THROW(swift::dataset::parse_readme_configs(odd, files, "repo"), swift::Error);
  // A README without YAML is not an error.
  EXPECT_TRUE(swift::dataset::parse_readme_configs("# hi\n", files, "repo").configs.empty());
}

TEST(Registry, MsSwiftNames) {
  using swift::dataset::find_registered;
  auto* zh = find_registered("AI-ModelScope/alpaca-gpt4-data-zh");
  ASSERT_NE(zh, nullptr);
  EXPECT_EQ(zh->hf_id, "llm-wizard/alpaca-gpt4-data-zh");
  EXPECT_EQ(zh->preprocess, "alpaca_zh");
  EXPECT_EQ(find_registered("LLM-WIZARD/alpaca-gpt4-data-zh"), zh);  // case-insensitive
  auto* sc = find_registered("swift/self-cognition");
  ASSERT_NE(sc, nullptr);
  ASSERT_EQ(sc->subsets.size(), 3u);
  EXPECT_EQ(sc->subsets[1].name, "qwen3");
  EXPECT_EQ(find_registered("vicgalle/alpaca-gpt4")->ms_id, "AI-ModelScope/alpaca-gpt4-data-en");
  EXPECT_EQ(find_registered("swift/ultrachat_200k")->split,
            (std::vector<std::string>{"train_sft"}));
  EXPECT_EQ(find_registered("someone/unregistered"), nullptr);
  EXPECT_GE(swift::dataset::registered_datasets().size(), 35u);
}

TEST(Registry, Preprocessors) {
  using swift::dataset::apply_preprocessor;
  swift::dataset::PreprocessContext ctx;
  std::vector<json> out;
  // HHRLHFCNPreprocessor
  json hh = json::parse(R"({"messages": [{"role": "user", "text": "q"}],
      "chosen": {"role": "assistant", "text": "good"}, "rejected": {"role": "assistant", "text": "bad"}})");
  ASSERT_EQ(apply_preprocessor("hh_rlhf_cn", hh, ctx, &out), "");
  EXPECT_EQ(out[0]["messages"][1]["content"], "good");
  EXPECT_EQ(out[0]["rejected_response"], "bad");
  // CoundownTaskPreprocessor (after the target -> response rename)
  out.clear();
  ASSERT_EQ(apply_preprocessor("countdown", json::parse(R"({"nums": [3, 5, 7], "response": 15})"),
                               ctx, &out),
            "");
  std::string q = out[0]["messages"][0]["content"];
  EXPECT_EQ(q.rfind("Using the numbers [3, 5, 7], create an equation that equals 15.\n", 0), 0u);
  EXPECT_EQ(out[0]["target"], 15);
  // XlamFunctionCallingPreprocessor: Python's json.dumps text in tool_call messages.
  out.clear();
  json xlam = {{"query", "weather?"},
               {"answers", R"([{"name": "get", "arguments": {"city": "北京", "n": 2}}])"},
               {"tools", "[]"}};
  ASSERT_EQ(apply_preprocessor("xlam_function_calling", xlam, ctx, &out), "");
  EXPECT_EQ(out[0]["messages"][1]["content"],
            R"({"name": "get", "arguments": {"city": "\u5317\u4eac", "n": 2}})");
  // OrpoDPOMix40kPreprocessor filters a source.
  out.clear();
  json toxic = json::parse(
      R"({"source": "toxic-dpo-v0.2", "messages": [{"role": "user", "content": "x"}]})");
  EXPECT_EQ(apply_preprocessor("orpo_dpo_mix", toxic, ctx, &out), "");
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(swift::dataset::python_json_dumps(json::parse(R"({"a": [1, 2.5, true, null, "\n😀"]})")),
            R"({"a": [1, 2.5, true, null, "\n\ud83d\ude00"]})");
  // Malformed rows give reasons, not crashes.
  for (const char* name : {"hh_rlhf_cn", "countdown", "xlam_function_calling", "self_cognition",
                           "function_call_chatml", "blossom_math", "emoji", "alpaca_zh"}) {
    for (const char* raw : {R"({})", R"({"messages": 5, "answers": "[[[", "query": 1})", "[1]"}) {
      out.clear();
      (void)apply_preprocessor(name, json::parse(raw), ctx, &out);
    }
  }
}

TEST(Dataset, LocalParquetTsvAndFolders) {
  // A Parquet file is read like any other file (automatic format: alpaca here).
  std::string pq = std::string(SWIFT_SOURCE_DIR) + "/tests/data/parquet/alpaca_zh_zstd.parquet";
  auto rows = load_dataset(pq, LoadOptions());
  ASSERT_EQ(rows.size(), 80u);
  EXPECT_EQ(rows[1]["messages"][0]["content"], "输入：今天天气很好（1）\n输入：输入：今天天气很好");
  auto tsv = temp_file("rows.tsv", "query\tresponse\nHi\tHello\n");
  EXPECT_EQ(load_dataset(tsv, LoadOptions())[0]["messages"][1]["content"], "Hello");
  // A folder is a repo: README configs, subsets, splits, #N.
  std::string dir = temp_dir("repo");
  write_file(dir + "/README.md",
             "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: "
             "data/*.jsonl\n- config_name: extra\n  data_files: extra.csv\n---\n");
  write_file(dir + "/data/a.jsonl",
             "{\"query\": \"1\", \"response\": \"2\"}\n{\"query\": \"3\", \"response\": \"4\"}\n");
  write_file(dir + "/extra.csv", "instruction,input,output\nA,B,C\n");
  write_file(dir + "/.git/config", "not data");
  EXPECT_EQ(load_dataset(dir, LoadOptions()).size(), 2u);
  auto extra = load_dataset(dir + ":extra", LoadOptions());
  ASSERT_EQ(extra.size(), 1u);
  EXPECT_EQ(extra[0]["messages"][0]["content"], "A\nB");
  EXPECT_EQ(load_dataset(dir + ":all#5", LoadOptions()).size(), 5u);
  EXPECT_THROW(load_dataset(dir + ":missing", LoadOptions()), swift::Error);
  // Registered renames apply before the format is chosen (--columns too).
  LoadOptions cols;
  cols.columns = json::parse(R"({"Q": "query", "A": "response"})");
  auto renamed = load_dataset(temp_file("cols.jsonl", R"({"q": "x", "a": "y"})"), cols);
  EXPECT_EQ(renamed[0]["messages"][1]["content"], "y");
  // A broken Parquet file is a clear error naming it.
  auto broken = temp_file("broken.parquet", "PAR1 this is not parquet PAR1");
  try {
    load_dataset(broken, LoadOptions());
    ADD_FAILURE();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.parquet"), std::string::npos) << e.what();
  }
  // Hub ids without a hub library linked: a clear error.
  EXPECT_THROW(load_dataset("AI-ModelScope/alpaca-gpt4-data-zh", LoadOptions()), swift::Error);
}

}  // namespace

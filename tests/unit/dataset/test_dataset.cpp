// Dataset formats and specifiers as ms-swift documents them (ms-swift-spec §3.1-3.2): every row
// format yields the same canonical messages; #N counts; strict and lenient bad-row handling.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "dataset/dataset.h"

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

}  // namespace

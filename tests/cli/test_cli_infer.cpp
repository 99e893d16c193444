// `swift infer` as a user runs it, on the e2e fixture models (tests/data/e2e + the npm
// tokenizer): batch inference over a dataset gives transformers' greedy responses one by one,
// batched and streamed; the result rows carry ms-swift's fields; interactive chat; bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/e2e_model.h"
#include "common/jsonl.h"
#include "common/run_command.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;

using Result = swift::testing::CommandResult;

Result run(const std::string& args, const std::string& stdin_text = "") {
  std::string cmd = std::string(SWIFT_BIN) + " " + args + " 2>&1";
  if (!stdin_text.empty()) cmd = "printf '" + stdin_text + "' | " + cmd;
  return swift::testing::run_command(cmd);
}

std::string temp_dir(const std::string& name) {
  return swift::testing::fresh_dir("swift_test_cli_infer", name);
}

using swift::testing::read_jsonl;

struct Fixture {
  std::string model;
  std::vector<json> goldens;
  std::string dataset;  // messages rows of the goldens
};

Fixture fixture(const std::string& name, const std::string& tok, const std::string& tmp) {
  Fixture f;
  f.model = swift::testing::e2e_model_dir(name, tok);
  if (f.model.empty()) return f;
  f.goldens = read_jsonl(f.model + "/e2e_golden.jsonl");
  f.dataset = tmp + "/" + name + ".jsonl";
  std::ofstream out(f.dataset);
  for (const auto& g : f.goldens) out << json{{"messages", g["messages"]}}.dump() << "\n";
  return f;
}

class InferCli : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(InferCli, DatasetResponsesEqualTransformers) {
  const std::string tmp = temp_dir(GetParam().first);
  Fixture f = fixture(GetParam().first, GetParam().second, tmp);
  if (f.model.empty())
    GTEST_SKIP() << "tokenizer test asset missing: run scripts/fetch-test-assets.sh";
  for (const std::string extra :
       {"", "--max_batch_size 8 --write_batch_size 2", "--max_batch_size -1 --stream true"}) {
    SCOPED_TRACE(extra);
    const std::string out = tmp + "/out.jsonl";
    stdfs::remove(out);
    auto r = run("infer --model " + f.model + " --val_dataset " + f.dataset +
                 " --temperature 0 --max_new_tokens 16 --result_path " + out + " " + extra);
    ASSERT_EQ(r.code, 0) << r.out;
    auto rows = read_jsonl(out);
    ASSERT_EQ(rows.size(), f.goldens.size()) << r.out;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i]["response"], f.goldens[i]["response"]) << "row " << i;
      EXPECT_TRUE(rows[i]["labels"].is_null());
      EXPECT_TRUE(rows[i]["logprobs"].is_null());
      // The generated turn is appended to the original conversation.
      auto msgs = rows[i]["messages"];
      ASSERT_EQ(msgs.size(), f.goldens[i]["messages"].size() + 1);
      EXPECT_EQ(msgs.back()["role"], "assistant");
      EXPECT_EQ(msgs.back()["content"], f.goldens[i]["response"]);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models,
                         InferCli,
                         ::testing::Values(std::make_pair("qwen3_e2e", "qwen3"),
                                           std::make_pair("llama3_e2e", "llama3")));

TEST(InferCli, LabelsLogprobsAppendAndOtherFormats) {
  const std::string tmp = temp_dir("formats");
  Fixture f = fixture("qwen3_e2e", "qwen3", tmp);
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  // alpaca / query-response rows with a gold answer: the answer becomes `labels`.
  const std::string data = tmp + "/mixed.jsonl";
  std::ofstream(data) << R"({"query": "Hello!", "response": "Hi there"})"
                      << "\n"
                      << R"({"instruction": "Hello!", "output": "Hey", "id": 7})"
                      << "\n";
  const std::string out = tmp + "/out.jsonl";
  auto r = run("infer --model " + f.model + " --val_dataset " + data +
               " --temperature 0 --max_new_tokens 16 --logprobs true --top_logprobs 2" +
               " --max_batch_size 2 --result_path " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  auto rows = read_jsonl(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["labels"], "Hi there");
  EXPECT_EQ(rows[1]["labels"], "Hey");
  EXPECT_EQ(rows[1]["id"], 7);
  // Both rows ask "Hello!" with no system: the answer is the first golden's.
  EXPECT_EQ(rows[0]["response"], f.goldens[0]["response"]);
  EXPECT_EQ(rows[1]["response"], f.goldens[0]["response"]);
  const auto& lp = rows[0]["logprobs"]["content"];
  ASSERT_EQ(lp.size(), 16u);
  EXPECT_TRUE(lp[0]["logprob"].is_number());
  EXPECT_EQ(lp[0]["top_logprobs"].size(), 2u);
  EXPECT_EQ(lp[0]["top_logprobs"][0]["token"], lp[0]["token"]);  // greedy: the best one
  // A second run appends, as ms-swift does.
  r = run("infer --model " + f.model + " --val_dataset " + data +
          " --temperature 0 --max_new_tokens 4 --result_path " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_jsonl(out).size(), 4u);
  // Jinja backend renders the same prompt for this model.
  const std::string out2 = tmp + "/jinja.jsonl";
  r = run("infer --model " + f.model + " --val_dataset " + f.dataset +
          " --temperature 0 --max_new_tokens 16 --template_backend jinja --result_path " + out2);
  ASSERT_EQ(r.code, 0) << r.out;
  auto jrows = read_jsonl(out2);
  ASSERT_EQ(jrows.size(), f.goldens.size());
  for (std::size_t i = 0; i < jrows.size(); ++i)
    EXPECT_EQ(jrows[i]["response"], f.goldens[i]["response"]);
}

// Tool rows on a Qwen model are written by the hermes agent template, which renders what the
// model's own chat template renders: the jinja backend gives the same answers.
TEST(InferCli, ToolRowsRenderWithTheAgentTemplate) {
  const std::string tmp = temp_dir("tools");
  Fixture f = fixture("qwen3_e2e", "qwen3", tmp);
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  const std::string tool =
      R"([{"type": "function", "function": {"name": "get_weather", "description": "Weather", )"
      R"("parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])";
  const std::string data = tmp + "/tools.jsonl";
  {
    std::ofstream out(data);
    // Written by hand: key order matters (the schema renders in the order given).
    out << "{\"messages\": " << f.goldens[0]["messages"].dump() << ", \"tools\": " << tool << "}\n";
    out << json{{"messages", f.goldens[0]["messages"]}, {"tools", tool}}.dump() << "\n";
    out << json{{"messages", f.goldens[0]["messages"]}}.dump() << "\n";
  }
  const std::string out = tmp + "/out.jsonl";
  auto r = run("infer --model " + f.model + " --val_dataset " + data +
               " --temperature 0 --max_new_tokens 8 --result_path " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  auto rows = read_jsonl(out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["response"], rows[1]["response"]);  // list or JSON string: same prompt
  EXPECT_NE(rows[0]["response"], rows[2]["response"]);  // the schema is in the prompt
  const std::string out2 = tmp + "/jinja.jsonl";
  r = run("infer --model " + f.model + " --val_dataset " + data +
          " --temperature 0 --max_new_tokens 8 --template_backend jinja --result_path " + out2);
  ASSERT_EQ(r.code, 0) << r.out;
  auto jrows = read_jsonl(out2);
  ASSERT_EQ(jrows.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(rows[i]["response"], jrows[i]["response"]) << i;
  std::ofstream(data) << json{{"messages", f.goldens[0]["messages"]}, {"tools", "{oops"}}.dump()
                      << "\n";
  r = run("infer --model " + f.model + " --val_dataset " + data + " --result_path " + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("'tools'"), std::string::npos) << r.out;
}

TEST(InferCli, Interactive) {
  const std::string tmp = temp_dir("chat");
  Fixture f = fixture("qwen3_e2e", "qwen3", tmp);
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  const std::string out = tmp + "/chat.jsonl";
  auto r =
      run("infer --model " + f.model + " --temperature 0 --max_new_tokens 16 --result_path " + out,
          "Hello!\\nclear\\nmulti-line\\nHel\\nlo!#\\nexit\\n");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string want = f.goldens[0]["response"];
  EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
  auto rows = read_jsonl(out);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["response"], want);
  EXPECT_EQ(rows[0]["messages"].size(), 2u);
  EXPECT_EQ(rows[1]["messages"][0]["content"], "Hel\nlo!");
  // Input that is not UTF-8 is answered and saved (the bad bytes as U+FFFD), not a crash.
  const std::string out2 = tmp + "/chat2.jsonl";
  r = run("infer --model " + f.model + " --max_new_tokens 2 --result_path " + out2,
          "hi \\377 there\\nexit\\n");
  ASSERT_EQ(r.code, 0) << r.out;
  rows = read_jsonl(out2);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["messages"][0]["content"], "hi \xEF\xBF\xBD there");
}

TEST(InferCli, BadInputSaysWhatIsWrong) {
  const std::string tmp = temp_dir("bad");
  Fixture f = fixture("qwen3_e2e", "qwen3", tmp);
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  auto r = run("infer --val_dataset " + f.dataset);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("needs --model"), std::string::npos) << r.out;
  r = run("infer --model " + tmp + "/nope --val_dataset " + f.dataset);
  EXPECT_NE(r.code, 0);
  const std::string bad = tmp + "/bad.jsonl";
  std::ofstream(bad) << "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{oops\n";
  r = run("infer --model " + f.model + " --val_dataset " + bad + " --strict true --result_path " +
          tmp + "/x.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("bad.jsonl:2"), std::string::npos) << r.out;
  EXPECT_FALSE(stdfs::exists(tmp + "/x.jsonl"));
  r = run("infer --model " + f.model + " --val_dataset " + f.dataset + " --num_beams 4");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("num_beams"), std::string::npos) << r.out;
  r = run("infer --model " + f.model + " --val_dataset " + f.dataset + " --template_backend nope");
  EXPECT_EQ(r.code, 2);
  r = run("infer --model " + f.model + " --adapters " + tmp + "/missing --val_dataset " +
          f.dataset);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("missing"), std::string::npos) << r.out;
}

}  // namespace

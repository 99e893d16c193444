// Runs build/bin/swift as a user would and checks exit codes and output.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/run_command.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;

using Result = swift::testing::CommandResult;

Result run(const std::string& args, const std::string& env = "") {
  return swift::testing::run_command("env -u NPROC_PER_NODE -u WORLD_SIZE -u NNODES " + env + " " +
                                     std::string(SWIFT_BIN) + " " + args + " 2>&1");
}

// Only the JSON object printed by --show_args (logging goes to stderr, merged here).
nlohmann::json json_of(const std::string& out) {
  auto b = out.find("{\n");
  auto e = out.rfind('}');
  return nlohmann::json::parse(out.substr(b, e - b + 1));
}

using swift::testing::write_file;

std::string temp_dir(const std::string& name) {
  return swift::testing::fresh_dir("swift_test_cli", name);
}

std::string u64le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string safetensors(const std::string& header, const std::string& data) {
  return u64le(header.size()) + header + data;
}

const char* kConfig = R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "vocab_size": 16, "hidden_size": 4, "intermediate_size": 8, "num_hidden_layers": 1,
  "num_attention_heads": 1, "num_key_value_heads": 1, "max_position_embeddings": 32,
  "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "torch_dtype": "float32"})";

std::string model_dir(const std::string& name, const std::string& weights) {
  auto dir = temp_dir(name);
  write_file(dir + "/config.json", kConfig);
  write_file(dir + "/model.safetensors", weights);
  return dir;
}

TEST(Cli, HelpListsSubcommands) {
  Result r = run("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"pt", "sft", "rlhf", "infer", "deploy", "rollout", "eval", "export",
                        "merge-lora", "sample", "app", "web-ui", "inspect", "megatron"})
    EXPECT_NE(r.out.find(std::string("  ") + s + " "), std::string::npos) << s;
  EXPECT_NE(run("").code, 0);
}

TEST(Cli, SubcommandHelpShowsDefaults) {
  Result r = run("sft --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--lora_rank INT"), std::string::npos);
  EXPECT_NE(r.out.find("(default: 8)"), std::string::npos);
  EXPECT_NE(r.out.find("--learning_rate"), std::string::npos);
  EXPECT_EQ(run("megatron sft --help").code, 0);
}

TEST(Cli, ConfigFileWithOverrideAndEnv) {
  auto dir = temp_dir("cfg");
  write_file(dir + "/cfg.yaml",
             "model: Qwen/Qwen2.5-0.5B-Instruct\nlearning_rate: 1e-3\nlora_rank: 4\n"
             "dataset: [a.jsonl, 'b.jsonl#20']\nENV:\n  SWIFT_CLI_TEST_VAR: from_yaml\n"
             "output_dir: " +
                 dir + "/out\n");
  Result r = run("sft " + dir + "/cfg.yaml --learning_rate 2e-4 --show_args");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = json_of(r.out);
  EXPECT_DOUBLE_EQ(j["learning_rate"].get<double>(), 2e-4);
  EXPECT_EQ(j["lora_rank"], 4);
  EXPECT_EQ(j["dataset"], nlohmann::json::array({"a.jsonl", "b.jsonl#20"}));
  EXPECT_EQ(j["model"], "Qwen/Qwen2.5-0.5B-Instruct");
  EXPECT_NE(j["output_dir"].get<std::string>().find(dir + "/out/v0-"), std::string::npos);
  // The ENV block is exported before the arguments resolve: NPROC_PER_NODE changes the derived
  // gradient accumulation (16 / 2 / 4 = 2); a variable already set in the environment wins.
  write_file(dir + "/env.yaml", "per_device_train_batch_size: 2\nENV:\n  NPROC_PER_NODE: 4\n");
  Result e = run("sft " + dir + "/env.yaml --show_args");
  ASSERT_EQ(e.code, 0) << e.out;
  EXPECT_EQ(json_of(e.out)["gradient_accumulation_steps"], 2);
  Result kept = run("sft " + dir + "/env.yaml --show_args", "NPROC_PER_NODE=1");
  ASSERT_EQ(kept.code, 0) << kept.out;
  EXPECT_EQ(json_of(kept.out)["gradient_accumulation_steps"], 8);
}

TEST(Cli, TypoIsRejectedWithSuggestion) {
  Result r = run("sft --lora_rnak 4");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--lora_rank"), std::string::npos) << r.out;
  Result u = run("sftt");
  EXPECT_NE(u.code, 0);
  EXPECT_NE(u.out.find("did you mean 'sft'"), std::string::npos) << u.out;
}

TEST(Cli, UnbuiltSubcommandSaysSo) {
  Result r = run("eval --model x");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.out.find("not built yet"), std::string::npos) << r.out;
  Result g = run("rlhf --rlhf_type grpo --model x --dataset y");
  EXPECT_EQ(g.code, 3);
  EXPECT_NE(g.out.find("not built yet"), std::string::npos) << g.out;
}

TEST(Cli, InspectValidFolder) {
  std::string data(16 * 4 * 4, '\0');
  auto dir = model_dir(
      "good",
      safetensors(
          R"({"model.embed_tokens.weight":{"dtype":"F32","shape":[16,4],"data_offsets":[0,256]}})",
          data));
  Result r = run("inspect --model " + dir + " --json true");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = json_of(r.out);
  EXPECT_EQ(j["num_tensors"], 1);
  EXPECT_EQ(j["num_parameters"], 64);
  EXPECT_EQ(j["architecture"], "LlamaForCausalLM");
}

TEST(Cli, InspectRejectsCraftedFiles) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases = {
      {"huge_header", u64le(1ull << 40) + "{}"},
      {"header_past_eof", u64le(1000) + "{}"},
      {"not_json", safetensors("not json at all!", "")},
      {"offsets_past_eof",
       safetensors(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1600]}})",
                   std::string(16, '\0'))},
      {"size_mismatch", safetensors(R"({"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})",
                                    std::string(16, '\0'))},
      {"unknown_dtype", safetensors(R"({"w":{"dtype":"F33","shape":[4],"data_offsets":[0,16]}})",
                                    std::string(16, '\0'))},
      {"overflowing_shape",
       safetensors(
           R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}})",
           std::string(16, '\0'))},
      {"overlap",
       safetensors(
           R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
           std::string(16, '\0'))},
      {"truncated", std::string("\x10\x00\x00", 3)},
  };
  for (const auto& c : cases) {
    auto dir = model_dir(std::string("bad_") + c.name, c.bytes);
    Result r = run("inspect --model " + dir);
    EXPECT_EQ(r.code, 1) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find("[ERROR:swift]"), std::string::npos) << c.name << ": " << r.out;
    EXPECT_EQ(r.out.find("Segmentation"), std::string::npos) << c.name;
  }
}

TEST(Cli, InspectRejectsEscapingIndexAndAbsurdConfig) {
  auto dir = temp_dir("escape");
  write_file(dir + "/config.json", kConfig);
  write_file(dir + "/model.safetensors.index.json",
             R"({"metadata":{},"weight_map":{"w":"../../../../etc/passwd"}})");
  Result r = run("inspect --model " + dir);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string data(16 * 4 * 4, '\0');
  auto absurd = model_dir(
      "absurd",
      safetensors(
          R"({"model.embed_tokens.weight":{"dtype":"F32","shape":[16,4],"data_offsets":[0,256]}})",
          data));
  std::string cfg = kConfig;
  cfg.replace(cfg.find("\"num_hidden_layers\": 1"), 22, "\"num_hidden_layers\": 1000000000");
  write_file(absurd + "/config.json", cfg);
  Result a = run("inspect --model " + absurd);
  EXPECT_EQ(a.code, 1) << a.out;
  EXPECT_NE(a.out.find("num_hidden_layers"), std::string::npos) << a.out;
  Result m = run("inspect --model " + dir + "/does-not-exist");
  EXPECT_NE(m.code, 0);
}

}  // namespace

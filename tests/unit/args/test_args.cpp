// The argument machinery against ms-swift's documented behaviour (ms-swift-spec §1): syntax,
// config files, aliases, suggestions, derived defaults and the versioned output folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "args/arguments.h"
#include "args/config_file.h"
#include "core/error.h"

namespace {

using swift::args::parse_args;

std::vector<std::string> words(std::initializer_list<const char*> w) {
  return std::vector<std::string>(w.begin(), w.end());
}

std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("swift_test_args_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const swift::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Args, KeyValueForms) {
  auto a = parse_args("sft", words({"--model", "Qwen/Qwen2.5-0.5B", "--lora_rank=16", "--dataset",
                                    "a.jsonl", "b#100", "--use_hf", "true"}));
  EXPECT_EQ(a->get("model"), "Qwen/Qwen2.5-0.5B");
  EXPECT_EQ(a->get("lora_rank"), 16);
  EXPECT_EQ(a->get("dataset"), nlohmann::json::array({"a.jsonl", "b#100"}));
  EXPECT_EQ(a->get("use_hf"), true);
}

TEST(Args, MsSwiftDefaults) {
  auto a = parse_args("sft", {});
  EXPECT_EQ(a->get("tuner_type"), "lora");
  EXPECT_EQ(a->get("lora_rank"), 8);
  EXPECT_EQ(a->get("lora_alpha"), 32);
  EXPECT_DOUBLE_EQ(a->get("lora_dropout").get<double>(), 0.05);
  EXPECT_EQ(a->get("target_modules"), nlohmann::json::array({"all-linear"}));
  EXPECT_DOUBLE_EQ(a->get("weight_decay").get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(a->get("adam_beta2").get<double>(), 0.95);
  EXPECT_EQ(a->get("lr_scheduler_type"), "cosine");
  EXPECT_EQ(a->get("seed"), 42);
  EXPECT_EQ(a->get("logging_steps"), 5);
  EXPECT_EQ(a->get("save_steps"), 500);
  EXPECT_EQ(a->get("per_device_train_batch_size"), 1);
  EXPECT_EQ(a->get("truncation_strategy"), "delete");
  EXPECT_EQ(a->get("loss_scale"), "default");
  EXPECT_EQ(a->get("max_new_tokens"), 64);  // SftArguments overrides GenerationArguments
  EXPECT_EQ(a->get("load_args"), false);
  EXPECT_TRUE(a->set.has("template"));
  EXPECT_TRUE(parse_args("infer", {})->get("load_args") == true);
  auto t = parse_args("sft", words({"--template", "qwen3", "--deepspeed", "zero2"}));
  EXPECT_EQ(t->get("template"), "qwen3");
  EXPECT_EQ(t->get("deepspeed"), "zero2");
}

TEST(Args, BoolsAndBareFlags) {
  auto a = parse_args("sft", words({"--packing", "--use_hf", "False", "--streaming", "1"}));
  EXPECT_EQ(a->get("packing"), true);
  EXPECT_EQ(a->get("use_hf"), false);
  EXPECT_EQ(a->get("streaming"), true);
  std::string e = error_of([] { parse_args("sft", words({"--packing", "maybe"})); });
  EXPECT_NE(e.find("--packing"), std::string::npos) << e;
  EXPECT_NE(e.find("true or false"), std::string::npos) << e;
}

TEST(Args, JsonDictArguments) {
  auto a = parse_args("sft", words({"--model_kwargs", "{\"fps_max_frames\": 12}"}));
  EXPECT_EQ(a->get("model_kwargs")["fps_max_frames"], 12);
  std::string e = error_of([] { parse_args("sft", words({"--model_kwargs", "{oops"})); });
  EXPECT_NE(e.find("--model_kwargs"), std::string::npos) << e;
  EXPECT_NE(e.find("JSON"), std::string::npos) << e;
}

TEST(Args, TrainTypeIsAnAliasOfTunerType) {
  auto a = parse_args("sft", words({"--train_type", "full"}));
  EXPECT_EQ(a->get("tuner_type"), "full");
  EXPECT_DOUBLE_EQ(a->get("learning_rate").get<double>(), 1e-5);
}

TEST(Args, UnknownArgumentSuggestsClosest) {
  std::string e = error_of([] { parse_args("sft", words({"--lora_rnak", "4"})); });
  EXPECT_NE(e.find("--lora_rnak"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean --lora_rank"), std::string::npos) << e;
}

TEST(Args, BadValuesNameTheArgument) {
  std::string e = error_of([] { parse_args("sft", words({"--lora_rank", "eight"})); });
  EXPECT_NE(e.find("--lora_rank"), std::string::npos) << e;
  EXPECT_NE(e.find("not an integer"), std::string::npos) << e;
  e = error_of([] { parse_args("sft", words({"--tuner_type", "lorra"})); });
  EXPECT_NE(e.find("--tuner_type"), std::string::npos) << e;
  EXPECT_NE(e.find("lora"), std::string::npos) << e;
  e = error_of([] { parse_args("sft", words({"--learning_rate", "fast"})); });
  EXPECT_NE(e.find("not a number"), std::string::npos) << e;
  e = error_of([] { parse_args("sft", words({"stray"})); });
  EXPECT_NE(e.find("positional"), std::string::npos) << e;
}

TEST(Args, DerivedLearningRateAndAccumulation) {
  ::unsetenv("WORLD_SIZE");
  ::unsetenv("NPROC_PER_NODE");
  ::unsetenv("NNODES");
  auto a = parse_args("sft", {});
  EXPECT_DOUBLE_EQ(a->get("learning_rate").get<double>(), 1e-4);
  EXPECT_EQ(a->get("gradient_accumulation_steps"), 16);
  auto b = parse_args("sft", words({"--per_device_train_batch_size", "3"}));
  EXPECT_EQ(b->get("gradient_accumulation_steps"), 6);  // ceil(16 / 3)
  ::setenv("NPROC_PER_NODE", "4", 1);
  auto c = parse_args("sft", words({"--per_device_train_batch_size", "2"}));
  EXPECT_EQ(c->get("gradient_accumulation_steps"), 2);  // ceil(16 / 2 / 4)
  ::unsetenv("NPROC_PER_NODE");
  auto d = parse_args("sft", words({"--gradient_accumulation_steps", "3"}));
  EXPECT_EQ(d->get("gradient_accumulation_steps"), 3);
}

TEST(Args, RlhfBetaPerAlgorithm) {
  EXPECT_DOUBLE_EQ(parse_args("rlhf", {})->get("beta").get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(parse_args("rlhf", words({"--rlhf_type", "simpo"}))->get("beta").get<double>(),
                   2.0);
  EXPECT_DOUBLE_EQ(parse_args("rlhf", words({"--rlhf_type", "grpo"}))->get("beta").get<double>(),
                   0.04);
  EXPECT_EQ(parse_args("rlhf", {})->get("loss_scale"), "last_round");
  EXPECT_EQ(parse_args("pt", {})->get("loss_scale"), "all");
  EXPECT_EQ(parse_args("pt", {})->get("use_chat_template"), false);
}

TEST(Args, VersionedOutputDir) {
  auto root = temp_dir("out");
  auto a = parse_args("sft", words({"--output_dir", root.c_str()}));
  std::string first = a->get("output_dir");
  EXPECT_EQ(std::filesystem::path(first).parent_path().string(), root);
  EXPECT_EQ(std::filesystem::path(first).filename().string().substr(0, 3), "v0-");
  std::filesystem::create_directories(root + "/v0-20260101-000000");
  std::filesystem::create_directories(root + "/v7-20260101-000000");
  auto b = parse_args("sft", words({"--output_dir", root.c_str()}));
  std::string second = b->get("output_dir");
  EXPECT_EQ(std::filesystem::path(second).filename().string().substr(0, 3), "v8-");
  // YYYYMMDD-HHMMSS
  EXPECT_EQ(std::filesystem::path(second).filename().string().size(), 3u + 15u);
  auto c = parse_args("sft", words({"--model", "Qwen/Qwen2.5-0.5B-Instruct"}));
  std::string def = c->get("output_dir");
  EXPECT_NE(def.find("/output/Qwen2.5-0.5B-Instruct/v"), std::string::npos) << def;
  EXPECT_EQ(c->get("logging_dir"), def + "/runs");
}

TEST(Args, ConfigFileWithOverridesAndEnv) {
  auto dir = temp_dir("cfg");
  std::string path = dir + "/cfg.yaml";
  std::ofstream(path) << "model: Qwen/Qwen2.5-0.5B\n"
                         "learning_rate: 1e-3\n"
                         "dataset:\n  - a.jsonl\n  - b.jsonl#50\n"
                         "target_modules: [q_proj, v_proj]\n"
                         "model_kwargs:\n  fps_max_frames: 12\n  nested: {a: [1, 2]}\n"
                         "system: \"0.10\"\n"
                         "packing: true\n"
                         "ENV:\n  SWIFT_TEST_CFG_NEW: hello\n  SWIFT_TEST_CFG_OLD: from_file\n";
  ::unsetenv("SWIFT_TEST_CFG_NEW");
  ::setenv("SWIFT_TEST_CFG_OLD", "from_env", 1);
  auto a = parse_args("sft", {path, "--learning_rate", "2e-4"});
  EXPECT_DOUBLE_EQ(a->get("learning_rate").get<double>(), 2e-4);
  EXPECT_EQ(a->get("model"), "Qwen/Qwen2.5-0.5B");
  EXPECT_EQ(a->get("dataset"), nlohmann::json::array({"a.jsonl", "b.jsonl#50"}));
  EXPECT_EQ(a->get("target_modules"), nlohmann::json::array({"q_proj", "v_proj"}));
  EXPECT_EQ(a->get("model_kwargs")["nested"]["a"][1], 2);
  EXPECT_EQ(a->get("system"), "0.10");
  EXPECT_EQ(a->get("packing"), true);
  EXPECT_STREQ(std::getenv("SWIFT_TEST_CFG_NEW"), "hello");
  EXPECT_STREQ(std::getenv("SWIFT_TEST_CFG_OLD"), "from_env");
  EXPECT_EQ(*a->config_file, path);
}

TEST(Args, JsonConfigFileAndErrors) {
  auto dir = temp_dir("cfgjson");
  std::string path = dir + "/cfg.json";
  std::ofstream(path) << R"({"lora_rank": 4, "dataset": ["x.jsonl"], "system": null})";
  auto a = parse_args("sft", {path});
  EXPECT_EQ(a->get("lora_rank"), 4);
  EXPECT_TRUE(a->get("system").is_null());
  std::ofstream(dir + "/bad.yaml") << "lora_rnak: 4\n";
  std::string e = error_of([&] { parse_args("sft", {dir + "/bad.yaml"}); });
  EXPECT_NE(e.find("did you mean --lora_rank"), std::string::npos) << e;
  EXPECT_NE(e.find("bad.yaml"), std::string::npos) << e;
  std::ofstream(dir + "/list.yaml") << "- a\n- b\n";
  e = error_of([&] { parse_args("sft", {dir + "/list.yaml"}); });
  EXPECT_NE(e.find("mapping"), std::string::npos) << e;
  std::ofstream(dir + "/broken.yaml") << "a: [1, 2\n";
  e = error_of([&] { parse_args("sft", {dir + "/broken.yaml"}); });
  EXPECT_NE(e.find("not valid YAML"), std::string::npos) << e;
  e = error_of([&] { parse_args("sft", {dir + "/missing.yaml"}); });
  EXPECT_NE(e.find("missing.yaml not found"), std::string::npos) << e;  // fs::require_file wording
}

TEST(Args, HelpListsEveryArgumentWithDefault) {
  auto a = swift::args::declare_args("sft");
  std::string help = a->set.help_text("usage");
  for (const auto& name : a->set.names()) {
    EXPECT_NE(help.find("--" + name + " "), std::string::npos) << name;
  }
  EXPECT_NE(help.find("(default: 8)"), std::string::npos);
  EXPECT_NE(help.find("--train_type = --tuner_type"), std::string::npos);
}

TEST(Args, EveryCommandDeclares) {
  for (const char* cmd :
       {"sft", "pt", "rlhf", "infer", "deploy", "rollout", "eval", "export", "merge-lora", "sample",
        "app", "web-ui", "megatron sft", "megatron pt", "megatron rlhf", "megatron export"}) {
    auto a = parse_args(cmd, {});
    EXPECT_FALSE(a->set.names().empty()) << cmd;
  }
  EXPECT_EQ(parse_args("merge-lora", {})->get("merge_lora"), true);
  EXPECT_EQ(parse_args("megatron sft", {})->get("tuner_type"), "full");
}

}  // namespace

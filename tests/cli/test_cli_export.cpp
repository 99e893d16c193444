// Black-box tests of `swift export --merge_lora`, `swift merge-lora` and `swift create-model`:
// exit codes, default output naming, exist_ok, and one-line errors for bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/run_command.h"
#include "common/test_assets.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;

const std::string kHf = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/";

using Result = swift::testing::CommandResult;

Result run(const std::string& args) {
  return swift::testing::run_command(
      "env -u NPROC_PER_NODE -u WORLD_SIZE -u NNODES HF_HUB_OFFLINE=1 " + std::string(SWIFT_BIN) +
      " " + args + " 2>&1");
}

// Exactly one error line, and it says something.
void expect_one_error_line(const Result& r) {
  std::istringstream in(r.out);
  std::string line;
  int errors = 0;
  while (std::getline(in, line)) {
    if (line.find("ERROR") != std::string::npos) {
      ++errors;
      EXPECT_GT(line.size(), 30u) << line;
    }
  }
  EXPECT_EQ(errors, 1) << r.out;
}

using swift::testing::read_file;

std::string temp_dir(const std::string& name) {
  return swift::testing::fresh_dir("swift_test_cli_export", name);
}

// A copy of a fixture adapter whose adapter_config.json names `base` as its base model.
std::string adapter_copy(const std::string& dir,
                         const std::string& fixture,
                         const std::string& base) {
  const std::string out = dir + "/checkpoint-10";
  stdfs::create_directories(out);
  stdfs::copy(fixture, out,
              stdfs::copy_options::recursive | stdfs::copy_options::overwrite_existing);
  auto cfg = nlohmann::json::parse(read_file(out + "/adapter_config.json"));
  cfg["base_model_name_or_path"] = base;
  std::ofstream(out + "/adapter_config.json") << cfg.dump(2);
  return out;
}

TEST(CliExport, MergeLoraUsesTheAdaptersBaseAndSkipsWhenDone) {
  const std::string dir = temp_dir("merge");
  const std::string ckpt = adapter_copy(dir, kHf + "qwen3/adapter", kHf + "qwen3");
  Result r = run("merge-lora --adapters " + ckpt);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string merged = ckpt + "-merged";
  EXPECT_TRUE(stdfs::is_regular_file(merged + "/model.safetensors")) << r.out;
  EXPECT_TRUE(stdfs::is_regular_file(merged + "/config.json"));
  EXPECT_TRUE(stdfs::is_regular_file(merged + "/args.json"));
  Result inspect = run("inspect --model " + merged);
  EXPECT_EQ(inspect.code, 0) << inspect.out;
  EXPECT_NE(inspect.out.find("Qwen3ForCausalLM"), std::string::npos) << inspect.out;

  // merge-lora again: the merged folder exists, so it is skipped (ms-swift's behaviour).
  const auto before = stdfs::last_write_time(merged + "/model.safetensors");
  Result again = run("merge-lora --adapters " + ckpt);
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("skipping"), std::string::npos) << again.out;
  EXPECT_EQ(stdfs::last_write_time(merged + "/model.safetensors"), before);

  // export --merge_lora true refuses an existing folder unless --exist_ok true.
  Result exists = run("export --merge_lora true --adapters " + ckpt);
  EXPECT_EQ(exists.code, 1) << exists.out;
  EXPECT_NE(exists.out.find("--exist_ok"), std::string::npos) << exists.out;
  expect_one_error_line(exists);
  Result ok = run("export --merge_lora true --exist_ok true --adapters " + ckpt);
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_TRUE(stdfs::is_regular_file(merged + "/model.safetensors"));
  stdfs::remove_all(dir);
}

TEST(CliExport, ExplicitModelAndOutputDir) {
  const std::string dir = temp_dir("model");
  const std::string ckpt = adapter_copy(dir, kHf + "llama/dora", "/nonexistent/base");
  const std::string out = dir + "/out";
  Result r = run("export --merge_lora true --adapters " + ckpt + " --model " + kHf + "llama" +
                 " --output_dir " + out + " --max_shard_size 10KB");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(stdfs::is_regular_file(out + "/model.safetensors.index.json")) << r.out;
  EXPECT_FALSE(stdfs::exists(ckpt + "-merged"));
  Result inspect = run("inspect --model " + out);
  EXPECT_EQ(inspect.code, 0) << inspect.out;
  stdfs::remove_all(dir);
}

TEST(CliExport, TrainedDtypeFromArgsJson) {
  const std::string dir = temp_dir("dtype");
  const std::string ckpt = adapter_copy(dir, kHf + "qwen3/adapter", kHf + "qwen3");
  std::ofstream(ckpt + "/args.json")
      << R"({"model": ")" + kHf + R"(qwen3", "torch_dtype": "bfloat16"})";
  Result r = run("merge-lora --adapters " + ckpt);
  ASSERT_EQ(r.code, 0) << r.out;
  auto cfg = nlohmann::json::parse(read_file(ckpt + "-merged/config.json"));
  EXPECT_EQ(cfg["torch_dtype"], "bfloat16");
  // The adapter's args.json is kept, as ms-swift copies it.
  EXPECT_EQ(nlohmann::json::parse(read_file(ckpt + "-merged/args.json"))["torch_dtype"],
            "bfloat16");
  Result f32 = run("export --merge_lora true --adapters " + ckpt + " --torch_dtype float32 " +
                   "--output_dir " + dir + "/f32");
  ASSERT_EQ(f32.code, 0) << f32.out;
  EXPECT_EQ(nlohmann::json::parse(read_file(dir + "/f32/config.json"))["torch_dtype"], "float32");
  stdfs::remove_all(dir);
}

TEST(CliExport, BadInputsFailWithOneLine) {
  const std::string dir = temp_dir("bad");
  Result missing = run("merge-lora --adapters " + dir + "/nope");
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_NE(missing.out.find("adapter_config.json"), std::string::npos) << missing.out;
  expect_one_error_line(missing);

  // A llama adapter on the qwen3 base: fails, and leaves no output folder behind.
  const std::string ckpt = adapter_copy(dir, kHf + "llama/adapter", kHf + "qwen3");
  Result wrong = run("merge-lora --adapters " + ckpt);
  EXPECT_EQ(wrong.code, 1) << wrong.out;
  expect_one_error_line(wrong);
  EXPECT_FALSE(stdfs::exists(ckpt + "-merged"));
  int entries = 0;
  for (const auto& e : stdfs::directory_iterator(dir)) entries += e.exists() ? 1 : 0;
  EXPECT_EQ(entries, 1);  // only checkpoint-10

  Result no_mode = run("export --adapters " + ckpt);
  EXPECT_EQ(no_mode.code, 1) << no_mode.out;
  EXPECT_NE(no_mode.out.find("--merge_lora true"), std::string::npos) << no_mode.out;
  expect_one_error_line(no_mode);

  Result no_adapter = run("export --merge_lora true --model " + kHf + "qwen3");
  EXPECT_EQ(no_adapter.code, 1) << no_adapter.out;
  expect_one_error_line(no_adapter);

  Result bad_size =
      run("merge-lora --adapters " + ckpt + " --model " + kHf + "llama" + " --max_shard_size 5XB");
  EXPECT_EQ(bad_size.code, 1) << bad_size.out;
  expect_one_error_line(bad_size);

  Result not_built = run("export --adapters " + ckpt + " --to_ollama true");
  EXPECT_EQ(not_built.code, 3) << not_built.out;
  EXPECT_NE(not_built.out.find("not built yet"), std::string::npos) << not_built.out;
  stdfs::remove_all(dir);
}

TEST(CliExport, CreateModel) {
  const std::string tok = swift::testing::tokenizer_asset_dir("qwen3");
  if (!stdfs::is_regular_file(tok + "/tokenizer.json"))
    GTEST_SKIP() << "no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)";
  const std::string dir = temp_dir("create");
  const std::string out = dir + "/tiny";
  Result r = run("create-model --tokenizer " + tok + " --output_dir " + out + " --seed 3");
  ASSERT_EQ(r.code, 0) << r.out;
  auto cfg = nlohmann::json::parse(read_file(out + "/config.json"));
  EXPECT_EQ(cfg["model_type"], "qwen3");
  EXPECT_GE(cfg["vocab_size"].get<int>(), 151669);
  Result inspect = run("inspect --model " + out);
  EXPECT_EQ(inspect.code, 0) << inspect.out;

  Result exists = run("create-model --tokenizer " + tok + " --output_dir " + out);
  EXPECT_EQ(exists.code, 1) << exists.out;
  EXPECT_NE(exists.out.find("--exist_ok"), std::string::npos) << exists.out;
  expect_one_error_line(exists);
  Result replace = run("create-model --tokenizer " + tok + " --output_dir " + out +
                       " --exist_ok true --model_type llama --num_hidden_layers 1");
  EXPECT_EQ(replace.code, 0) << replace.out;
  EXPECT_EQ(nlohmann::json::parse(read_file(out + "/config.json"))["model_type"], "llama");

  Result no_tok = run("create-model --tokenizer " + dir + "/none --output_dir " + dir + "/x");
  EXPECT_EQ(no_tok.code, 1) << no_tok.out;
  expect_one_error_line(no_tok);
  EXPECT_FALSE(stdfs::exists(dir + "/x"));
  Result bad_type =
      run("create-model --tokenizer " + tok + " --output_dir " + dir + "/y --model_type nosuch");
  EXPECT_EQ(bad_type.code, 1) << bad_type.out;
  expect_one_error_line(bad_type);
  stdfs::remove_all(dir);
}

}  // namespace

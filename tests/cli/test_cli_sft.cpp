// Black-box tests of `swift sft` as a user runs it, on a tiny random qwen3 model with the real
// qwen3 tokenizer (skipped without the test assets): the run folder, a kill -9 in the middle of
// a run and an exact resume, `swift export --merge_lora` and `swift infer` on the trained
// checkpoints, and full fine-tuning's checkpoint loading as a model.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "common/run_command.h"
#include "common/test_assets.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;
using Result = swift::testing::CommandResult;
using swift::testing::read_file;

const std::string kEnv = "env -u NPROC_PER_NODE -u WORLD_SIZE -u NNODES HF_HUB_OFFLINE=1 ";
const std::string kData = std::string(SWIFT_SOURCE_DIR) + "/tests/data/demo/self_cognition.jsonl";

Result run(const std::string& args) {
  return swift::testing::run_command(kEnv + std::string(SWIFT_BIN) + " " + args + " 2>&1");
}

class CliSft : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string tok = swift::testing::tokenizer_asset_dir("qwen3");
    if (!stdfs::is_regular_file(tok + "/tokenizer.json")) return;
    dir_ = swift::testing::fresh_dir("swift_test_cli_sft", "suite");
    model_ = dir_ + "/model";
    Result r = run("create-model --tokenizer " + tok + " --output_dir " + model_ +
                   " --preset tiny --model_type qwen3 --tie_word_embeddings false --seed 7");
    if (r.code != 0) {
      std::fprintf(stderr, "%s\n", r.out.c_str());
      model_.clear();
    }
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) stdfs::remove_all(dir_);
  }
  void SetUp() override {
    if (model_.empty()) GTEST_SKIP() << "no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)";
  }
  // The common arguments of a short LoRA run.
  static std::string sft_args(const std::string& out, int max_steps) {
    return "sft --model " + model_ + " --dataset " + kData + " --output_dir " + out +
           " --max_steps " + std::to_string(max_steps) +
           " --save_steps 3 --logging_steps 1 --eval_steps 3 --split_dataset_ratio 0.25"
           " --learning_rate 5e-3 --lora_rank 8 --lora_dropout 0.1 --seed 3";
  }
  static std::string model_;
  static std::string dir_;
};
std::string CliSft::model_;
std::string CliSft::dir_;

// The version folders (v0-..., v1-...) under `out`, in order.
std::vector<std::string> runs_in(const std::string& out) {
  std::vector<std::string> v;
  if (!stdfs::is_directory(out)) return v;
  for (const auto& e : stdfs::directory_iterator(out))
    if (e.is_directory() && e.path().filename().string().rfind('v', 0) == 0)
      v.push_back(e.path().string());
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
    auto n = [](const std::string& p) {
      return std::stoi(stdfs::path(p).filename().string().substr(1));
    };
    return n(a) < n(b);
  });
  return v;
}

std::vector<nlohmann::json> records(const std::string& run_dir) {
  std::vector<nlohmann::json> v;
  std::istringstream in(read_file(run_dir + "/logging.jsonl"));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}

// step -> train record (the ones with a loss that are neither eval nor the end record).
std::map<int, nlohmann::json> train_records(const std::string& run_dir) {
  std::map<int, nlohmann::json> m;
  for (const auto& r : records(run_dir)) {
    if (!r.contains("loss") || r.contains("train_runtime") || !r.contains("global_step/max_steps"))
      continue;
    const std::string gs = r["global_step/max_steps"];
    m[std::stoi(gs.substr(0, gs.find('/')))] = r;
  }
  return m;
}

int latest_step(const std::string& run_dir) {
  int best = 0;
  if (!stdfs::is_directory(run_dir)) return 0;
  for (const auto& e : stdfs::directory_iterator(run_dir)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("checkpoint-", 0) == 0 && n.find('.') == std::string::npos &&
        stdfs::is_regular_file(e.path() / "trainer_state.json"))
      best = std::max(best, std::stoi(n.substr(11)));
  }
  return best;
}

std::vector<std::string> responses(const std::string& result_path) {
  std::vector<std::string> v;
  std::istringstream in(read_file(result_path));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) v.push_back(nlohmann::json::parse(line)["response"]);
  return v;
}

TEST_F(CliSft, LoraRunFolderAsMsSwiftLaysItOut) {
  const std::string out = dir_ + "/layout";
  Result r = run(sft_args(out, 4));
  ASSERT_EQ(r.code, 0) << r.out;
  auto v = runs_in(out);
  ASSERT_EQ(v.size(), 1u) << r.out;
  const std::string rd = v[0];
  EXPECT_EQ(stdfs::path(rd).filename().string().substr(0, 3), "v0-");
  auto args = nlohmann::json::parse(read_file(rd + "/args.json"));
  EXPECT_EQ(args["lora_rank"], 8);
  auto train = train_records(rd);
  ASSERT_EQ(train.size(), 4u) << read_file(rd + "/logging.jsonl");
  for (const char* k :
       {"loss", "grad_norm", "learning_rate", "token_acc", "epoch", "global_step/max_steps",
        "elapsed_time", "remaining_time", "train_speed(s/it)"})
    EXPECT_TRUE(train[1].contains(k)) << k << " missing: " << train[1].dump();
  bool eval = false, end = false;
  for (const auto& rec : records(rd)) {
    eval = eval || rec.contains("eval_loss");
    end = end || rec.contains("train_runtime");
  }
  EXPECT_TRUE(eval && end) << read_file(rd + "/logging.jsonl");
  bool events = false;
  for (const auto& e : stdfs::directory_iterator(rd + "/runs"))
    events = events || e.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_TRUE(events);
  EXPECT_EQ(read_file(rd + "/images/train_loss.png").substr(0, 4), "\x89PNG");
  for (const char* ck : {"/checkpoint-3", "/checkpoint-4"})
    for (const char* f : {"/adapter_config.json", "/adapter_model.safetensors",
                          "/additional_config.json", "/args.json", "/trainer_state.json"})
      EXPECT_TRUE(stdfs::is_regular_file(rd + ck + f)) << ck << f;
  auto state = nlohmann::json::parse(read_file(rd + "/checkpoint-4/trainer_state.json"));
  EXPECT_EQ(state["global_step"], 4);

  // A second run in the same output folder is the next version.
  Result again = run(sft_args(out, 1));
  ASSERT_EQ(again.code, 0) << again.out;
  v = runs_in(out);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(stdfs::path(v[1]).filename().string().substr(0, 3), "v1-");
}

// kill -9 in the middle of a run, then --resume_from_checkpoint on its last checkpoint: every
// later step logs the loss and grad_norm of the run that never stopped (dropout on, so the RNG
// state is part of what resumes).
TEST_F(CliSft, KilledRunResumesWithIdenticalLosses) {
  const int steps = 24;
  const std::string whole = dir_ + "/whole", killed = dir_ + "/killed";
  Result u = run(sft_args(whole, steps));
  ASSERT_EQ(u.code, 0) << u.out;
  const std::string whole_run = runs_in(whole).at(0);
  auto want = train_records(whole_run);
  ASSERT_EQ(want.size(), static_cast<std::size_t>(steps));

  const std::string cmd = kEnv + std::string(SWIFT_BIN) + " " + sft_args(killed, steps) + " > " +
                          dir_ + "/killed.log 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill once the first checkpoint is whole.
  int seen = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (seen == 0 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120)) {
    auto v = runs_in(killed);
    if (!v.empty()) seen = latest_step(v[0]);
    if (seen == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status))
      << "the run ended before the kill: " << read_file(dir_ + "/killed.log");
  const std::string killed_run = runs_in(killed).at(0);
  const int k = latest_step(killed_run);
  ASSERT_GE(k, 3);
  ASSERT_LT(k, steps);

  const std::string ckpt = killed_run + "/checkpoint-" + std::to_string(k);
  Result res = run(sft_args(killed, steps) + " --resume_from_checkpoint " + ckpt);
  ASSERT_EQ(res.code, 0) << res.out;
  const std::string resumed_run = runs_in(killed).at(1);
  auto got = train_records(resumed_run);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(steps - k))
      << read_file(resumed_run + "/logging.jsonl");
  for (int s = k + 1; s <= steps; ++s) {
    ASSERT_TRUE(got.count(s)) << "step " << s;
    EXPECT_EQ(got[s]["loss"], want[s]["loss"]) << "step " << s;
    EXPECT_EQ(got[s]["grad_norm"], want[s]["grad_norm"]) << "step " << s;
    EXPECT_EQ(got[s]["learning_rate"], want[s]["learning_rate"]) << "step " << s;
  }
  // The final adapters are the same bytes.
  const std::string last = "/checkpoint-" + std::to_string(steps) + "/adapter_model.safetensors";
  EXPECT_EQ(read_file(resumed_run + last), read_file(whole_run + last));
}

// The trained adapter: `swift infer --adapters` and the model `swift export --merge_lora` makes
// of it answer the same, greedily.
TEST_F(CliSft, TrainedAdapterMergesAndInfers) {
  const std::string out = dir_ + "/merge";
  Result r = run(sft_args(out, 6));
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string ckpt = runs_in(out).at(0) + "/checkpoint-6";
  const std::string merged = dir_ + "/merged";
  Result m = run("export --merge_lora true --adapters " + ckpt + " --output_dir " + merged);
  ASSERT_EQ(m.code, 0) << m.out;
  const std::string infer = " --val_dataset " + kData + " --temperature 0 --max_new_tokens 12";
  Result a = run("infer --adapters " + ckpt + infer + " --result_path " + dir_ + "/a.jsonl");
  ASSERT_EQ(a.code, 0) << a.out;
  Result b = run("infer --model " + merged + infer + " --result_path " + dir_ + "/b.jsonl");
  ASSERT_EQ(b.code, 0) << b.out;
  auto ra = responses(dir_ + "/a.jsonl"), rb = responses(dir_ + "/b.jsonl");
  ASSERT_EQ(ra.size(), 8u);
  EXPECT_EQ(ra, rb);
}

// Full fine-tuning (with ms-swift's freeze rules): the checkpoint is a model folder `swift
// infer --model` loads, its weights moved, with the tokenizer beside them.
TEST_F(CliSft, FullCheckpointIsAModel) {
  const std::string out = dir_ + "/full";
  Result r = run("sft --model " + model_ + " --dataset " + kData + " --output_dir " + out +
                 " --tuner_type full --max_steps 2 --save_steps 2 --learning_rate 1e-3"
                 " --split_dataset_ratio 0 --freeze_parameters_ratio 0.3"
                 " --trainable_parameters model.embed_tokens");
  ASSERT_EQ(r.code, 0) << r.out;
  // ms-swift's freeze rules ran: the bottom 30% froze, the embeddings were activated again.
  EXPECT_NE(r.out.find("parameter tensors frozen"), std::string::npos) << r.out;
  Result lora = run("sft --model " + model_ + " --dataset " + kData + " --output_dir " + out +
                    " --max_steps 1 --freeze_parameters model.norm");
  EXPECT_EQ(lora.code, 2) << lora.out;  // an argument error
  EXPECT_NE(lora.out.find("--tuner_type full"), std::string::npos) << lora.out;
  const std::string ckpt = runs_in(out).at(0) + "/checkpoint-2";
  for (const char* f : {"/config.json", "/model.safetensors", "/tokenizer.json",
                        "/trainer_state.json", "/args.json"})
    EXPECT_TRUE(stdfs::is_regular_file(ckpt + f)) << f;
  EXPECT_NE(read_file(ckpt + "/model.safetensors"), read_file(model_ + "/model.safetensors"));
  Result a = run("infer --model " + ckpt + " --val_dataset " + kData +
                 " --temperature 0 --max_new_tokens 4 --result_path " + dir_ + "/full.jsonl");
  ASSERT_EQ(a.code, 0) << a.out;
  EXPECT_EQ(responses(dir_ + "/full.jsonl").size(), 8u);
}

}  // namespace

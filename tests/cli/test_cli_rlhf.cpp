// Black-box tests of `swift rlhf` as a user runs it, on tiny random models with real tokenizers
// (skipped without the test assets):
// - parity: every case under tests/data/rlhf/{train,heldout} (goldens of ms-swift 4.6's own
//   `swift rlhf` on TRL 0.29.1, tools/reference/make_rlhf_train_goldens.py) run with the same
//   arguments; every logged value of every step within 1e-4 relative (grad_norm 1e-3) plus
//   1e-5 absolute (rewards are beta times differences of log-probs near -100, summed in float32
//   on both sides), the trained adapter's tensors within 1e-4 of their scale;
// - DPO after SFT (--adapters sft --ref_adapters sft), an exact resume from a checkpoint, the
//   adapter in `swift infer`;
// - the errors ms-swift raises for wrong combinations, and bad rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "common/run_command.h"
#include "common/test_assets.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;
using json = nlohmann::json;
using Result = swift::testing::CommandResult;
using swift::testing::read_file;

const std::string kEnv = "env -u NPROC_PER_NODE -u WORLD_SIZE -u NNODES HF_HUB_OFFLINE=1 ";
const std::string kGolden = std::string(SWIFT_SOURCE_DIR) + "/tests/data/rlhf";

Result run(const std::string& args) {
  return swift::testing::run_command(kEnv + std::string(SWIFT_BIN) + " " + args + " 2>&1");
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

// The train records (those with "loss") of a run's logging.jsonl.
std::vector<json> train_records(const std::string& run_dir) {
  std::vector<json> out;
  for (auto& r : read_jsonl(run_dir + "/logging.jsonl"))
    if (r.contains("loss") && r.contains("learning_rate")) out.push_back(r);
  return out;
}

// The one vN-... folder under `out`.
std::string run_folder(const std::string& out) {
  for (const auto& e : stdfs::directory_iterator(out))
    if (e.is_directory() && e.path().filename().string().rfind('v', 0) == 0)
      return e.path().string();
  return "";
}

// Models made by `swift create-model` with the same arguments are byte-identical (same seed,
// same bytes on both libtorch builds); the goldens record their sha256.
class Models {
 public:
  explicit Models(std::string root) : root_(std::move(root)) {}
  // "" when the tokenizer asset is missing; throws on a sha mismatch via ADD_FAILURE.
  std::string get(const std::vector<std::string>& create_args, const std::string& sha) {
    std::string key;
    for (const auto& a : create_args) key += a + " ";
    auto it = made_.find(key);
    if (it != made_.end()) return it->second;
    std::string args, tok;
    for (std::size_t i = 0; i < create_args.size(); ++i) {
      std::string a = create_args[i];
      if (a == "--tokenizer" && i + 1 < create_args.size()) {
        // the golden names the asset by its folder name: ~/.cache/.../tokenizers/<name>
        tok = swift::testing::tokenizer_asset_dir(stdfs::path(create_args[i + 1]).filename());
        if (!stdfs::is_regular_file(tok + "/tokenizer.json")) return "";
        args += " --tokenizer " + tok;
        ++i;
        continue;
      }
      args += " " + quote(a);
    }
    const std::string dir = root_ + "/model" + std::to_string(made_.size());
    Result r = run("create-model" + args + " --output_dir " + dir);
    EXPECT_EQ(r.code, 0) << r.out;
    Result s = swift::testing::run_command("sha256sum " + dir + "/model.safetensors");
    const std::string got = s.out.substr(0, 64);
    EXPECT_EQ(got, sha) << "swift create-model no longer makes the golden's model (" << key
                        << "); regenerate tests/data/rlhf with "
                           "tools/reference/make_rlhf_train_goldens.py";
    made_[key] = dir;
    return dir;
  }

 private:
  std::string root_;
  std::map<std::string, std::string> made_;
};

// A safetensors file's tensors as float64 values, by name, read through `swift inspect`-free
// means: the header and raw little-endian F32 data (what both sides write).
std::map<std::string, std::vector<double>> read_f32_safetensors(const std::string& path) {
  std::map<std::string, std::vector<double>> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  std::uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  std::string header(n, '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  json h = json::parse(header);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto& [name, info] : h.items()) {
    if (name == "__metadata__" || info.value("dtype", "") != "F32") continue;
    const auto b = info["data_offsets"][0].get<std::size_t>();
    const auto e = info["data_offsets"][1].get<std::size_t>();
    std::vector<double> v((e - b) / 4);
    for (std::size_t i = 0; i < v.size(); ++i) {
      float f;
      std::memcpy(&f, data.data() + b + 4 * i, 4);
      v[i] = f;
    }
    out[name] = std::move(v);
  }
  return out;
}

bool close(double a, double b, double rel, double abs_floor) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)) + abs_floor;
}

// Keys every record has that are not the algorithm's numbers.
const std::set<std::string> kSkipKeys = {"epoch",
                                         "global_step/max_steps",
                                         "percentage",
                                         "elapsed_time",
                                         "remaining_time",
                                         "memory(GiB)",
                                         "train_speed(s/it)",
                                         "step",
                                         "global_step",
                                         "grad_norm",
                                         "learning_rate",
                                         "loss"};

void check_case(const std::string& case_dir, Models& models, const std::string& scratch) {
  const std::string name = stdfs::path(case_dir).filename();
  SCOPED_TRACE(name);
  json c = json::parse(read_file(case_dir + "/case.json"));
  const std::string model =
      models.get(c["create_model"].get<std::vector<std::string>>(), c["model_sha256"]);
  if (model.empty()) GTEST_SKIP() << "no tokenizer asset (scripts/fetch-test-assets.sh)";
  std::string args =
      "rlhf --model " + model + " --dataset " +
      quote(stdfs::path(case_dir).parent_path().string() + "/" + c["dataset"].get<std::string>()) +
      " --output_dir " + scratch + "/" + name + " --disable_tqdm true";
  if (c.contains("adapters") && c["adapters"].is_string())
    args += " --adapters " + case_dir + "/" + c["adapters"].get<std::string>();
  for (const auto& a : c["args"]) args += " " + quote(a.get<std::string>());
  Result r = run(args);
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string rd = run_folder(scratch + "/" + name);
  auto ours = train_records(rd);
  auto ref = read_jsonl(case_dir + "/steps.jsonl");
  ASSERT_EQ(ours.size(), ref.size()) << "logged steps";
  double worst = 0;
  std::string worst_what;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    for (auto& [k, v] : ref[i].items()) {
      if (!v.is_number() ||
          (kSkipKeys.count(k) && k != "loss" && k != "grad_norm" && k != "learning_rate"))
        continue;
      ASSERT_TRUE(ours[i].contains(k)) << "step " << i + 1 << " has no " << k;
      const double a = ours[i][k].get<double>(), b = v.get<double>();
      // CPO/SimPO/ORPO's logits/*: TRL averages every position of its padded rows (padding
      // included), swift.cpp the real positions only (docs/STATUS.md); only roughly equal.
      const bool padded_mean =
          k.rfind("logits/", 0) == 0 &&
          (name.find("cpo") != std::string::npos || name.find("simpo") != std::string::npos ||
           name.find("orpo") != std::string::npos);
      if (padded_mean) {
        EXPECT_TRUE(close(a, b, 0.25, 1e-4)) << name << " step " << i + 1 << " " << k;
        continue;
      }
      const double rel = k == "grad_norm" ? 1e-3 : 1e-4;
      const double err = std::fabs(a - b) / std::max(1e-1, std::fabs(b));
      if (err > worst) {
        worst = err;
        worst_what = k + " at step " + std::to_string(i + 1);
      }
      EXPECT_TRUE(close(a, b, rel, 1e-5))
          << name << " step " << i + 1 << " " << k << ": ours " << a << " ms-swift " << b;
    }
  }
  std::printf(
      "%s max_rel_err=%.3g (%s; relative to max(|ms-swift|, 0.1)) tol=1e-4 (grad_norm 1e-3) %s\n",
      name.c_str(), worst, worst_what.c_str(), ::testing::Test::HasFailure() ? "FAIL" : "PASS");
  if (stdfs::is_regular_file(case_dir + "/final.safetensors")) {
    std::string ck;
    for (const auto& e : stdfs::directory_iterator(rd))
      if (e.path().filename().string().rfind("checkpoint-", 0) == 0) ck = e.path().string();
    ASSERT_FALSE(ck.empty()) << "no checkpoint in " << rd;
    auto mine = read_f32_safetensors(ck + "/adapter_model.safetensors");
    auto gold = read_f32_safetensors(case_dir + "/final.safetensors");
    ASSERT_EQ(mine.size(), gold.size());
    for (auto& [k, g] : gold) {
      ASSERT_TRUE(mine.count(k)) << k;
      double scale = 0, err = 0;
      for (std::size_t i = 0; i < g.size(); ++i) {
        scale = std::max(scale, std::fabs(g[i]));
        err = std::max(err, std::fabs(g[i] - mine[k][i]));
      }
      EXPECT_LE(err, 1e-4 * scale + 1e-7) << "adapter tensor " << k;
    }
  }
}

class CliRlhf : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = swift::testing::fresh_dir("swift_test_cli_rlhf", "suite");
    models_ = new Models(dir_);
  }
  static void TearDownTestSuite() {
    delete models_;
    models_ = nullptr;
    if (!dir_.empty()) stdfs::remove_all(dir_);
  }
  static std::vector<std::string> cases(const std::string& set) {
    std::vector<std::string> v;
    const std::string root = kGolden + "/" + set;
    if (!stdfs::is_directory(root)) return v;
    for (const auto& e : stdfs::directory_iterator(root))
      if (stdfs::is_regular_file(e.path() / "case.json")) v.push_back(e.path().string());
    std::sort(v.begin(), v.end());
    return v;
  }
  static std::string dir_;
  static Models* models_;
};
std::string CliRlhf::dir_;
Models* CliRlhf::models_ = nullptr;

TEST_F(CliRlhf, MatchesMsSwiftGoldens) {
  auto v = cases("train");
  if (v.empty()) GTEST_SKIP() << "no goldens under tests/data/rlhf/train";
  for (const auto& c : v) check_case(c, *models_, dir_ + "/parity");
}

TEST_F(CliRlhf, MatchesMsSwiftHeldOut) {
  auto v = cases("heldout");
  if (v.empty()) GTEST_SKIP() << "no goldens under tests/data/rlhf/heldout";
  for (const auto& c : v) check_case(c, *models_, dir_ + "/heldout");
}

// A tiny qwen3 and a preference file of our own for the end-to-end checks.
class CliRlhfE2e : public CliRlhf {
 protected:
  void SetUp() override {
    const std::string tok = swift::testing::tokenizer_asset_dir("qwen3");
    if (!stdfs::is_regular_file(tok + "/tokenizer.json")) GTEST_SKIP() << "no qwen3 tokenizer";
    if (model_.empty()) {
      model_ = dir_ + "/e2e_model";
      Result r = run("create-model --tokenizer " + tok + " --output_dir " + model_ +
                     " --preset tiny --model_type qwen3 --seed 11");
      ASSERT_EQ(r.code, 0) << r.out;
      std::ofstream p(dir_ + "/prefs.jsonl"), k(dir_ + "/kto.jsonl"), s(dir_ + "/sft.jsonl");
      const char* topics[] = {"rivers", "owls", "snow", "maps", "jazz", "ferns"};
      for (int i = 0; i < 12; ++i) {
        const std::string t = topics[i % 6];
        json user = {{"role", "user"}, {"content", "What about " + t + "?"}};
        json good = {{"role", "assistant"}, {"content", t + " are fascinating, here is why."}};
        p << json{{"messages", {user, good}}, {"rejected_response", "No idea, sorry."}}.dump()
          << "\n";
        k << json{{"messages",
                   {user, i % 2 ? good : json{{"role", "assistant"}, {"content", "Go away."}}}},
                  {"label", i % 2 == 1}}
                 .dump()
          << "\n";
        s << json{{"messages", {user, good}}}.dump() << "\n";
      }
    }
  }
  static std::string common(const std::string& out, int steps) {
    return " --model " + model_ + " --output_dir " + out + " --max_steps " + std::to_string(steps) +
           " --per_device_train_batch_size 2 --gradient_accumulation_steps 2 --logging_steps 1"
           " --learning_rate 1e-3 --disable_tqdm true --seed 5";
  }
  static std::string model_;
};
std::string CliRlhfE2e::model_;

TEST_F(CliRlhfE2e, DpoAfterSftResumesExactly) {
  Result sft = run("sft" + common(dir_ + "/sft", 3) + " --dataset " + dir_ + "/sft.jsonl");
  ASSERT_EQ(sft.code, 0) << sft.out;
  const std::string sft_ck = run_folder(dir_ + "/sft") + "/checkpoint-3";
  ASSERT_TRUE(stdfs::is_directory(sft_ck));
  const std::string dpo = "rlhf --rlhf_type dpo --dataset " + dir_ + "/prefs.jsonl --adapters " +
                          sft_ck + " --ref_adapters " + sft_ck + " --save_steps 2";
  Result whole = run(dpo + common(dir_ + "/dpo_whole", 4));
  ASSERT_EQ(whole.code, 0) << whole.out;
  const std::string wd = run_folder(dir_ + "/dpo_whole");
  auto full = train_records(wd);
  ASSERT_EQ(full.size(), 4u);
  // Step 1: the policy starts as the reference, so every reward is 0 and the loss is log 2.
  EXPECT_NEAR(full[0]["rewards/chosen"].get<double>(), 0.0, 1e-6);
  EXPECT_NEAR(full[0]["loss"].get<double>(), std::log(2.0), 1e-5);
  EXPECT_GT(full[3]["rewards/margins"].get<double>(), 0.0) << "DPO did not learn the preference";
  for (const char* f : {"args.json", "logging.jsonl", "checkpoint-2/adapter_model.safetensors",
                        "checkpoint-4/adapter_config.json", "checkpoint-4/trainer_state.json",
                        "images/train_loss.png", "images/train_rewards_margins.png",
                        "images/train_rewards_accuracies.png"})
    EXPECT_TRUE(stdfs::exists(wd + "/" + f)) << f;

  Result resumed = run(dpo + common(dir_ + "/dpo_resumed", 4) + " --resume_from_checkpoint " + wd +
                       "/checkpoint-2");
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  const std::string rd = run_folder(dir_ + "/dpo_resumed");
  auto tail = train_records(rd);
  ASSERT_EQ(tail.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i)
    for (const char* k : {"loss", "grad_norm", "rewards/margins", "logps/chosen"})
      EXPECT_DOUBLE_EQ(tail[i][k].get<double>(), full[i + 2][k].get<double>()) << k;
  EXPECT_EQ(read_file(rd + "/checkpoint-4/adapter_model.safetensors"),
            read_file(wd + "/checkpoint-4/adapter_model.safetensors"));

  Result infer = run(
      "infer --model " + model_ + " --adapters " + wd + "/checkpoint-4 --val_dataset " + dir_ +
      "/sft.jsonl --max_new_tokens 4 --temperature 0 --result_path " + dir_ + "/dpo_infer.jsonl");
  EXPECT_EQ(infer.code, 0) << infer.out;
  EXPECT_EQ(read_jsonl(dir_ + "/dpo_infer.jsonl").size(), 12u);
}

TEST_F(CliRlhfE2e, EveryAlgorithmTrains) {
  struct Algo {
    std::string args, data;
    std::vector<std::string> keys;
  };
  const std::vector<Algo> algos = {
      {"--rlhf_type dpo --tuner_type full --learning_rate 1e-4",
       "prefs",
       {"rewards/margins", "logps/chosen", "logits/rejected"}},
      {"--rlhf_type cpo", "prefs", {"nll_loss", "rewards/accuracies"}},
      {"--rlhf_type simpo", "prefs", {"nll_loss", "rewards/margins"}},
      {"--rlhf_type orpo", "prefs", {"log_odds_ratio", "log_odds_chosen", "nll_loss"}},
      {"--rlhf_type kto", "kto", {"kl", "rewards/chosen", "rewards/rejected", "rewards/margins"}},
  };
  int i = 0;
  for (const auto& a : algos) {
    const std::string out = dir_ + "/algo" + std::to_string(i++);
    Result r =
        run("rlhf " + a.args + " --dataset " + dir_ + "/" + a.data + ".jsonl" + common(out, 2));
    ASSERT_EQ(r.code, 0) << a.args << "\n" << r.out;
    auto recs = train_records(run_folder(out));
    ASSERT_EQ(recs.size(), 2u) << a.args;
    for (const auto& k : a.keys) {
      ASSERT_TRUE(recs[1].contains(k)) << a.args << " logs no " << k;
      EXPECT_TRUE(std::isfinite(recs[1][k].get<double>())) << a.args << " " << k;
    }
  }
}

TEST_F(CliRlhfE2e, RefusesWhatMsSwiftRefuses) {
  const std::string base = "rlhf --dataset " + dir_ + "/prefs.jsonl" + common(dir_ + "/bad", 1);
  Result r = run(base + " --rlhf_type cpo --ref_model " + model_);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("does not require a ref_model"), std::string::npos) << r.out;
  r = run(base + " --rlhf_type orpo --ref_adapters " + dir_);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("ref_adapters"), std::string::npos) << r.out;
  r = run(base + " --rlhf_type dpo --loss_type nonsense");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("nonsense"), std::string::npos) << r.out;
  r = run(base + " --rlhf_type dpo --loss_type sigmoid ipo --loss_weights 1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("loss_weights"), std::string::npos) << r.out;
  r = run("rlhf --rlhf_type kto --dataset " + dir_ + "/kto.jsonl" + common(dir_ + "/bad2", 1) +
          " --per_device_train_batch_size 1 --gradient_accumulation_steps 1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("KL term"), std::string::npos) << r.out;
  r = run(base + " --rlhf_type grpo");
  EXPECT_EQ(r.code, 3) << r.out;
  EXPECT_NE(r.out.find("not built yet"), std::string::npos) << r.out;

  // A row without a rejected answer: dropped and counted, or with --strict named by line.
  std::ofstream bad(dir_ + "/bad.jsonl");
  bad << read_file(dir_ + "/prefs.jsonl");
  bad << json{{"messages",
               {{{"role", "user"}, {"content", "hi"}},
                {{"role", "assistant"}, {"content", "hello"}}}}}
             .dump()
      << "\n";
  bad.close();
  r = run("rlhf --rlhf_type dpo --dataset " + dir_ + "/bad.jsonl --strict true" +
          common(dir_ + "/bad3", 1));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("rejected"), std::string::npos) << r.out;
}

}  // namespace

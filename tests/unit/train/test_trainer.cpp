// The trainer end to end on a fixture model: a resumed run logs exactly the losses of the run
// that never stopped (bit-identical, float32, LoRA dropout on), the run folder's files, packed
// samples never attending across their boundary, and a NaN loss stopping the run clearly.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/test_util.h"
#include "core/error.h"
#include "model/model.h"
#include "train/checkpoint_io.h"
#include "train/tensorboard.h"
#include "train/trainer.h"
#include "train/trainer_state.h"
#include "tuners/lora.h"

namespace {

namespace stdfs = std::filesystem;
const std::string kSrc = SWIFT_SOURCE_DIR;

std::vector<swift::train::Sample> golden_rows(std::size_t n) {
  std::ifstream in(kSrc + "/tests/data/train/data.jsonl");
  std::vector<swift::train::Sample> out;
  for (std::string line; std::getline(in, line) && out.size() < n;) {
    auto j = nlohmann::json::parse(line);
    out.push_back({j["input_ids"].get<std::vector<std::int32_t>>(),
                   j["labels"].get<std::vector<std::int32_t>>(),
                   {}});
  }
  return out;
}

swift::train::TrainerOptions options(const std::string& out) {
  swift::train::TrainerOptions o;
  o.max_steps = 8;
  o.batch_size = 2;
  o.grad_accum = 2;
  o.learning_rate = 1e-3;
  o.warmup_steps = 2;
  o.save_steps = 4;
  o.eval_steps = 4;
  o.logging_steps = 2;
  o.output_dir = out;
  o.progress_bar = false;
  o.seed = 3;
  return o;
}

struct TunedModel {
  std::shared_ptr<swift::model::CausalLM> lm;
  std::shared_ptr<swift::tuners::LoraAdapter> adapter;
};

TunedModel fresh() {
  TunedModel r;
  r.lm = swift::model::load_causal_lm(kSrc + "/tests/data/hf/qwen3");
  swift::tuners::LoraOptions lo;
  lo.r = 4;
  lo.dropout = 0.1;
  r.adapter = swift::tuners::LoraAdapter::create(*r.lm, lo);
  return r;
}

TEST(Trainer, ResumeLogsTheSameLossesBitForBit) {
  const std::string dir = swift::testing::fresh_dir("trainer", "resume");
  auto data = golden_rows(40);
  auto val = golden_rows(44);
  val.erase(val.begin(), val.begin() + 40);

  torch::manual_seed(11);
  TunedModel a = fresh();
  swift::train::Trainer whole(a.lm, a.adapter, options(dir + "/whole"));
  whole.set_save_model([&](const std::string& d) { a.adapter->save(d); });
  auto full = whole.train(data, val);
  ASSERT_EQ(full.steps.size(), 8u);

  // The same run "killed" after step 4: a new process state, weights and optimizer from
  // checkpoint-4, the generator from its RNG state.
  torch::manual_seed(999);
  TunedModel b = fresh();
  const std::string ck = dir + "/whole/checkpoint-4";
  auto loaded = b.adapter;  // fresh weights: resume() copies the checkpoint's in
  swift::train::Trainer resumed(b.lm, loaded, options(dir + "/resumed"));
  resumed.set_save_model([&](const std::string& d) { loaded->save(d); });
  EXPECT_EQ(resumed.resume(ck, false, false), 4);
  auto tail = resumed.train(data, val, 4);
  ASSERT_EQ(tail.steps.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(tail.steps[i].step, full.steps[i + 4].step);
    EXPECT_EQ(tail.steps[i].loss, full.steps[i + 4].loss) << "step " << tail.steps[i].step;
    EXPECT_EQ(tail.steps[i].grad_norm, full.steps[i + 4].grad_norm);
  }
  auto pa = a.adapter->named_parameters(), pb = loaded->named_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    EXPECT_TRUE(torch::equal(pa[i].second, pb[i].second)) << pa[i].first;
}

TEST(Trainer, RunFolderHasLogsEventsPlotsAndCheckpoints) {
  const std::string dir = swift::testing::fresh_dir("trainer", "folder");
  auto data = golden_rows(24);
  auto val = golden_rows(28);
  val.erase(val.begin(), val.begin() + 24);
  TunedModel r = fresh();
  auto o = options(dir);
  o.max_steps = -1;
  o.num_train_epochs = 2;  // 24 rows / (2 x 2) = 6 steps per epoch
  o.save_steps = 5;
  o.save_total_limit = 2;
  swift::train::Trainer t(r.lm, r.adapter, o);
  t.set_save_model([&](const std::string& d) { r.adapter->save(d); });
  EXPECT_EQ(t.total_steps(data.size()), 12);
  auto res = t.train(data, val);
  EXPECT_EQ(res.global_step, 12);
  // Saved at 5, 10 and the last step 12; the limit keeps 2 (the best is protected).
  std::vector<std::string> ckpts;
  for (const auto& e : stdfs::directory_iterator(dir))
    if (e.path().filename().string().rfind("checkpoint-", 0) == 0)
      ckpts.push_back(e.path().filename().string());
  EXPECT_LE(ckpts.size(), 3u);
  EXPECT_TRUE(stdfs::exists(dir + "/checkpoint-12/adapter_model.safetensors"));
  EXPECT_TRUE(stdfs::exists(dir + "/checkpoint-12/trainer_state.json"));
  EXPECT_TRUE(stdfs::exists(dir + "/checkpoint-12/optimizer.safetensors"));
  EXPECT_TRUE(stdfs::exists(dir + "/images/train_loss.png"));
  auto state = swift::train::TrainerState::read(dir + "/checkpoint-12/trainer_state.json");
  EXPECT_TRUE(swift::train::is_intact_checkpoint(dir + "/checkpoint-12"));
  EXPECT_EQ(state.global_step, 12);
  // logging.jsonl: train records with ms-swift's keys, eval records, the end and the summary.
  std::ifstream in(dir + "/logging.jsonl");
  std::vector<nlohmann::json> recs;
  for (std::string line; std::getline(in, line);) recs.push_back(nlohmann::json::parse(line));
  ASSERT_GE(recs.size(), 4u);
  EXPECT_TRUE(recs[0].contains("loss") && recs[0].contains("grad_norm") &&
              recs[0].contains("learning_rate") && recs[0].contains("global_step/max_steps"));
  EXPECT_EQ(recs[0]["global_step/max_steps"], "1/12");
  bool eval = false;
  for (const auto& r2 : recs) eval = eval || r2.contains("eval_loss");
  EXPECT_TRUE(eval);
  EXPECT_TRUE(recs.back().contains("last_model_checkpoint"));
  EXPECT_EQ(recs.back()["last_model_checkpoint"], dir + "/checkpoint-12");
  // TensorBoard events read back: one train/loss per logged step.
  std::string events;
  for (const auto& e : stdfs::directory_iterator(dir + "/runs"))
    if (e.path().filename().string().rfind("events.out.tfevents", 0) == 0) events = e.path();
  ASSERT_FALSE(events.empty());
  std::size_t losses = 0;
  for (const auto& ev : swift::train::read_scalar_events(events)) losses += ev.tag == "train/loss";
  EXPECT_GE(losses, 6u);
}

// Packing: samples concatenated in one micro-batch see only themselves.
TEST(Trainer, PackedSamplesDoNotAttendAcrossTheBoundary) {
  torch::NoGradGuard ng;
  auto lm = swift::model::load_causal_lm(kSrc + "/tests/data/hf/llama");
  auto rows = golden_rows(3);
  auto pack = [&](const std::vector<std::int32_t>& second) {
    swift::model::PackedBatch b;
    std::vector<std::int64_t> ids, pos;
    for (auto id : rows[0].input_ids) ids.push_back(id);
    for (auto id : second) ids.push_back(id);
    for (std::size_t i = 0; i < rows[0].input_ids.size(); ++i) pos.push_back(i);
    for (std::size_t i = 0; i < second.size(); ++i) pos.push_back(i);
    b.input_ids = torch::tensor(ids);
    b.position_ids = torch::tensor(pos);
    b.cu_seqlens = {0, static_cast<std::int64_t>(rows[0].input_ids.size()),
                    static_cast<std::int64_t>(ids.size())};
    return lm->forward(b);
  };
  const auto S = static_cast<std::int64_t>(rows[0].input_ids.size());
  auto x = pack(rows[1].input_ids), y = pack(rows[2].input_ids);
  // The first sample's logits do not depend on what follows it in the pack...
  EXPECT_TRUE(torch::equal(x.narrow(0, 0, S), y.narrow(0, 0, S)));
  // ...and equal those of the sample alone; the second equals the second alone.
  swift::model::PackedBatch alone;
  alone.input_ids =
      torch::tensor(std::vector<std::int64_t>(rows[1].input_ids.begin(), rows[1].input_ids.end()));
  alone.position_ids = torch::arange(S, torch::kInt64);
  alone.cu_seqlens = {0, S};
  auto ref = lm->forward(alone);
  EXPECT_LT((x.narrow(0, S, S) - ref).abs().max().item<double>(),
            1e-5 * std::max(1.0, ref.abs().max().item<double>()));
}

// --packing: packed rows of two samples, one row per micro-batch, train exactly like unpacked
// micro-batches of the same two samples (the pack keeps each sample's boundary).
TEST(Trainer, PackedTrainingEqualsUnpacked) {
  auto data = golden_rows(16);
  std::vector<std::vector<std::size_t>> packs;
  for (std::size_t i = 0; i < data.size(); i += 2) packs.push_back({i, i + 1});
  double losses[2][4];
  for (int packed = 0; packed < 2; ++packed) {
    torch::manual_seed(5);
    std::shared_ptr<swift::model::CausalLM> lm =
        swift::model::load_causal_lm(kSrc + "/tests/data/hf/qwen3");
    swift::tuners::LoraOptions lo;
    lo.r = 4;
    auto ad = swift::tuners::LoraAdapter::create(*lm, lo);
    auto o = options("");
    o.max_steps = 4;
    o.shuffle = false;
    o.batch_size = packed ? 1 : 2;
    swift::train::Trainer t(lm, ad, o);
    auto r = packed ? t.train(data, {}, 0, packs) : t.train(data, {});
    for (int s = 0; s < 4; ++s) losses[packed][s] = r.steps[s].loss;
  }
  for (int s = 0; s < 4; ++s) EXPECT_NEAR(losses[0][s], losses[1][s], 1e-5 * losses[0][s]);
}

TEST(Trainer, NanLossStopsWithTheStep) {
  TunedModel r = fresh();
  {
    torch::NoGradGuard ng;
    r.lm->parameter("model.norm.weight").fill_(std::numeric_limits<float>::quiet_NaN());
  }
  auto o = options("");
  swift::train::Trainer t(r.lm, r.adapter, o);
  try {
    t.train(golden_rows(8), {});
    FAIL() << "no error";
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("step 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("learning_rate"), std::string::npos) << e.what();
  }
}

}  // namespace

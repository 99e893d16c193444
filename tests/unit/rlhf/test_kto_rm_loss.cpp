// KTO and reward-model losses against the reference stack: TRL 0.29's KTOTrainer (kto_loss,
// get_batch_loss_metrics, as ms-swift 4.6 runs it) and ms-swift's / TRL's RewardTrainer
// compute_loss, from tests/data/rlhf/kto_rm_losses.json (tools/reference/make_kto_rm_goldens.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "golden_check.h"
#include "rlhf/kto.h"
#include "rlhf/rm.h"

namespace {

using nlohmann::json;
namespace rlhf = swift::rlhf;
namespace rlhf_test = swift::rlhf_test;

const json& goldens() {
  static const json g = rlhf_test::load_goldens("SWIFT_KTO_RM_GOLDENS", "kto_rm_losses.json");
  return g;
}

using rlhf_test::dtype_of;
using rlhf_test::expect_close;
using rlhf_test::expect_metrics;
using rlhf_test::ivec;
using rlhf_test::rtol_of;
using rlhf_test::vec;

rlhf::KtoOptions kto_options(const json& c) {
  rlhf::KtoOptions o;
  o.beta = c["beta"];
  o.desirable_weight = c["desirable_weight"];
  o.undesirable_weight = c["undesirable_weight"];
  return o;
}

rlhf::KtoLogps kto_logps(const json& c, torch::Dtype dt) {
  return {vec(c["chosen"], dt),       vec(c["rejected"], dt), vec(c["ref_chosen"], dt),
          vec(c["ref_rejected"], dt), vec(c["kl_logps"], dt), vec(c["ref_kl_logps"], dt)};
}

TEST(KtoLoss, EveryLossTypeEqualsTrl) {
  std::set<std::string> seen;
  int clamped = 0, empty = 0;
  for (const auto& c : goldens()["kto_loss"]) {
    const auto type = rlhf::parse_kto_loss_type(c["loss_type"]);
    seen.insert(c["loss_type"]);
    const auto dt = dtype_of(c);
    const auto o = kto_options(c);
    const std::string what = c["loss_type"].get<std::string>() + " beta " + std::to_string(o.beta) +
                             " " + c["dtype"].get<std::string>() + " " +
                             std::to_string(c["chosen"].size()) + "/" +
                             std::to_string(c["rejected"].size());
    auto r = rlhf::kto_loss(type, kto_logps(c, dt), o);
    EXPECT_EQ(r.losses.scalar_type(), dt) << what;
    expect_close(r.losses, c["losses"], rtol_of(dt), what + " losses");
    expect_close(r.chosen_rewards, c["chosen_rewards"], rtol_of(dt), what + " chosen_rewards");
    expect_close(r.rejected_rewards, c["rejected_rewards"], rtol_of(dt),
                 what + " rejected_rewards");
    expect_close(r.kl.item<double>(), c["kl"].get<double>(), rtol_of(dt), what + " kl");
    EXPECT_FALSE(r.kl.requires_grad());
    clamped += c["kl"].get<double>() == 0.0 && !c["kl_logps"].is_null();
    empty += c["chosen"].empty() || c["rejected"].empty();
  }
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_GT(clamped, 0);  // the clamp at 0 is exercised
  EXPECT_GT(empty, 0);    // and batches of one label only
}

TEST(KtoLoss, StepLossAndMetricsEqualTrl) {
  for (const auto& c : goldens()["kto_batch"]) {
    const auto type = rlhf::parse_kto_loss_type(c["loss_type"]);
    const std::string what = c["loss_type"].get<std::string>() + " " + c["labels"].dump();
    auto r = rlhf::kto_step_loss(type, kto_options(c), kto_logps(c, torch::kFloat32),
                                 vec(c["chosen_logits"]), vec(c["rejected_logits"]));
    expect_close(r.loss.item<double>(), c["loss"].get<double>(), 1e-6, what + " loss");
    expect_metrics(r.metrics, c["metrics"], 1e-6, what);
  }
}

TEST(KtoLoss, GradientsFlowToThePolicyOnly) {
  auto chosen = torch::tensor({-10.0, -20.0}).requires_grad_(true);
  auto rejected = torch::tensor({-12.0}).requires_grad_(true);
  auto kl = torch::tensor({-30.0, -31.0, -29.0}).requires_grad_(true);
  rlhf::KtoLogps p{chosen,
                   rejected,
                   torch::tensor({-11.0, -19.0}),
                   torch::tensor({-12.5}),
                   kl,
                   torch::tensor({-31.0, -31.5, -30.5})};
  auto r = rlhf::kto_loss(rlhf::KtoLossType::kKto, p, {});
  r.losses.sum().backward();
  // kl = mean(1, 0.5, 1.5) = 1, a constant; d/dc (1 - sigmoid(beta (c - rc - kl)))
  auto z = 0.1 * ((chosen - torch::tensor({-11.0, -19.0})).detach() - 1.0);
  EXPECT_TRUE(torch::allclose(chosen.grad(), -0.1 * torch::sigmoid(z) * torch::sigmoid(-z)));
  EXPECT_FALSE(kl.grad().defined());
  EXPECT_TRUE(rejected.grad().defined());
  EXPECT_FALSE(r.chosen_rewards.requires_grad());
}

TEST(RmLoss, LossAndMetricsEqualMsSwiftAndTrl) {
  int with_margin = 0, centred = 0;
  for (const auto& c : goldens()["rm"]) {
    const auto dt = dtype_of(c);
    rlhf::RmOptions o;
    if (!c["center_rewards_coefficient"].is_null())
      o.center_rewards_coefficient = c["center_rewards_coefficient"].get<double>();
    const std::string what = "coef " + c["center_rewards_coefficient"].dump() + " margin " +
                             std::to_string(!c["margin"].is_null()) + " " +
                             c["dtype"].get<std::string>();
    auto chosen = vec(c["chosen"], dt).requires_grad_(true);
    auto r = rlhf::rm_loss(chosen, vec(c["rejected"], dt), vec(c["margin"], dt), o);
    EXPECT_EQ(r.loss.scalar_type(), dt) << what;
    expect_close(r.loss.item<double>(), c["loss"].get<double>(), rtol_of(dt), what + " loss");
    // TRL's own compute_loss gives the same loss; its accuracy and margin are ours
    expect_close(r.loss.item<double>(), c["trl_loss"].get<double>(), rtol_of(dt),
                 what + " trl loss");
    expect_metrics(r.metrics, c["metrics"], 1e-6, what);
    const auto n = r.metrics.size();
    expect_close(r.metrics[n - 2].second, c["trl_accuracy"].get<double>(), 1e-6, what + " acc");
    expect_close(r.metrics[n - 1].second, c["trl_margin"].get<double>(), 1e-6, what + " margin");
    r.loss.backward();
    EXPECT_TRUE(chosen.grad().defined());
    with_margin += !c["margin"].is_null();
    centred += o.center_rewards_coefficient.has_value();
  }
  EXPECT_GT(with_margin, 0);
  EXPECT_GT(centred, 0);
}

TEST(KtoRm, NamesAndChecks) {
  EXPECT_EQ(rlhf::parse_kto_loss_type("apo_zero_unpaired"), rlhf::KtoLossType::kApoZeroUnpaired);
  EXPECT_FALSE(rlhf::kto_uses_kl(rlhf::KtoLossType::kApoZeroUnpaired));
  try {
    rlhf::parse_kto_loss_type("sigmoid");
    FAIL();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("kto, apo_zero_unpaired"), std::string::npos) << e.what();
  }
  // kto without the KL batch, and mismatched margins
  rlhf::KtoLogps p{
      torch::zeros({1}), torch::zeros({0}), torch::zeros({1}), torch::zeros({0}), {}, {}};
  EXPECT_THROW(rlhf::kto_loss(rlhf::KtoLossType::kKto, p, {}), swift::Error);
  EXPECT_NO_THROW(rlhf::kto_loss(rlhf::KtoLossType::kApoZeroUnpaired, p, {}));
  EXPECT_THROW(rlhf::rm_loss(torch::zeros({2}), torch::zeros({2}), torch::zeros({3}), {}),
               swift::Error);
}

}  // namespace

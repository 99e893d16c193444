// Preference losses against the reference stack: ms-swift 4.6's DPOTrainer (every loss_type,
// MPO, rpo_alpha, ld_alpha, its forward's log-probs and metrics) and TRL 0.29's CPO/SimPO and
// ORPO trainers, from tests/data/rlhf/dpo_losses.json (tools/reference/make_dpo_loss_goldens.py);
// and the chunked label log-probs against a plain log_softmax gather, values and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "golden_check.h"
#include "rlhf/cpo.h"
#include "rlhf/dpo.h"
#include "rlhf/logps.h"
#include "rlhf/orpo.h"

namespace {

using nlohmann::json;
namespace rlhf = swift::rlhf;
namespace rlhf_test = swift::rlhf_test;

const json& goldens() {
  static const json g = rlhf_test::load_goldens("SWIFT_RLHF_GOLDENS", "dpo_losses.json");
  return g;
}

using rlhf_test::dtype_of;
using rlhf_test::expect_close;
using rlhf_test::expect_metrics;
using rlhf_test::ivec;
using rlhf_test::rtol_of;
using rlhf_test::vec;

TEST(DpoLoss, EveryLossTypeEqualsMsSwift) {
  std::set<std::string> seen;
  for (const auto& c : goldens()["dpo_loss"]) {
    const auto type = rlhf::parse_dpo_loss_type(c["loss_type"]);
    seen.insert(c["loss_type"]);
    rlhf::DpoOptions o;
    o.beta = c["beta"];
    o.label_smoothing = c["label_smoothing"];
    o.discopop_tau = c["discopop_tau"];
    const auto dt = dtype_of(c);
    rlhf::DpoState state;
    int step = 0;
    for (const auto& s : c["steps"]) {
      const std::string what = c["loss_type"].get<std::string>() + " beta " +
                               std::to_string(o.beta) + " " + c["dtype"].get<std::string>() +
                               " step " + std::to_string(step++);
      rlhf::PairLogps p{vec(s["chosen"], dt), vec(s["rejected"], dt), vec(s["ref_chosen"], dt),
                        vec(s["ref_rejected"], dt)};
      auto nll = torch::tensor(s["nll_loss"].get<double>(), torch::kFloat64).to(dt);
      auto r = rlhf::dpo_loss(type, p, o, &state, nll);
      EXPECT_EQ(r.losses.scalar_type(), dt) << what;
      expect_close(r.losses, s["losses"], rtol_of(dt), what + " losses");
      expect_close(r.chosen_rewards, s["chosen_rewards"], rtol_of(dt), what + " chosen_rewards");
      expect_close(r.rejected_rewards, s["rejected_rewards"], rtol_of(dt),
                   what + " rejected_rewards");
      expect_close(state.running.mean, s["running_mean"].get<double>(), rtol_of(dt),
                   what + " running mean");
    }
  }
  EXPECT_EQ(seen.size(), 14u);  // every loss_type ms-swift 4.6 accepts
}

TEST(DpoLoss, StepLossAndMetricsEqualMsSwift) {
  for (const auto& c : goldens()["dpo_batch"]) {
    rlhf::DpoConfig cfg;
    cfg.loss_types.clear();
    std::string what;
    for (const auto& t : c["loss_type"]) {
      cfg.loss_types.push_back(rlhf::parse_dpo_loss_type(t));
      what += t.get<std::string>() + "+";
    }
    if (!c["loss_weights"].is_null())
      cfg.loss_weights = c["loss_weights"].get<std::vector<double>>();
    if (!c["rpo_alpha"].is_null()) cfg.rpo_alpha = c["rpo_alpha"].get<double>();
    cfg.options.beta = c["beta"];
    cfg.options.label_smoothing = c["label_smoothing"];
    rlhf::DpoState state;
    for (const auto& s : c["steps"]) {
      rlhf::DpoPolicyOutput out;
      out.chosen_logps = vec(s["chosen_logps"]);
      out.rejected_logps = vec(s["rejected_logps"]);
      out.chosen_tokens = ivec(s["chosen_tokens"]);
      out.rejected_tokens = ivec(s["rejected_tokens"]);
      out.nll_loss = torch::tensor(s["nll_loss"].get<double>(), torch::kFloat32);
      out.mean_chosen_logits = s["mean_chosen_logits"];
      out.mean_rejected_logits = s["mean_rejected_logits"];
      auto r = rlhf::dpo_step_loss(cfg, out, vec(s["ref_chosen"]), vec(s["ref_rejected"]), &state);
      expect_close(r.loss.item<double>(), s["loss"].get<double>(), 1e-6, what + " loss");
      expect_metrics(r.metrics, s["metrics"], 1e-6, what);
    }
  }
}

// The padded [B, S, V] batch of a forward golden, and the same sequences packed without padding.
struct ForwardBatch {
  at::Tensor logits, labels, attention;
};

ForwardBatch forward_batch(const json& c) {
  auto shape = c["shape"].get<std::vector<std::int64_t>>();
  ForwardBatch b;
  b.logits = vec(c["logits"]).reshape(shape);
  b.labels = ivec(c["labels"]).reshape({shape[0], shape[1]});
  if (c.contains("attention_mask"))
    b.attention = ivec(c["attention_mask"]).reshape({shape[0], shape[1]});
  return b;
}

void expect_dpo_forward(const rlhf::SequenceLogps& s, const json& c, const std::string& what) {
  const std::int64_t P = static_cast<std::int64_t>(s.cu_seqlens.size() - 1) / 2;
  auto logps = c["ld_alpha"].is_null() ? s.logps : rlhf::ld_weighted_logps(s, c["ld_alpha"]);
  expect_close(logps.narrow(0, 0, P), c["chosen_logps"], 1e-6, what + " chosen_logps");
  expect_close(logps.narrow(0, P, P), c["rejected_logps"], 1e-6, what + " rejected_logps");
  EXPECT_TRUE(torch::equal(s.tokens.narrow(0, 0, P), ivec(c["chosen_tokens"]))) << what;
  EXPECT_TRUE(torch::equal(s.tokens.narrow(0, P, P), ivec(c["rejected_tokens"]))) << what;
  expect_close(rlhf::chosen_nll(s).item<double>(), c["nll_loss"].get<double>(), 1e-6,
               what + " nll_loss");
  expect_close(rlhf::mean_label_logits(s, true), c["mean_chosen_logits"].get<double>(), 1e-6,
               what + " logits/chosen");
  expect_close(rlhf::mean_label_logits(s, false), c["mean_rejected_logits"].get<double>(), 1e-6,
               what + " logits/rejected");
}

TEST(SequenceLogps, PaddedAndPackedEqualMsSwiftForward) {
  for (const auto& c : goldens()["dpo_forward"]) {
    const std::string what = "ld_alpha " + c["ld_alpha"].dump();
    auto b = forward_batch(c);
    expect_dpo_forward(rlhf::sequence_logps_padded(b.logits, b.labels, /*chunk_rows=*/4), c,
                       what + " padded");
    // packed: each row's attended tokens only, one after the other
    std::vector<at::Tensor> rows, labels;
    std::vector<std::int64_t> cu{0};
    for (std::int64_t r = 0; r < b.logits.size(0); ++r) {
      const std::int64_t n = b.attention[r].sum().item<std::int64_t>();
      rows.push_back(b.logits[r].narrow(0, 0, n));
      labels.push_back(b.labels[r].narrow(0, 0, n));
      cu.push_back(cu.back() + n);
    }
    expect_dpo_forward(rlhf::sequence_logps(torch::cat(rows), torch::cat(labels), cu, 5), c,
                       what + " packed");
  }
}

TEST(SequenceLogps, ChunkedEqualsPlainLogSoftmaxWithGradients) {
  torch::manual_seed(3);
  const std::int64_t T = 37, V = 53;
  auto base = 4 * torch::randn({T, V});
  auto labels = torch::randint(0, V, {T}, torch::kInt64);
  labels.index_put_({torch::randperm(T).narrow(0, 0, 9)}, -100);
  std::vector<std::int64_t> cu{0, 10, 11, 25, 37};
  auto weights = torch::randn({4});

  // the oracle: full log_softmax, gather, shifted within each sequence
  auto ref_logits = base.clone().requires_grad_(true);
  auto target = torch::full({T}, -100, torch::kInt64);
  for (std::size_t s = 0; s + 1 < cu.size(); ++s)
    for (std::int64_t t = cu[s]; t + 1 < cu[s + 1]; ++t) target[t] = labels[t + 1];
  auto counted = target.ne(-100);
  auto lp = ref_logits.log_softmax(-1).gather(1, target.clamp_min(0).unsqueeze(1)).squeeze(1);
  lp = lp * counted.to(torch::kFloat32);
  std::vector<at::Tensor> sums;
  for (std::size_t s = 0; s + 1 < cu.size(); ++s)
    sums.push_back(lp.narrow(0, cu[s], cu[s + 1] - cu[s]).sum());
  auto want = torch::stack(sums);
  (want * weights).sum().backward();

  for (std::int64_t chunk : {1, 3, 8, 1000}) {
    auto logits = base.clone().requires_grad_(true);
    auto s = rlhf::sequence_logps(logits, labels, cu, chunk);
    EXPECT_TRUE(torch::allclose(s.logps, want, 1e-6, 1e-5)) << "chunk " << chunk;
    EXPECT_TRUE(torch::equal(s.counted, counted));
    EXPECT_TRUE(torch::allclose(s.logit_means, base.mean(-1)));
    (s.logps * weights).sum().backward();
    const double err = (logits.grad() - ref_logits.grad()).abs().max().item<double>();
    EXPECT_LT(err, 1e-6) << "chunk " << chunk << ": gradient max error " << err;
  }
}

TEST(Cpo, LossEqualsTrl) {
  for (const auto& c : goldens()["cpo_loss"]) {
    const auto dt = dtype_of(c);
    rlhf::CpoOptions o;
    o.beta = c["beta"];
    o.label_smoothing = c["label_smoothing"];
    o.simpo_gamma = c["simpo_gamma"];
    const std::string what =
        c["loss_type"].get<std::string>() + " " + c["dtype"].get<std::string>();
    auto r = rlhf::cpo_loss(rlhf::parse_cpo_loss_type(c["loss_type"]), vec(c["chosen"], dt),
                            vec(c["rejected"], dt), o);
    expect_close(r.losses, c["losses"], rtol_of(dt), what + " losses");
    expect_close(r.chosen_rewards, c["chosen_rewards"], rtol_of(dt), what + " chosen_rewards");
    expect_close(r.rejected_rewards, c["rejected_rewards"], rtol_of(dt),
                 what + " rejected_rewards");
  }
}

TEST(Cpo, StepLossAndMetricsEqualTrl) {
  for (const auto& c : goldens()["cpo_batch"]) {
    rlhf::CpoOptions o;
    o.beta = c["beta"];
    o.cpo_alpha = c["cpo_alpha"];
    o.simpo_gamma = c["simpo_gamma"];
    auto b = forward_batch(c);
    auto s = rlhf::sequence_logps_padded(b.logits, b.labels, 7);
    auto r = rlhf::cpo_step_loss(rlhf::parse_cpo_loss_type(c["loss_type"]), o, s);
    const std::string what =
        c["loss_type"].get<std::string>() + " cpo_alpha " + c["cpo_alpha"].dump();
    expect_close(r.loss.item<double>(), c["loss"].get<double>(), 1e-6, what + " loss");
    expect_metrics(r.metrics, c["metrics"], 1e-6, what);
  }
}

TEST(Orpo, StepLossAndMetricsEqualTrl) {
  for (const auto& c : goldens()["orpo_batch"]) {
    auto b = forward_batch(c);
    auto s = rlhf::sequence_logps_padded(b.logits, b.labels, 6);
    auto r = rlhf::orpo_step_loss(c["beta"], s);
    const std::string what = "orpo beta " + c["beta"].dump();
    expect_close(r.loss.item<double>(), c["loss"].get<double>(), 1e-6, what + " loss");
    expect_metrics(r.metrics, c["metrics"], 1e-6, what);
  }
}

TEST(PreferenceLoss, GradientsFlowToThePolicyOnly) {
  auto chosen = torch::tensor({-10.0, -20.0}).requires_grad_(true);
  auto rejected = torch::tensor({-12.0, -15.0}).requires_grad_(true);
  rlhf::PairLogps p{chosen, rejected, torch::tensor({-11.0, -19.0}), torch::tensor({-12.5, -16.0})};
  auto r = rlhf::dpo_loss(rlhf::DpoLossType::kSigmoid, p, {});
  r.losses.sum().backward();
  // d/dc -logsigmoid(beta * z) = -beta * sigmoid(-beta * z)
  auto z = (chosen - rejected).detach() - torch::tensor({1.5, -3.0});
  EXPECT_TRUE(torch::allclose(chosen.grad(), -0.1 * torch::sigmoid(-0.1 * z)));
  EXPECT_TRUE(torch::allclose(rejected.grad(), 0.1 * torch::sigmoid(-0.1 * z)));
  EXPECT_FALSE(r.chosen_rewards.requires_grad());
}

TEST(PreferenceLoss, NamesAndDefaults) {
  EXPECT_EQ(rlhf::parse_dpo_loss_type("aot_unpaired"), rlhf::DpoLossType::kAotUnpaired);
  EXPECT_STREQ(rlhf::dpo_loss_type_name(rlhf::DpoLossType::kBcoPair), "bco_pair");
  try {
    rlhf::parse_dpo_loss_type("aot_pair");
    FAIL();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("aot_unpaired"), std::string::npos) << e.what();
  }
  try {
    rlhf::parse_dpo_loss_type("sigmod");
    FAIL();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("sigmoid, hinge"), std::string::npos) << e.what();
  }
  EXPECT_THROW(rlhf::parse_cpo_loss_type("kto"), swift::Error);
  EXPECT_DOUBLE_EQ(rlhf::default_beta("simpo"), 2.0);
  EXPECT_DOUBLE_EQ(rlhf::default_beta("dpo"), 0.1);
  EXPECT_DOUBLE_EQ(rlhf::default_beta("orpo"), 0.1);
  EXPECT_DOUBLE_EQ(rlhf::default_beta("grpo"), 0.04);
  EXPECT_DOUBLE_EQ(rlhf::default_beta("gkd"), 0.5);
  rlhf::DpoConfig cfg;
  cfg.loss_types = {rlhf::DpoLossType::kSigmoid, rlhf::DpoLossType::kIpo};
  cfg.loss_weights = {1.0};
  rlhf::DpoPolicyOutput out;
  EXPECT_THROW(rlhf::dpo_step_loss(cfg, out, {}, {}, nullptr), swift::Error);
}

}  // namespace

// The preference objectives (objectives.h): batching of rows, the policy and reference
// forwards, and the per-algorithm step from the loss library (dpo.h, cpo.h, orpo.h, kto.h).
#include "rlhf/objectives.h"

#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "model/causal_lm.h"
#include "rlhf/logps.h"
#include "rlhf/orpo.h"
#include "train/micro_batch.h"

namespace swift::rlhf {

namespace {

using train::MetricList;

MetricList to_list(const Metrics& m, const char* prefix = "") {
  MetricList out;
  for (const auto& [k, v] : m) out.emplace_back(prefix + k, v);
  return out;
}

// Rows `units` of `data` (two samples each) as one packed batch: every row's first sample,
// then every row's second (TRL's concatenated batch).
train::MicroBatch pair_batch(const std::vector<train::Sample>& data,
                             const std::vector<std::size_t>& units,
                             int half = -1) {
  std::vector<const train::Sample*> s;
  for (int h = 0; h < 2; ++h) {
    if (half >= 0 && h != half) continue;
    for (std::size_t u : units) {
      SWIFT_CHECK(2 * u + 1 < data.size(), "[rlhf] row {} is past the {} encoded rows", u,
                  data.size() / 2);
      s.push_back(&data[2 * u + static_cast<std::size_t>(h)]);
    }
  }
  return train::to_micro_batch(s);
}

class PreferenceObjective final : public train::Objective {
 public:
  PreferenceObjective(PreferenceConfig config,
                      std::shared_ptr<const model::CausalLM> policy,
                      Reference reference,
                      const std::vector<train::Sample>& train,
                      const std::vector<train::Sample>& val)
      : c_(std::move(config)),
        policy_(std::move(policy)),
        ref_(std::move(reference)),
        train_(train),
        val_(val) {
    SWIFT_CHECK(train_.size() % 2 == 0 && val_.size() % 2 == 0,
                "[rlhf] preference data must hold two encoded samples per row");
  }

  std::size_t train_units() const override { return train_.size() / 2; }
  bool has_val() const override { return !val_.empty(); }
  std::size_t val_units() const override { return val_.size() / 2; }

  train::WindowResult train_window(const std::vector<std::vector<std::size_t>>& micro_batches,
                                   const model::ForwardContext& ctx) override {
    train::WindowResult w;
    const double n = static_cast<double>(micro_batches.size());
    for (const auto& units : micro_batches) {
      StepLoss s = step(train_, units, ctx);
      auto loss = s.loss / n;
      SWIFT_CHECK(std::isfinite(loss.item<double>()),
                  "[rlhf] the loss is {} on rows {}; check the data (an answer without label "
                  "tokens?) or lower --learning_rate",
                  loss.item<double>(), fmt::join(units, ","));
      loss.backward();
      w.loss += loss.item<double>();
      w.stored.push_back(to_list(s.metrics));
    }
    return w;
  }

  MetricList evaluate(std::int64_t eval_batch_size, const model::ForwardContext& ctx) override {
    torch::NoGradGuard ng;
    double loss_sum = 0;
    std::vector<MetricList> stored;
    const std::size_t rows = val_units(), bs = static_cast<std::size_t>(eval_batch_size);
    for (std::size_t b = 0; b < rows; b += bs) {
      std::vector<std::size_t> units;
      for (std::size_t i = b; i < std::min(rows, b + bs); ++i) units.push_back(i);
      StepLoss s = step(val_, units, ctx);
      loss_sum += s.loss.item<double>() * static_cast<double>(units.size());
      stored.push_back(to_list(s.metrics, "eval_"));
    }
    MetricList out{{"eval_loss", loss_sum / static_cast<double>(rows)}};
    for (auto& kv : reduce_stored(stored)) out.push_back(kv);
    return out;
  }

  MetricList reduce_stored(const std::vector<MetricList>& stored) const override {
    if (c_.rlhf_type != "kto") return Objective::reduce_stored(stored);
    // TRL KTOTrainer.log: interval sums over interval counts, then the margin, then the means
    // of what is left (kl). Its sums are float32 tensors.
    std::string prefix;
    if (!stored.empty() && !stored[0].empty() && stored[0][0].first.rfind("eval_", 0) == 0)
      prefix = "eval_";
    auto total = [&](const std::string& key, bool* seen) {
      float sum = 0;
      *seen = false;
      for (const auto& m : stored)
        for (const auto& [k, v] : m)
          if (k == prefix + key) {
            sum += static_cast<float>(v);
            *seen = true;
          }
      return static_cast<double>(sum);
    };
    MetricList out;
    std::optional<double> chosen, rejected;
    for (const char* split : {"chosen", "rejected"}) {
      bool seen = false;
      const double count = total(std::string("count/") + split, &seen);
      if (!seen) continue;
      for (const char* metric : {"rewards", "logps", "logits"}) {
        bool s2 = false;
        const double v = total(std::string(metric) + "/" + split + "_sum", &s2) / count;
        out.emplace_back(prefix + metric + "/" + split, v);
        if (std::string(metric) == "rewards") (split[0] == 'c' ? chosen : rejected) = v;
      }
    }
    if (chosen && rejected) out.emplace_back(prefix + "rewards/margins", *chosen - *rejected);
    std::vector<MetricList> rest(stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i)
      for (const auto& [k, v] : stored[i])
        if (k.find("_sum") == std::string::npos && k.find("count/") == std::string::npos)
          rest[i].emplace_back(k, v);
    for (auto& kv : Objective::reduce_stored(rest)) out.push_back(kv);
    return out;
  }

  nlohmann::json state() const override {
    if (c_.rlhf_type != "dpo") return nullptr;
    const auto& r = dpo_state_.running;
    return {{"bco_running_moments",
             {{"mean", r.mean}, {"var", r.var}, {"std", r.std}, {"count", r.count}}},
            {"exo_smoothing_set", dpo_state_.exo_smoothing_set}};
  }
  void restore(const nlohmann::json& st) override {
    if (c_.rlhf_type != "dpo" || !st.is_object()) return;
    const auto& r = st.at("bco_running_moments");
    dpo_state_.running.mean = r.at("mean").get<double>();
    dpo_state_.running.var = r.at("var").get<double>();
    dpo_state_.running.std = r.at("std").get<double>();
    dpo_state_.running.count = r.at("count").get<double>();
    dpo_state_.exo_smoothing_set = st.at("exo_smoothing_set").get<bool>();
  }

 private:
  SequenceLogps forward(const model::CausalLM& m,
                        const train::MicroBatch& mb,
                        const model::ForwardContext& ctx) const {
    auto logits = m.forward(mb.batch, ctx);
    return sequence_logps(logits, mb.labels, mb.batch.cu_seqlens, c_.logps_chunk_rows);
  }

  // The reference's summed log-probs of a batch, without autograd.
  at::Tensor reference_logps(const train::MicroBatch& mb) const {
    torch::NoGradGuard ng;
    model::ForwardContext rc;
    rc.adapters = ref_.adapters;
    const model::CausalLM& m = ref_.model ? *ref_.model : *policy_;
    return forward(m, mb, rc).logps;
  }

  // TRL's preference configs default to disable_dropout: the policy's training forwards run
  // without dropout (adapter dropout included).
  StepLoss step(const std::vector<train::Sample>& data,
                const std::vector<std::size_t>& units,
                const model::ForwardContext& train_ctx) {
    model::ForwardContext ctx = train_ctx;
    ctx.training = false;
    if (c_.rlhf_type == "kto") return kto_step(data, units, ctx);
    auto mb = pair_batch(data, units);
    SequenceLogps s = forward(*policy_, mb, ctx);
    if (c_.rlhf_type == "cpo" || c_.rlhf_type == "simpo")
      return cpo_step_loss(c_.cpo_loss, c_.cpo, s);
    if (c_.rlhf_type == "orpo") return orpo_step_loss(c_.orpo_beta, s);
    SWIFT_CHECK(c_.rlhf_type == "dpo", "[rlhf] --rlhf_type {} has no preference objective",
                c_.rlhf_type);
    const std::int64_t P = static_cast<std::int64_t>(units.size());
    DpoPolicyOutput out;
    auto logps = c_.ld_alpha ? ld_weighted_logps(s, *c_.ld_alpha) : s.logps;
    out.chosen_logps = logps.narrow(0, 0, P);
    out.rejected_logps = logps.narrow(0, P, P);
    out.chosen_tokens = s.tokens.narrow(0, 0, P);
    out.rejected_tokens = s.tokens.narrow(0, P, P);
    out.nll_loss = chosen_nll(s);
    out.mean_chosen_logits = mean_label_logits(s, true);
    out.mean_rejected_logits = mean_label_logits(s, false);
    auto ref = reference_logps(mb);
    return dpo_step_loss(c_.dpo, out, ref.narrow(0, 0, P), ref.narrow(0, P, P), &dpo_state_);
  }

  // KTO: the completions (with autograd), the KL completions (policy, no autograd; skipped
  // for apo_zero_unpaired), and both through the reference.
  StepLoss kto_step(const std::vector<train::Sample>& data,
                    const std::vector<std::size_t>& units,
                    const model::ForwardContext& ctx) {
    const bool kl = kto_uses_kl(c_.kto_loss);
    auto comp = pair_batch(data, units, 0);
    std::vector<std::int64_t> chosen_idx, rejected_idx;
    for (std::size_t i = 0; i < units.size(); ++i)
      (data[2 * units[i]].label == 1 ? chosen_idx : rejected_idx)
          .push_back(static_cast<std::int64_t>(i));
    KtoLogps p;
    at::Tensor kl_policy, kl_ref;
    if (kl) {
      auto klb = pair_batch(data, units, 1);
      torch::NoGradGuard ng;
      model::ForwardContext kc = ctx;
      kc.checkpoint_layers = false;
      p.kl = forward(*policy_, klb, kc).logps;
      p.ref_kl = reference_logps(klb);
    }
    SequenceLogps s = forward(*policy_, comp, ctx);
    auto ref = reference_logps(comp);
    // ms-swift's get_batch_logps(reduction='sum'): each sequence's logits summed over its
    // label positions and the vocabulary.
    const double vocab = static_cast<double>(policy_->config().vocab_size);
    auto row_sums = (s.logit_means * s.counted.to(s.logit_means.options()) * vocab);
    auto logits = train_segment_sum(row_sums, s.cu_seqlens);
    auto pick = [](const at::Tensor& t, const std::vector<std::int64_t>& idx) {
      return t.index_select(0, torch::tensor(idx, torch::kInt64).to(t.device()));
    };
    p.chosen = pick(s.logps, chosen_idx);
    p.rejected = pick(s.logps, rejected_idx);
    p.ref_chosen = pick(ref, chosen_idx);
    p.ref_rejected = pick(ref, rejected_idx);
    return kto_step_loss(c_.kto_loss, c_.kto, p, pick(logits, chosen_idx),
                         pick(logits, rejected_idx));
  }

  static at::Tensor train_segment_sum(const at::Tensor& v, const std::vector<std::int64_t>& cu) {
    torch::NoGradGuard ng;
    return segment_sum(v.detach(), cu);
  }

  PreferenceConfig c_;
  std::shared_ptr<const model::CausalLM> policy_;
  Reference ref_;
  const std::vector<train::Sample>& train_;
  const std::vector<train::Sample>& val_;
  DpoState dpo_state_;
};

}  // namespace

bool uses_reference(const std::string& rlhf_type) {
  return rlhf_type == "dpo" || rlhf_type == "kto";
}

PreferenceConfig preference_config(const PreferenceArgs& a) {
  PreferenceConfig c;
  c.rlhf_type = a.rlhf_type;
  const auto& lt = a.loss_type;
  SWIFT_CHECK(a.loss_weights.empty() || a.rlhf_type == "dpo",
              "[args] --loss_weights applies to --rlhf_type dpo only");
  SWIFT_CHECK(lt.size() <= 1 || a.rlhf_type == "dpo",
              "[args] Multiple loss types ({}) are only supported for DPO. Current rlhf_type: {}",
              fmt::join(lt, ", "), a.rlhf_type);
  if (a.rlhf_type == "dpo") {
    c.dpo.loss_types.clear();
    for (const auto& t : lt.empty() ? std::vector<std::string>{"sigmoid"} : lt)
      c.dpo.loss_types.push_back(parse_dpo_loss_type(t));
    SWIFT_CHECK(a.loss_weights.empty() || a.loss_weights.size() == c.dpo.loss_types.size(),
                "[args] Length of loss_weights list ({}) must match number of loss types ({})",
                a.loss_weights.size(), c.dpo.loss_types.size());
    c.dpo.loss_weights = a.loss_weights;
    c.dpo.options.beta = a.beta;
    c.dpo.options.label_smoothing = a.label_smoothing;
    c.dpo.options.discopop_tau = a.discopop_tau;
    c.dpo.rpo_alpha = a.rpo_alpha;
    c.ld_alpha = a.ld_alpha;
  } else if (a.rlhf_type == "cpo" || a.rlhf_type == "simpo") {
    // ms-swift: rlhf_type simpo is CPO with loss_type simpo.
    const std::string name = a.rlhf_type == "simpo" ? "simpo" : (lt.empty() ? "sigmoid" : lt[0]);
    c.cpo_loss = parse_cpo_loss_type(name);
    c.cpo.beta = a.beta;
    c.cpo.label_smoothing = a.label_smoothing;
    c.cpo.simpo_gamma = a.simpo_gamma;
    c.cpo.cpo_alpha = a.cpo_alpha;
  } else if (a.rlhf_type == "orpo") {
    SWIFT_CHECK(lt.empty(), "[args] --loss_type does not apply to --rlhf_type orpo");
    c.orpo_beta = a.beta;
  } else if (a.rlhf_type == "kto") {
    c.kto_loss = parse_kto_loss_type(lt.empty() ? "kto" : lt[0]);
    c.kto.beta = a.beta;
    c.kto.desirable_weight = a.desirable_weight;
    c.kto.undesirable_weight = a.undesirable_weight;
  } else {
    SWIFT_FAIL("[rlhf] --rlhf_type {} is not a preference algorithm (dpo, cpo, simpo, orpo, kto)",
               a.rlhf_type);
  }
  return c;
}

std::unique_ptr<train::Objective> make_preference_objective(
    const PreferenceConfig& config,
    std::shared_ptr<const model::CausalLM> policy,
    Reference reference,
    const std::vector<train::Sample>& train,
    const std::vector<train::Sample>& val) {
  return std::make_unique<PreferenceObjective>(config, std::move(policy), std::move(reference),
                                               train, val);
}

}  // namespace swift::rlhf

// `swift rlhf`: ms-swift's SwiftRLHF pipeline for the preference algorithms — the model and
// tuner as sft builds them (train_setup.h), the reference (LoRA: the policy with its adapter
// off, or --ref_adapters; full: a frozen --ref_model, default --model), preference rows
// encoded as chosen/rejected pairs or KTO rows with their KL completions (rlhf/pair_encode.h),
// and the Trainer's loop over the algorithm's objective (rlhf/objectives.h), writing the same
// run folder as sft. rm, ppo, grpo and gkd are dispatched or refused here.
#include <cstdio>
#include <exception>
#include <string>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "dataset/hub_source.h"
#include "model/model.h"
#include "rlhf/objectives.h"
#include "rlhf/pair_encode.h"
#include "template/swift_template.h"
#include "template/template_meta.h"
#include "tokenizer/tokenizer.h"
#include "train/data.h"
#include "train/trainer.h"
#include "train_setup.h"
#include "tuners/lora.h"

namespace swift::cli {
namespace {

using OJson = nlohmann::ordered_json;

// ms-swift's RLHFArguments checks for the preference algorithms, and what is not built here.
void check_preference_args(const args::Arguments& a, const std::string& algo, bool lora) {
  const auto& r = a.rlhf;
  SWIFT_CHECK(!r.ref_model || (rlhf::uses_reference(algo) && !lora),
              "[args] CPO/ORPO or LoRA training does not require a ref_model to be passed in "
              "(--ref_model {}); drop it (LoRA uses the base model with the adapter switched "
              "off as the reference)",
              *r.ref_model);
  SWIFT_CHECK(r.ref_adapters.empty() || ((algo == "dpo" || algo == "kto") && lora),
              "[args] Currently, only DPO, KTO, and GRPO support `ref_adapters` (with LoRA)");
  SWIFT_CHECK(r.ref_adapters.size() <= 1, "[args] pass one --ref_adapters, got {}",
              r.ref_adapters.size());
  SWIFT_CHECK(!r.precompute_ref_log_probs,
              "[args] precompute_ref_log_probs=True is not supported by Swift DPOTrainer. Set "
              "precompute_ref_log_probs=False to compute reference log probabilities during "
              "training.");
  SWIFT_CHECK(!a.base.packing && !a.tmpl.padding_free,
              "[args] --packing / --padding_free are not built yet for swift rlhf; preference "
              "batches are already packed without padding, drop the flag");
  SWIFT_CHECK(a.tmpl.truncation_strategy.value_or("delete") != "split",
              "[args] --truncation_strategy split is for pre-training; use delete, left or right");
}

rlhf::PreferenceArgs preference_args(const args::Arguments& a, const std::string& algo) {
  const auto& r = a.rlhf;
  rlhf::PreferenceArgs p;
  p.rlhf_type = algo;
  p.loss_type = r.loss_type;
  for (const auto& w : r.loss_weights) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(w, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    SWIFT_CHECK(used == w.size() && !w.empty(), "[args] --loss_weights: '{}' is not a number", w);
    p.loss_weights.push_back(v);
  }
  p.beta = r.beta.value_or(rlhf::default_beta(algo));
  p.label_smoothing = r.label_smoothing;
  p.rpo_alpha = r.rpo_alpha;
  p.ld_alpha = r.ld_alpha;
  p.discopop_tau = r.discopop_tau;
  p.cpo_alpha = r.cpo_alpha;
  p.simpo_gamma = r.simpo_gamma;
  p.desirable_weight = r.desirable_weight;
  p.undesirable_weight = r.undesirable_weight;
  return p;
}

int run_preference(const args::ParsedArgs& parsed, const std::string& algo) {
  const args::Arguments& a = parsed.values;
  const bool lora = a.base.tuner_type == "lora";
  check_preference_args(a, algo, lora);
  const rlhf::PreferenceConfig config = rlhf::preference_config(preference_args(a, algo));
  TrainSetup s = load_train_setup(parsed, "rlhf");

  // The reference.
  rlhf::Reference ref;
  std::shared_ptr<tuners::LoraAdapter> ref_adapter;
  if (rlhf::uses_reference(algo)) {
    if (lora) {
      if (!a.rlhf.ref_adapters.empty()) {
        ref_adapter = tuners::LoraAdapter::load(a.rlhf.ref_adapters[0], *s.lm);
        ref_adapter->set_requires_grad(false);
        ref.adapters = ref_adapter.get();
        SWIFT_INFO("reference: {} with the adapter {}", s.model_dir, a.rlhf.ref_adapters[0]);
      } else {
        SWIFT_INFO("reference: {} with the trained adapter switched off", s.model_dir);
      }
    } else {
      const std::string ref_id = a.rlhf.ref_model.value_or(*a.model.model);
      hub::HubOptions ho = hub::hub_options_from_env(a.base.use_hf, a.rlhf.ref_model_revision);
      if (a.base.hub_token) ho.token = *a.base.hub_token;
      const std::string ref_dir = hub::resolve_model_dir(ref_id, ho);
      model::LoadOptions lo;
      lo.dtype = "float32";
      auto m = model::load_causal_lm(ref_dir, lo);
      m->set_requires_grad(false);
      ref.model = std::move(m);
      SWIFT_INFO("reference: a frozen copy of {}", ref_dir);
    }
  }

  // Data: pairs or KTO rows through the template.
  train::DataOptions dopt = train::data_options_from_args(parsed, false);
  if (dopt.max_length <= 0 && s.lm->config().max_position_embeddings > 0)
    dopt.max_length = s.lm->config().max_position_embeddings;
  const tmpl::TemplateMeta& chat_meta = tmpl::get_template_meta(s.template_name);
  tmpl::SwiftTemplate tmpl(
      dopt.use_chat_template ? chat_meta : train::generation_template_meta(chat_meta), s.tok,
      s.tok->config());
  dopt.load = dataset::load_options_with_hub(dopt.load, a.base.use_hf, a.data.model_name,
                                             a.data.model_author);
  const bool kto = algo == "kto";
  dopt.row_encoder =
      rlhf::preference_row_encoder(kto ? rlhf::PreferenceKind::kKto : rlhf::PreferenceKind::kPair);
  if (kto && rlhf::kto_uses_kl(config.kto_loss)) {
    const std::int64_t total_batch =
        a.training.per_device_train_batch_size * a.training.gradient_accumulation_steps.value_or(1);
    const std::uint64_t seed = static_cast<std::uint64_t>(a.data.data_seed);
    dopt.rows_hook = [total_batch, seed](std::vector<OJson>& train, std::vector<OJson>& val) {
      rlhf::add_kto_kl_responses(train, total_batch, seed);
      if (!val.empty()) rlhf::add_kto_kl_responses(val, total_batch, seed);
    };
  }
  train::PreparedData data = train::prepare_data(dopt, tmpl, s.run_dir);
  if (!data.report.empty()) std::fprintf(stderr, "%s\n", data.report.c_str());

  write_run_args(s, parsed);
  train::TrainerOptions topt = trainer_options(a, lora);
  topt.output_dir = s.run_dir;
  // TRL's KTOTrainer reads its rows in order (SequentialSampler): the KL completions were
  // rotated within consecutive batches of the shuffled rows for exactly that order.
  if (kto) topt.shuffle = false;
  train::Trainer trainer(s.lm, s.adapter, topt);
  trainer.set_summary(run_summary(data, parameter_info(s, trainer)));
  trainer.set_save_model(checkpoint_saver(s, a));
  auto objective = rlhf::make_preference_objective(config, s.lm, ref, data.train, data.val);
  const std::int64_t start_step = resume_if_asked(trainer, a);

  SWIFT_INFO("output_dir: {}", s.run_dir);
  auto result = trainer.train(*objective, start_step);
  SWIFT_INFO("last_model_checkpoint: {}", result.last_checkpoint);
  SWIFT_INFO("best_model_checkpoint: {}",
             result.best_checkpoint.empty() ? "None" : result.best_checkpoint);
  return 0;
}

}  // namespace

int run_rlhf(const std::vector<std::string>& argv) {
  auto parsed = args::parse_args("rlhf", argv);
  if (parsed->help)
    return print_help(*parsed, "usage: swift rlhf --rlhf_type dpo [config.yaml] [--arg value ...]");
  if (parsed->show_args) return print_resolved_args(*parsed);
  const args::Arguments& a = parsed->values;
  const std::string algo = a.rlhf.rlhf_type;
  SWIFT_CHECK(a.model.model, "[args] swift rlhf needs --model (a folder or hub id)");
  SWIFT_CHECK(!a.data.dataset.empty(),
              "[args] swift rlhf needs --dataset (preference rows: messages + "
              "rejected_response, rejected_messages, or KTO rows with a label)");
  refuse_unbuilt_training(a, /*rlhf=*/true);
  if (algo == "dpo" || algo == "cpo" || algo == "simpo" || algo == "orpo" || algo == "kto")
    return run_preference(*parsed, algo);
  if (algo == "rm") {
    std::fprintf(stderr,
                 "swift rlhf --rlhf_type rm: not built yet in swift.cpp (the loss is in "
                 "src/rlhf/rm.h; the value head and its trainer are not). Use dpo, cpo, simpo, "
                 "orpo or kto.\n");
    return kExitNotBuilt;
  }
  std::fprintf(stderr,
               "swift rlhf --rlhf_type %s: not built yet in swift.cpp (online RL: rollouts and "
               "rewards). Built: dpo, cpo, simpo, orpo, kto.\n",
               algo.c_str());
  return kExitNotBuilt;
}

}  // namespace swift::cli

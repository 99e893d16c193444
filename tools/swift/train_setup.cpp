// The training set-up shared by sft, pt and rlhf (train_setup.h).
#include "train_setup.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "export/hf_writer.h"
#include "hub/hub.h"
#include "io/safetensors.h"
#include "model/model.h"
#include "template/template_meta.h"
#include "tokenizer/tokenizer.h"
#include "train/freeze.h"
#include "tuners/lora.h"

namespace swift::cli {
namespace {

using OJson = nlohmann::ordered_json;
namespace stdfs = std::filesystem;

train::FreezeOptions freeze_options(const args::Arguments& a) {
  train::FreezeOptions fo;
  fo.ratio = a.tuner.freeze_parameters_ratio;
  fo.freeze_prefixes = a.tuner.freeze_parameters;
  fo.freeze_regex = a.tuner.freeze_parameters_regex;
  fo.trainable_prefixes = a.tuner.trainable_parameters;
  fo.trainable_regex = a.tuner.trainable_parameters_regex;
  return fo;
}

// Training features whose arguments parse but whose code is not here yet: a clear error
// instead of a run that silently ignores them.
void refuse_unbuilt_impl(const args::Arguments& a, bool rlhf) {
  const auto& t = a.training;
  const auto& st = a.swift_train;
  SWIFT_CHECK(a.base.tuner_type == "lora" || a.base.tuner_type == "full",
              "[args] --tuner_type {} is not built yet; use lora (with --use_dora for DoRA) or "
              "full",
              a.base.tuner_type);
  SWIFT_CHECK(t.optim == "adamw_torch" || t.optim == "adamw_torch_fused" || t.optim == "adamw_hf",
              "[args] --optim {} is not built yet; swift.cpp trains with AdamW (adamw_torch)",
              t.optim);
  SWIFT_CHECK(!st.optimizer || *st.optimizer == "lorap" || *st.optimizer == "default",
              "[args] --optimizer {} is not built yet", *st.optimizer);
  SWIFT_CHECK(!st.use_galore, "[args] --use_galore is not built yet");
  SWIFT_CHECK(t.label_smoothing_factor == 0.0, "[args] --label_smoothing_factor is not built yet");
  SWIFT_CHECK(!t.neftune_noise_alpha, "[args] --neftune_noise_alpha is not built yet");
  SWIFT_CHECK(rlhf || st.loss_type.empty(),
              "[args] --loss_type is not built yet (the model loss only)");
  SWIFT_CHECK(!st.enable_dft_loss, "[args] --enable_dft_loss is not built yet");
  SWIFT_CHECK(!st.enable_channel_loss, "[args] --enable_channel_loss is not built yet");
  SWIFT_CHECK(!t.predict_with_generate, "[args] --predict_with_generate is not built yet");
  SWIFT_CHECK(t.deepspeed.is_null() && !t.fsdp,
              "[args] --deepspeed / --fsdp are not built yet; swift.cpp trains on one device");
  SWIFT_CHECK(!t.load_best_model_at_end || !t.metric_for_best_model ||
                  *t.metric_for_best_model == "loss" || *t.metric_for_best_model == "eval_loss",
              "[args] --metric_for_best_model {} is not built yet; only loss",
              *t.metric_for_best_model);
  SWIFT_CHECK(a.base.tuner_type == "full" || !freeze_options(a).any(),
              "[args] --freeze_parameters* / --trainable_parameters* apply to --tuner_type full "
              "(as in ms-swift); with LoRA choose what trains with --target_modules, "
              "--target_regex or --modules_to_save");
  SWIFT_CHECK(a.tuner.target_parameters.empty(),
              "[args] --target_parameters is not built yet for new adapters");
}

// Full fine-tuning: every parameter trains, then ms-swift's freeze / activate rules apply.
void apply_freeze(model::CausalLM& lm,
                  const train::FreezeOptions& fo,
                  const std::string& arch_type) {
  if (!fo.any()) return;
  std::vector<std::string> names;
  for (const auto& p : lm.expected_parameters())
    if (lm.parameters().at(p.name).requires_grad()) names.push_back(p.name);  // not buffers
  std::vector<std::string> ordered;
  std::vector<std::int64_t> numels;
  for (auto i : train::hf_parameter_order(names, lm.spec().router_after_experts)) {
    ordered.push_back(names[i]);
    numels.push_back(lm.parameters().at(names[i]).numel());
  }
  std::string warning;
  const auto trainable = train::trainable_after_freeze(ordered, numels, fo, &warning);
  if (!warning.empty()) SWIFT_WARN("{}", warning);
  std::size_t frozen = 0;
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    if (trainable[i]) continue;
    lm.parameters().at(ordered[i]).set_requires_grad(false);
    ++frozen;
  }
  SWIFT_INFO("{} of {} parameter tensors frozen ({})", frozen, ordered.size(), arch_type);
}

train::TrainerOptions trainer_options_impl(const args::Arguments& a, bool lora) {
  const auto& t = a.training;
  train::TrainerOptions o;
  o.max_steps = t.max_steps;
  o.num_train_epochs = t.num_train_epochs;
  if (a.swift_train.max_epochs) o.num_train_epochs = static_cast<double>(*a.swift_train.max_epochs);
  o.batch_size = t.per_device_train_batch_size;
  o.eval_batch_size = t.per_device_eval_batch_size;
  o.grad_accum = t.gradient_accumulation_steps.value_or(1);
  o.learning_rate = t.learning_rate.value_or(lora ? 1e-4 : 1e-5);
  o.lr_scheduler_type = t.lr_scheduler_type;
  if (t.lr_scheduler_kwargs.is_object()) o.lr_scheduler_kwargs = t.lr_scheduler_kwargs;
  o.warmup_ratio = t.warmup_ratio;
  o.warmup_steps = t.warmup_steps;
  o.adam.beta1 = t.adam_beta1;
  o.adam.beta2 = t.adam_beta2;
  o.adam.eps = t.adam_epsilon;
  o.adam.weight_decay = t.weight_decay;
  if (lora && a.tuner.lorap_lr_ratio) o.lorap_lr_ratio = *a.tuner.lorap_lr_ratio;
  o.max_grad_norm = t.max_grad_norm;
  o.gradient_checkpointing = t.gradient_checkpointing;
  o.shuffle = a.swift_train.train_dataloader_shuffle;
  o.seed = static_cast<std::uint64_t>(a.data.data_seed);
  o.drop_last = t.dataloader_drop_last;
  o.logging_strategy = t.logging_strategy;
  o.logging_steps = t.logging_steps;
  o.logging_first_step = t.logging_first_step;
  o.eval_strategy = t.eval_strategy.value_or("no");
  o.eval_steps = t.eval_steps.value_or(t.save_steps);
  o.save_strategy = t.save_strategy;
  o.save_steps = t.save_steps;
  o.save_total_limit = t.save_total_limit;
  o.save_only_model = t.save_only_model;
  o.output_dir = t.output_dir.value_or("output");
  o.logging_dir = t.logging_dir.value_or("");
  o.tensorboard = false;
  for (const auto& r : t.report_to)
    if (r == "tensorboard" || r == "all") o.tensorboard = true;
  o.progress_bar = !t.disable_tqdm.value_or(false);
  return o;
}

tuners::LoraOptions lora_options(const args::Arguments& a) {
  tuners::LoraOptions o;
  o.r = a.tuner.lora_rank;
  o.alpha = a.tuner.lora_alpha;
  o.target_modules = a.tuner.target_modules;
  o.use_dora = a.tuner.use_dora;
  o.use_rslora = a.tuner.use_rslora;
  o.dropout = a.tuner.lora_dropout;
  o.bias = a.tuner.lora_bias;
  if (a.tuner.target_regex) o.target_regex = *a.tuner.target_regex;
  o.modules_to_save = a.tuner.modules_to_save;
  o.init_weights = str::lower(a.tuner.init_weights);
  o.seed = static_cast<std::uint64_t>(a.base.seed);
  return o;
}

std::string dtype_of(const args::Arguments& a) {
  // CPU compute runs in float32 unless a dtype is asked for explicitly; trainable LoRA weights
  // are float32 in any case.
  return a.model.torch_dtype.value_or("float32");
}

}  // namespace

void refuse_unbuilt_training(const args::Arguments& a, bool rlhf) {
  refuse_unbuilt_impl(a, rlhf);
}

train::TrainerOptions trainer_options(const args::Arguments& a, bool lora) {
  return trainer_options_impl(a, lora);
}

TrainSetup load_train_setup(const args::ParsedArgs& parsed, const std::string& command) {
  const args::Arguments& a = parsed.values;
  TrainSetup s;
  s.lora = a.base.tuner_type == "lora";
  hub::HubOptions hub_options = hub::hub_options_from_env(a.base.use_hf, a.model.model_revision);
  if (a.base.hub_token) hub_options.token = *a.base.hub_token;
  s.model_dir = hub::resolve_model_dir(*a.model.model, hub_options);
  s.cfg = io::load_hf_config(s.model_dir);
  s.run_dir = a.training.output_dir.value_or("output");

  model::configure_cpu_threads();
  torch::manual_seed(static_cast<std::uint64_t>(a.base.seed));
  model::LoadOptions lo;
  lo.dtype = s.lora ? dtype_of(a) : "float32";
  if (!s.lora && a.model.torch_dtype && *a.model.torch_dtype != "float32")
    SWIFT_WARN(
        "full fine-tuning keeps float32 weights on CPU (--torch_dtype {} is used for the "
        "saved checkpoints only)",
        *a.model.torch_dtype);
  model::check_cpu_compute_dtype(lo.dtype);
  s.lm = model::load_causal_lm(s.model_dir, lo);

  s.tok = std::shared_ptr<const tok::Tokenizer>(tok::Tokenizer::from_dir(s.model_dir));
  s.template_name =
      a.tmpl.template_.value_or(tmpl::template_for_model(s.cfg.model_type, s.cfg.architectures));

  if (s.lora) {
    if (!a.base.adapters.empty()) {
      SWIFT_CHECK(a.base.adapters.size() == 1,
                  "[args] swift {} continues training one adapter; got {} --adapters", command,
                  a.base.adapters.size());
      s.adapter = tuners::LoraAdapter::load(a.base.adapters[0], *s.lm);
      SWIFT_INFO("continuing to train the adapter in {}", a.base.adapters[0]);
    } else {
      s.adapter = tuners::LoraAdapter::create(*s.lm, lora_options(a));
    }
  } else {
    s.lm->set_requires_grad(true);
    apply_freeze(*s.lm, freeze_options(a), s.cfg.model_type);
  }
  std::filesystem::create_directories(s.run_dir);
  s.args_json = parsed.set.to_json();
  return s;
}

void write_run_args(const TrainSetup& s, const args::ParsedArgs& parsed) {
  exporter::write_json(fs::join(s.run_dir, "args.json"), s.args_json);
  if (parsed.config_file && fs::is_file(*parsed.config_file)) {
    std::error_code ec;
    stdfs::copy_file(*parsed.config_file,
                     fs::join(s.run_dir, stdfs::path(*parsed.config_file).filename().string()),
                     stdfs::copy_options::overwrite_existing, ec);
  }
}

std::string parameter_info(const TrainSetup& s, const train::Trainer& trainer) {
  std::int64_t trainable = 0;
  for (const auto& p : trainer.trainable()) trainable += p.param.numel();
  const std::int64_t total_params = s.lm->num_parameters() + (s.adapter ? trainable : 0);
  char info[256];
  std::snprintf(info, sizeof info, "%.4fM Params (%.4fM Trainable [%.4f%%]), 0.0000M Buffers.",
                static_cast<double>(total_params) / 1e6, static_cast<double>(trainable) / 1e6,
                100.0 * static_cast<double>(trainable) / static_cast<double>(total_params));
  SWIFT_INFO("model_parameter_info: {}", info);
  return info;
}

OJson run_summary(const train::PreparedData& data, const std::string& param_info) {
  OJson summary;
  if (!data.train_length_stat.empty()) summary["train_dataset"] = data.train_length_stat;
  if (!data.val_length_stat.empty()) summary["val_dataset"] = data.val_length_stat;
  summary["model_parameter_info"] = param_info;
  return summary;
}

train::SaveModelFn checkpoint_saver(const TrainSetup& s, const args::Arguments& a) {
  auto base_names = std::make_shared<std::set<std::string>>();
  {
    io::SafetensorsModel st(s.model_dir);
    for (const auto& n : st.names()) base_names->insert(n);
  }
  const nlohmann::json config_json = io::read_json_file(fs::join(s.model_dir, "config.json"));
  const std::optional<std::string> lora_dtype = a.tuner.lora_dtype;
  const std::optional<double> lorap = a.tuner.lorap_lr_ratio;
  const std::optional<std::string> torch_dtype = a.model.torch_dtype;
  const std::string max_shard = a.swift_train.max_shard_size;
  return [=](const std::string& ckpt) {
    if (s.adapter) {
      s.adapter->save(ckpt);
      OJson extra;
      extra["lora_dtype"] = lora_dtype ? OJson(*lora_dtype) : OJson();
      extra["lorap_lr_ratio"] = lorap ? OJson(*lorap) : OJson();
      extra["lorap_emb_lr"] = 1e-6;
      exporter::write_json(fs::join(ckpt, "additional_config.json"), extra);
    } else {
      auto tensors = exporter::checkpoint_tensors(*s.lm, base_names.get());
      at::ScalarType dt = torch_dtype ? exporter::parse_torch_dtype(*torch_dtype) : torch::kFloat32;
      for (auto& [name, t] : tensors) t = t.detach().to(dt).contiguous();
      exporter::write_weights(ckpt, tensors, exporter::parse_file_size(max_shard));
      nlohmann::json c = config_json;
      c[c.contains("dtype") ? "dtype" : "torch_dtype"] = exporter::torch_dtype_name(dt);
      exporter::write_json(fs::join(ckpt, "config.json"), c);
      exporter::copy_if_exists(s.model_dir, ckpt, "generation_config.json");
      exporter::copy_tokenizer_files(s.model_dir, ckpt);
    }
    exporter::write_json(fs::join(ckpt, "args.json"), s.args_json);
  };
}

std::int64_t resume_if_asked(train::Trainer& trainer, const args::Arguments& a) {
  if (!a.training.resume_from_checkpoint) return 0;
  const std::string ck = *a.training.resume_from_checkpoint;
  SWIFT_CHECK(fs::is_dir(ck), "[args] --resume_from_checkpoint '{}' is not a folder", ck);
  const std::int64_t start =
      trainer.resume(ck, a.swift_train.resume_only_model, a.training.ignore_data_skip);
  if (a.swift_train.resume_only_model)
    SWIFT_INFO("loaded the weights of {} (--resume_only_model: optimizer and step start fresh)",
               ck);
  else
    SWIFT_INFO("resuming from {} at step {}", ck, start);
  return start;
}

}  // namespace swift::cli

// `swift sft` and `swift pt`: ms-swift's SwiftSft pipeline — resolve the model, build the tuner
// (LoRA / DoRA / full; train_setup.h), encode the datasets with the template, train
// (src/train/trainer.h) into output/<model>/vN-<time>/ with args.json, logging.jsonl, runs/,
// images/ and checkpoint-N/ folders that PEFT, transformers and `swift infer` load.
#include <cstdio>
#include <string>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "dataset/hub_source.h"
#include "model/model.h"
#include "template/swift_template.h"
#include "template/template_meta.h"
#include "tokenizer/tokenizer.h"
#include "train/data.h"
#include "train/trainer.h"
#include "train_setup.h"

namespace swift::cli {
namespace {

using OJson = nlohmann::ordered_json;

int run_train(const std::vector<std::string>& argv, const std::string& command) {
  auto parsed = args::parse_args(command, argv);
  if (parsed->help)
    return print_help(*parsed, "usage: swift " + command + " [config.yaml] [--arg value ...]");
  if (parsed->show_args) return print_resolved_args(*parsed);
  args::Arguments& a = parsed->values;
  const bool pretrain = command == "pt";
  SWIFT_CHECK(a.model.model, "[args] swift {} needs --model (a folder or hub id)", command);
  SWIFT_CHECK(!a.data.dataset.empty(),
              "[args] swift {} needs --dataset (a .jsonl/.json/.csv/.parquet file, a folder or a "
              "hub dataset id)",
              command);
  refuse_unbuilt_training(a);
  TrainSetup s = load_train_setup(*parsed, command);

  // Data.
  train::DataOptions dopt = train::data_options_from_args(*parsed, pretrain);
  if (dopt.max_length <= 0 && s.lm->config().max_position_embeddings > 0)
    dopt.max_length = s.lm->config().max_position_embeddings;  // ms-swift: max_model_len
  const tmpl::TemplateMeta& chat_meta = tmpl::get_template_meta(s.template_name);
  tmpl::SwiftTemplate tmpl(
      dopt.use_chat_template ? chat_meta : train::generation_template_meta(chat_meta), s.tok,
      s.tok->config());
  dopt.load = dataset::load_options_with_hub(dopt.load, a.base.use_hf, a.data.model_name,
                                             a.data.model_author);
  train::PreparedData data = train::prepare_data(dopt, tmpl, s.run_dir);
  if (!data.report.empty()) std::fprintf(stderr, "%s\n", data.report.c_str());

  write_run_args(s, *parsed);
  train::TrainerOptions topt = trainer_options(a, s.lora);
  topt.output_dir = s.run_dir;
  train::Trainer trainer(s.lm, s.adapter, topt);
  trainer.set_summary(run_summary(data, parameter_info(s, trainer)));
  trainer.set_save_model(checkpoint_saver(s, a));
  const std::int64_t start_step = resume_if_asked(trainer, a);

  SWIFT_INFO("output_dir: {}", s.run_dir);
  auto result = trainer.train(data.train, data.val, start_step, data.train_packs);
  SWIFT_INFO("last_model_checkpoint: {}", result.last_checkpoint);
  SWIFT_INFO("best_model_checkpoint: {}",
             result.best_checkpoint.empty() ? "None" : result.best_checkpoint);
  return 0;
}

}  // namespace

int run_sft(const std::vector<std::string>& argv) {
  return run_train(argv, "sft");
}
int run_pt(const std::vector<std::string>& argv) {
  return run_train(argv, "pt");
}

}  // namespace swift::cli

// The set-up `swift sft`, `swift pt` and `swift rlhf` share: the model and tokenizer resolved
// and loaded, the tuner (a new or continued LoRA / DoRA adapter, or full fine-tuning with
// ms-swift's freeze rules), the run folder's args.json, the trainer's options from the
// arguments, how a checkpoint saves the model, and --resume_from_checkpoint.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "args/arguments.h"
#include "hub/hub.h"
#include "io/hf_config.h"
#include "train/data.h"
#include "train/trainer.h"

namespace swift::model {
class CausalLM;
}
namespace swift::tok {
class Tokenizer;
}
namespace swift::tuners {
class LoraAdapter;
}

namespace swift::cli {

// Training features whose arguments parse but whose code is not here yet: a clear error
// instead of a run that silently ignores them. rlhf: --loss_type is the algorithm's variant
// there, not a loss plugin.
void refuse_unbuilt_training(const args::Arguments& a, bool rlhf = false);

train::TrainerOptions trainer_options(const args::Arguments& a, bool lora);

struct TrainSetup {
  std::string model_dir;  // the resolved --model folder
  io::HfConfig cfg;
  std::string run_dir;  // --output_dir (already the vN-<time> folder)
  bool lora = false;
  std::shared_ptr<model::CausalLM> lm;
  std::shared_ptr<const tok::Tokenizer> tok;
  std::string template_name;
  std::shared_ptr<tuners::LoraAdapter> adapter;  // null: full fine-tuning
  nlohmann::ordered_json args_json;              // what args.json holds
};

// Resolves and loads --model (float32 for full fine-tuning), the tokenizer and the template
// name, and builds the tuner: --adapters continues one adapter, else a new one from the
// --lora_* arguments; full fine-tuning applies --freeze_parameters* / --trainable_parameters*.
TrainSetup load_train_setup(const args::ParsedArgs& parsed, const std::string& command);

// Writes args.json (and a copy of the config file) into the run folder, as ms-swift does when
// the run starts.
void write_run_args(const TrainSetup& s, const args::ParsedArgs& parsed);

// model_parameter_info (logged and returned for the final record): total and trainable counts.
std::string parameter_info(const TrainSetup& s, const train::Trainer& trainer);

// The first keys of the run's final logging.jsonl record, in ms-swift's order: train_dataset
// and val_dataset (the length statistics, each only when computed), model_parameter_info.
nlohmann::ordered_json run_summary(const train::PreparedData& data, const std::string& param_info);

// What each checkpoint holds besides the trainer's files: the PEFT adapter (+
// additional_config.json) or a full HF folder in --torch_dtype, and args.json.
train::SaveModelFn checkpoint_saver(const TrainSetup& s, const args::Arguments& a);

// --resume_from_checkpoint: the step to start from (0 without it).
std::int64_t resume_if_asked(train::Trainer& trainer, const args::Arguments& a);

}  // namespace swift::cli

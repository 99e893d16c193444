// The subcommand table, in ms-swift's order (swift/cli/main.py ROUTE_MAPPING), plus
// swift.cpp's `inspect`.
#include "commands.h"

namespace swift::cli {

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
      {"pt", "continued pre-training (sft with loss on every token)", run_pt},
      {"sft", "supervised fine-tuning: LoRA, DoRA, QLoRA or full", run_sft},
      {"rlhf", "preference and RL training: dpo, orpo, simpo, kto, cpo, rm, ppo, grpo, gkd",
       run_rlhf},
      {"infer", "interactive chat or batch inference over a dataset", run_infer},
      {"deploy", "OpenAI-compatible server", run_deploy},
      {"rollout", "generation server for GRPO/GKD rollouts", nullptr},
      {"eval", "evaluate a model on benchmarks", nullptr},
      {"export", "merge LoRA, quantize, export to Ollama", run_export},
      {"merge-lora", "merge a LoRA adapter into its base (= export --merge_lora true)",
       run_merge_lora},
      {"sample", "sampling/distillation data for RFT", nullptr},
      {"app", "chat app for one model", run_app},
      {"web-ui", "web UI over the command line", nullptr},
      {"inspect", "resolve and validate a model folder without running it", run_inspect},
      {"create-model", "write the built-in default model: small, random, a real tokenizer",
       run_create_model},
      {"megatron sft", "Megatron-style SFT", nullptr},
      {"megatron pt", "Megatron-style pre-training", nullptr},
      {"megatron rlhf", "Megatron-style RLHF", nullptr},
      {"megatron export", "HF <-> Megatron conversion", nullptr},
  };
  return table;
}

}  // namespace swift::cli

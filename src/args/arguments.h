// ms-swift's argument groups as C++ structs, generated from the tables in src/args/defs/*.inc
// (one SWIFT_ARG line per argument), and the set of groups each subcommand takes, composed as
// ms-swift composes its dataclasses (e.g. SftArguments = training + base groups + tuner).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "args/arg_set.h"

namespace swift::args {

#define SWIFT_ARG(T, name, def, choices, help) T name = def;
struct ModelArguments {
#include "args/defs/model.inc"
};
struct DataArguments {
#include "args/defs/data.inc"
};
struct TemplateArguments {
#include "args/defs/template.inc"
};
struct QuantizeArguments {
#include "args/defs/quant.inc"
};
struct GenerationArguments {
#include "args/defs/generation.inc"
};
struct BaseArguments {
#include "args/defs/base.inc"
};
struct TunerArguments {
#include "args/defs/tuner.inc"
};
struct TrainingArguments {
#include "args/defs/training.inc"
};
struct SwiftTrainArguments {
#include "args/defs/swift_train.inc"
};
struct RlhfArguments {
#include "args/defs/rlhf.inc"
};
struct GrpoArguments {
#include "args/defs/grpo.inc"
};
struct PpoArguments {
#include "args/defs/ppo.inc"
};
struct MergeArguments {
#include "args/defs/merge.inc"
};
struct VllmArguments {
#include "args/defs/vllm.inc"
};
struct SglangArguments {
#include "args/defs/sglang.inc"
};
struct LmdeployArguments {
#include "args/defs/lmdeploy.inc"
};
struct InferArguments {
#include "args/defs/infer.inc"
};
struct DeployArguments {
#include "args/defs/deploy.inc"
};
struct RolloutArguments {
#include "args/defs/rollout.inc"
};
struct ExportArguments {
#include "args/defs/export.inc"
};
struct EvalArguments {
#include "args/defs/eval.inc"
};
struct SampleArguments {
#include "args/defs/sample.inc"
};
struct WebUIArguments {
#include "args/defs/webui.inc"
};
struct AppArguments {
#include "args/defs/app.inc"
};
struct MegatronArguments {
#include "args/defs/megatron.inc"
};
#undef SWIFT_ARG

// Every group; a subcommand declares the subset it takes into its ArgSet. Members not declared
// by the command keep their defaults.
struct Arguments {
  ModelArguments model;
  DataArguments data;
  TemplateArguments tmpl;
  QuantizeArguments quant;
  GenerationArguments generation;
  BaseArguments base;
  TunerArguments tuner;
  TrainingArguments training;
  SwiftTrainArguments swift_train;
  RlhfArguments rlhf;
  GrpoArguments grpo;
  PpoArguments ppo;
  MergeArguments merge;
  VllmArguments vllm;
  SglangArguments sglang;
  LmdeployArguments lmdeploy;
  InferArguments infer;
  DeployArguments deploy;
  RolloutArguments rollout;
  ExportArguments export_;
  EvalArguments eval;
  SampleArguments sample;
  WebUIArguments webui;
  AppArguments app;
  MegatronArguments megatron;
};

// A subcommand's arguments: the values plus the ArgSet that parsed them (it points into
// `values`, so a ParsedArgs never moves; it lives behind a unique_ptr).
struct ParsedArgs {
  std::string command;  // "sft", "infer", "megatron sft", ...
  Arguments values;
  ArgSet set;
  std::optional<std::string> config_file;
  bool help = false;
  bool show_args = false;
  explicit ParsedArgs(std::string cmd) : command(cmd), set(std::move(cmd)) {}
  nlohmann::json get(const std::string& name) const;
};

// Is `command` one whose arguments we know ("sft", "pt", "rlhf", "infer", "deploy", "rollout",
// "export", "merge-lora", "eval", "sample", "app", "web-ui", "megatron sft|pt|rlhf|export")?
bool is_known_command(const std::string& command);

// Declares the command's groups, reads the config file (exporting its ENV block), applies the
// file then the command line, and resolves derived defaults (resolve.cpp). Throws swift::Error.
std::unique_ptr<ParsedArgs> parse_args(const std::string& command,
                                       const std::vector<std::string>& argv);

// Declaration only (for --help without parsing, and for tests).
std::unique_ptr<ParsedArgs> declare_args(const std::string& command);

// Derived defaults, as ms-swift's __post_init__ computes them (resolve.cpp).
void resolve_derived(ParsedArgs& args);

// The run folder: `<output_dir or output/<model_suffix>>/vN-YYYYMMDD-HHMMSS` with N one more
// than the largest existing v<N> (v0 first), as an absolute path. Nothing is created.
std::string versioned_output_dir(const std::string& base_dir);
std::string model_suffix(const std::string& model);

// --system as ms-swift reads it: a path ending in .txt that names a file holds the system text.
std::optional<std::string> system_text(const std::optional<std::string>& system);

}  // namespace swift::args

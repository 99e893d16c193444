// Declares each group's table into an ArgSet and composes the groups per subcommand. The order
// of declaration follows ms-swift's dataclass inheritance, most general first, so that a more
// specific group redeclaring a name overrides its default.
#include "args/arguments.h"

#include <map>

#include "args/config_file.h"
#include "core/error.h"

namespace swift::args {

namespace {

// A member named after a C++ keyword carries a trailing '_' (template_); the argument does not.
std::string cli_name(const char* member) {
  std::string n = member;
  if (!n.empty() && n.back() == '_') n.pop_back();
  return n;
}

#define SWIFT_ARG(T, name, def, choices, help) \
  s.add(g.name, cli_name(#name).c_str(), choices, help, group);
void declare(ModelArguments& g, ArgSet& s, const char* group) {
#include "args/defs/model.inc"
}
void declare(DataArguments& g, ArgSet& s, const char* group) {
#include "args/defs/data.inc"
}
void declare(TemplateArguments& g, ArgSet& s, const char* group) {
#include "args/defs/template.inc"
}
void declare(QuantizeArguments& g, ArgSet& s, const char* group) {
#include "args/defs/quant.inc"
}
void declare(GenerationArguments& g, ArgSet& s, const char* group) {
#include "args/defs/generation.inc"
}
void declare(BaseArguments& g, ArgSet& s, const char* group) {
#include "args/defs/base.inc"
}
void declare(TunerArguments& g, ArgSet& s, const char* group) {
#include "args/defs/tuner.inc"
}
void declare(TrainingArguments& g, ArgSet& s, const char* group) {
#include "args/defs/training.inc"
}
void declare(SwiftTrainArguments& g, ArgSet& s, const char* group) {
#include "args/defs/swift_train.inc"
}
void declare(RlhfArguments& g, ArgSet& s, const char* group) {
#include "args/defs/rlhf.inc"
}
void declare(GrpoArguments& g, ArgSet& s, const char* group) {
#include "args/defs/grpo.inc"
}
void declare(PpoArguments& g, ArgSet& s, const char* group) {
#include "args/defs/ppo.inc"
}
void declare(MergeArguments& g, ArgSet& s, const char* group) {
#include "args/defs/merge.inc"
}
void declare(VllmArguments& g, ArgSet& s, const char* group) {
#include "args/defs/vllm.inc"
}
void declare(SglangArguments& g, ArgSet& s, const char* group) {
#include "args/defs/sglang.inc"
}
void declare(LmdeployArguments& g, ArgSet& s, const char* group) {
#include "args/defs/lmdeploy.inc"
}
void declare(InferArguments& g, ArgSet& s, const char* group) {
#include "args/defs/infer.inc"
}
void declare(DeployArguments& g, ArgSet& s, const char* group) {
#include "args/defs/deploy.inc"
}
void declare(RolloutArguments& g, ArgSet& s, const char* group) {
#include "args/defs/rollout.inc"
}
void declare(ExportArguments& g, ArgSet& s, const char* group) {
#include "args/defs/export.inc"
}
void declare(EvalArguments& g, ArgSet& s, const char* group) {
#include "args/defs/eval.inc"
}
void declare(SampleArguments& g, ArgSet& s, const char* group) {
#include "args/defs/sample.inc"
}
void declare(WebUIArguments& g, ArgSet& s, const char* group) {
#include "args/defs/webui.inc"
}
void declare(AppArguments& g, ArgSet& s, const char* group) {
#include "args/defs/app.inc"
}
void declare(MegatronArguments& g, ArgSet& s, const char* group) {
#include "args/defs/megatron.inc"
}
#undef SWIFT_ARG

// BaseArguments and its parents (ms-swift: Compat, Generation, Quantize, Data, Template, Model).
void declare_base(Arguments& a, ArgSet& s) {
  declare(a.model, s, "model");
  declare(a.data, s, "data");
  declare(a.tmpl, s, "template");
  declare(a.quant, s, "quantization");
  declare(a.generation, s, "generation");
  declare(a.base, s, "base");
}

// SftArguments(SwanlabArguments, TunerArguments, BaseArguments, Seq2SeqTrainingArguments): the
// HF training fields first, then the base groups, then the tuner and SFT's own overrides.
void declare_train(Arguments& a, ArgSet& s) {
  declare(a.training, s, "training");
  declare_base(a, s);
  declare(a.tuner, s, "tuner");
  declare(a.swift_train, s, "training (swift)");
}

void declare_infer(Arguments& a, ArgSet& s) {
  declare(a.vllm, s, "vllm");
  declare(a.sglang, s, "sglang");
  declare(a.lmdeploy, s, "lmdeploy");
  declare(a.merge, s, "merge");
  declare_base(a, s);
  declare(a.infer, s, "infer");
}

void declare_deploy(Arguments& a, ArgSet& s) {
  declare_infer(a, s);
  declare(a.deploy, s, "deploy");
}

using Declarer = void (*)(Arguments&, ArgSet&);

const std::map<std::string, Declarer>& declarers() {
  static const std::map<std::string, Declarer> m = {
      {"sft", [](Arguments& a, ArgSet& s) { declare_train(a, s); }},
      {"pt", [](Arguments& a, ArgSet& s) { declare_train(a, s); }},
      {"rlhf",
       [](Arguments& a, ArgSet& s) {
         declare_train(a, s);
         declare(a.ppo, s, "ppo");
         declare(a.grpo, s, "grpo");
         declare(a.rlhf, s, "rlhf");
       }},
      {"infer", [](Arguments& a, ArgSet& s) { declare_infer(a, s); }},
      {"deploy", [](Arguments& a, ArgSet& s) { declare_deploy(a, s); }},
      {"rollout",
       [](Arguments& a, ArgSet& s) {
         declare_deploy(a, s);
         declare(a.rollout, s, "rollout");
       }},
      {"eval",
       [](Arguments& a, ArgSet& s) {
         declare_deploy(a, s);
         declare(a.eval, s, "eval");
       }},
      {"app",
       [](Arguments& a, ArgSet& s) {
         declare_deploy(a, s);
         declare(a.webui, s, "web-ui");
         declare(a.app, s, "app");
       }},
      {"web-ui", [](Arguments& a, ArgSet& s) { declare(a.webui, s, "web-ui"); }},
      {"export",
       [](Arguments& a, ArgSet& s) {
         declare(a.merge, s, "merge");
         declare_base(a, s);
         declare(a.export_, s, "export");
       }},
      {"merge-lora",
       [](Arguments& a, ArgSet& s) {
         declare(a.merge, s, "merge");
         declare_base(a, s);
         declare(a.export_, s, "export");
       }},
      {"sample",
       [](Arguments& a, ArgSet& s) {
         declare(a.vllm, s, "vllm");
         declare_base(a, s);
         declare(a.sample, s, "sample");
       }},
      {"megatron sft",
       [](Arguments& a, ArgSet& s) {
         declare_base(a, s);
         declare(a.tuner, s, "tuner");
         declare(a.megatron, s, "megatron");
       }},
      {"megatron pt",
       [](Arguments& a, ArgSet& s) {
         declare_base(a, s);
         declare(a.tuner, s, "tuner");
         declare(a.megatron, s, "megatron");
       }},
      {"megatron rlhf",
       [](Arguments& a, ArgSet& s) {
         declare_base(a, s);
         declare(a.tuner, s, "tuner");
         declare(a.megatron, s, "megatron");
         declare(a.rlhf, s, "rlhf");
       }},
      {"megatron export",
       [](Arguments& a, ArgSet& s) {
         declare(a.merge, s, "merge");
         declare_base(a, s);
         declare(a.export_, s, "export");
         declare(a.megatron, s, "megatron");
       }},
  };
  return m;
}

// Defaults that a subcommand changes without a dataclass of its own (ms-swift sets them in the
// subclass or in __post_init__ before parsing matters).
void command_defaults(ParsedArgs& p) {
  auto set_default = [&](const char* name, const nlohmann::json& v) {
    if (p.set.has(name)) p.set.set_default(name, v);
  };
  if (p.command == "pt" || p.command == "megatron pt") {
    set_default("use_chat_template", false);
    set_default("loss_scale", "all");
  }
  if (p.command == "merge-lora") set_default("merge_lora", true);
  if (p.command == "megatron export") {
    set_default("padding_free", false);
    set_default("attention_backend", "unfused");
    set_default("recompute_granularity", "none");
    set_default("load_args", true);
  }
  if (p.command == "megatron rlhf") {
    set_default("loss_scale", "last_round");
    set_default("calculate_per_token_loss", false);
  }
}

}  // namespace

nlohmann::json ParsedArgs::get(const std::string& name) const {
  auto j = set.to_json();
  auto it = j.find(name);
  return it == j.end() ? nlohmann::json() : nlohmann::json(*it);
}

bool is_known_command(const std::string& command) {
  return declarers().count(command) > 0;
}

std::unique_ptr<ParsedArgs> declare_args(const std::string& command) {
  auto it = declarers().find(command);
  SWIFT_CHECK(it != declarers().end(), "[args] unknown subcommand '{}'", command);
  auto p = std::make_unique<ParsedArgs>(command);
  it->second(p->values, p->set);
  // Accepted spellings from ms-swift 3.x.
  if (p->set.has("tuner_type")) p->set.add_alias("train_type", "tuner_type");
  // swift.cpp's engine runs for every backend name: deploy's batch bound is vLLM's argument.
  if (p->set.has("served_model_name") && p->set.has("vllm_max_num_seqs"))
    p->set.add_alias("max_num_seqs", "vllm_max_num_seqs");
  p->set.add(p->show_args, "show_args", "",
             "Print the resolved arguments as JSON and exit (swift.cpp)", "swift.cpp");
  command_defaults(*p);
  return p;
}

std::unique_ptr<ParsedArgs> parse_args(const std::string& command,
                                       const std::vector<std::string>& argv) {
  auto p = declare_args(command);
  CommandLine cl = split_command_line(argv);
  p->help = cl.help;
  if (cl.help) return p;
  std::vector<Assignment> all;
  if (cl.config_file) {
    ConfigFile cfg = load_config_file(*cl.config_file);
    export_config_env(cfg);
    all = cfg.assignments;
    p->config_file = cl.config_file;
  }
  all.insert(all.end(), cl.assignments.begin(), cl.assignments.end());
  p->set.apply(all);
  resolve_derived(*p);
  return p;
}

}  // namespace swift::args

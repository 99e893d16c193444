// `swift export` and `swift merge-lora`: the merge mode (--merge_lora true) folds one LoRA/DoRA
// checkpoint into its base and writes `<adapter>-merged` (ms-swift's naming); the other export
// modes (quantization, Ollama, Megatron conversion, cached datasets, hub push) are not built yet
// and say so with exit code 3.
#include <cstdio>
#include <filesystem>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "export/hf_writer.h"
#include "export/merge.h"
#include "hub/hub.h"
#include "io/hf_config.h"

namespace swift::cli {
namespace {

std::string strip_slashes(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

int export_main(const std::string& command, const std::vector<std::string>& argv) {
  auto parsed = args::parse_args(command, argv);
  if (parsed->help)
    return print_help(*parsed, "usage: swift " + command +
                                   " [config.yaml] --adapters <checkpoint> [--model <base>] "
                                   "[--output_dir X] [--exist_ok true]");
  if (parsed->show_args) return print_resolved_args(*parsed);
  const auto& v = parsed->values;
  const auto& e = v.export_;

  std::vector<std::string> not_built;
  if (e.quant_method) not_built.push_back("--quant_method " + *e.quant_method);
  if (e.to_ollama) not_built.push_back("--to_ollama");
  if (e.to_mcore) not_built.push_back("--to_mcore");
  if (e.to_hf) not_built.push_back("--to_hf");
  if (e.to_cached_dataset) not_built.push_back("--to_cached_dataset");
  if (e.push_to_hub) not_built.push_back("--push_to_hub");
  if (!not_built.empty()) {
    std::string list;
    for (const auto& n : not_built) list += (list.empty() ? "" : ", ") + n;
    std::fprintf(stderr,
                 "[ERROR:swift] `swift %s %s` is not built yet in this version of swift.cpp; only "
                 "--merge_lora true is. See README.md, \"What works today\".\n",
                 command.c_str(), list.c_str());
    return kExitNotBuilt;
  }
  SWIFT_CHECK(v.merge.merge_lora.value_or(false),
              "[export] nothing to export: pass --merge_lora true (quantization, Ollama and "
              "Megatron exports are not built yet)");

  // The checkpoint: --adapters, or --model naming a LoRA checkpoint folder (as ms-swift accepts).
  std::vector<std::string> adapters = v.base.adapters;
  std::optional<std::string> model = v.model.model;
  if (adapters.empty() && model && fs::is_file(fs::join(*model, "adapter_config.json"))) {
    adapters.push_back(*model);
    model.reset();
  }
  SWIFT_CHECK(!adapters.empty(),
              "[export] --merge_lora needs the LoRA checkpoint to merge: pass --adapters <folder>");
  SWIFT_CHECK(adapters.size() == 1,
              "[export] --merge_lora merges one adapter, got {}; run it once per adapter",
              adapters.size());
  const std::string adapter_dir = strip_slashes(adapters[0]);
  fs::require_file(fs::join(adapter_dir, "adapter_config.json"), "[export]",
                   "pass a LoRA checkpoint folder with --adapters");
  if (!model) model = exporter::adapter_base_model(adapter_dir);
  SWIFT_CHECK(model.has_value(),
              "[export] {} does not name its base model (no args.json \"model\" and no "
              "base_model_name_or_path in adapter_config.json); pass --model",
              adapter_dir);

  const std::string output_dir =
      e.output_dir ? strip_slashes(*e.output_dir) : adapter_dir + "-merged";
  if (command == "merge-lora" && !e.exist_ok && fs::exists(output_dir)) {
    SWIFT_INFO("The merged model already exists in {}, skipping the merge.", output_dir);
    return 0;
  }
  if (!v.merge.safe_serialization)
    SWIFT_WARN("--safe_serialization false: swift.cpp writes safetensors only (no pickles)");

  hub::HubOptions hub_options = hub::hub_options_from_env(v.base.use_hf, v.model.model_revision);
  if (v.base.hub_token) hub_options.token = *v.base.hub_token;
  const std::string base_dir = hub::resolve_model_dir(*model, hub_options);

  exporter::check_output_dir(output_dir, e.exist_ok, {base_dir, adapter_dir});
  exporter::MergeOptions options;
  options.max_shard_size = v.merge.max_shard_size;
  options.exist_ok = e.exist_ok;
  if (v.model.torch_dtype) {
    options.torch_dtype = *v.model.torch_dtype;
  } else if (v.base.load_args && fs::is_file(fs::join(adapter_dir, "args.json"))) {
    // load_args: the dtype the adapter was trained with, as ms-swift restores it.
    auto trained = io::read_json_file(fs::join(adapter_dir, "args.json"), 64ull << 20);
    if (trained.is_object() && trained.contains("torch_dtype") &&
        trained["torch_dtype"].is_string())
      options.torch_dtype = trained["torch_dtype"].get<std::string>();
  }
  nlohmann::json saved = parsed->set.to_json();
  saved["model"] = base_dir;
  saved["adapters"] = nlohmann::json::array({std::filesystem::absolute(adapter_dir).string()});
  saved["output_dir"] = output_dir;
  options.args = saved;

  SWIFT_INFO("Merging {} into {} ...", adapter_dir, base_dir);
  auto r = exporter::merge_lora(base_dir, adapter_dir, output_dir, options);
  SWIFT_INFO("Successfully merged LoRA and saved in {} ({} tensors, {} shard{}, dtype {}).",
             r.output_dir, r.num_tensors, r.num_shards, r.num_shards == 1 ? "" : "s", r.dtype);
  std::printf("%s\n", r.output_dir.c_str());
  return 0;
}

}  // namespace

int run_export(const std::vector<std::string>& argv) {
  return export_main("export", argv);
}

int run_merge_lora(const std::vector<std::string>& argv) {
  return export_main("merge-lora", argv);
}

}  // namespace swift::cli

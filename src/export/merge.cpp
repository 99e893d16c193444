// LoRA/DoRA merge into a Hugging Face folder (see merge.h). The base loads in the dtype the
// output is written in, so the merge rounds as PEFT's merge_and_unload does on that dtype.
#include "export/merge.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "export/hf_writer.h"
#include "io/adapter_config.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"
#include "tuners/lora.h"

namespace swift::exporter {
namespace {

constexpr std::uint64_t kMaxJsonBytes = 64ull << 20;

std::string config_dtype(const nlohmann::json& config) {
  for (const char* key : {"torch_dtype", "dtype"}) {
    auto it = config.find(key);
    if (it != config.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

}  // namespace

std::optional<std::string> adapter_base_model(const std::string& adapter_dir) {
  std::string value;
  const std::string args_path = fs::join(adapter_dir, "args.json");
  if (fs::is_file(args_path)) {
    auto args = io::read_json_file(args_path, kMaxJsonBytes);
    if (args.is_object() && args.contains("model") && args["model"].is_string())
      value = args["model"].get<std::string>();
  }
  if (value.empty() && fs::kind_of(fs::join(adapter_dir, "adapter_config.json")) != "missing")
    value = io::read_adapter_config(adapter_dir).base_model_name_or_path;
  if (value.empty()) return std::nullopt;
  const std::filesystem::path p(value);
  if (p.is_relative() && fs::is_file(fs::join(fs::join(adapter_dir, value), "config.json")))
    return std::filesystem::weakly_canonical(std::filesystem::path(adapter_dir) / p).string();
  return value;
}

MergeResult merge_lora(const std::string& base_model_dir,
                       const std::string& adapter_dir,
                       const std::string& output_dir,
                       const MergeOptions& options) {
  fs::require_file(fs::join(base_model_dir, "config.json"), "[export]",
                   "pass the base model folder with --model");
  fs::require_file(fs::join(adapter_dir, "adapter_config.json"), "[export]",
                   "pass a LoRA checkpoint folder with --adapters");
  const std::uint64_t max_bytes = parse_file_size(options.max_shard_size);
  check_output_dir(output_dir, options.exist_ok, {base_model_dir, adapter_dir});

  nlohmann::json config =
      io::read_json_file(fs::join(base_model_dir, "config.json"), kMaxJsonBytes);
  SWIFT_CHECK(config.is_object(), "[export] {}/config.json is not a JSON object", base_model_dir);
  std::string dtype_name = options.torch_dtype.empty() ? config_dtype(config) : options.torch_dtype;
  if (dtype_name == "auto") dtype_name.clear();

  // Stored names and dtypes of the base checkpoint: names stay as stored, and with no dtype
  // anywhere in the config each tensor keeps its stored dtype.
  std::set<std::string> base_names;
  std::map<std::string, at::ScalarType> stored;
  {
    io::SafetensorsModel st(base_model_dir);
    for (const auto& n : st.names()) {
      base_names.insert(n);
      stored[n] = io::to_scalar_type(st.find(n)->info->dtype);
    }
  }
  std::optional<at::ScalarType> target;
  if (!dtype_name.empty()) target = parse_torch_dtype(dtype_name);

  model::LoadOptions load;
  load.dtype = target ? torch_dtype_name(*target) : "float32";
  auto lm = model::load_causal_lm(base_model_dir, load);
  auto adapter = tuners::LoraAdapter::load(adapter_dir, *lm);
  adapter->merge_into(*lm);

  MergeResult result;
  // A tied model whose merged lm_head no longer equals the embeddings must store both.
  const auto& params = lm->parameters();
  if (config.value("tie_word_embeddings", false) && params.count("lm_head.weight") &&
      !torch::equal(params.at("lm_head.weight"), params.at("model.embed_tokens.weight"))) {
    config["tie_word_embeddings"] = false;
    result.untied = true;
  }

  auto tensors = checkpoint_tensors(*lm, &base_names);
  for (auto& [name, t] : tensors) {
    at::ScalarType dt = torch::kFloat32;
    if (target) {
      dt = *target;
    } else if (auto it = stored.find(name); it != stored.end() && at::isFloatingType(it->second)) {
      dt = it->second;
    }
    t = t.to(dt).contiguous();
  }
  if (target) {
    const std::string name = torch_dtype_name(*target);
    bool set = false;
    for (const char* key : {"torch_dtype", "dtype"}) {
      if (config.contains(key)) {
        config[key] = name;
        set = true;
      }
    }
    if (!set) config["torch_dtype"] = name;
  }

  StagedDir out(output_dir, options.exist_ok);
  const auto files = write_weights(out.path(), tensors, max_bytes);
  write_json(fs::join(out.path(), "config.json"), config);
  copy_if_exists(base_model_dir, out.path(), "generation_config.json");
  copy_if_exists(base_model_dir, out.path(), "preprocessor_config.json");
  // The tokenizer as a set: from the adapter when training saved one there (new tokens, a new
  // template), else the base model's.
  const bool adapter_tok = fs::is_file(fs::join(adapter_dir, "tokenizer_config.json")) ||
                           fs::is_file(fs::join(adapter_dir, "tokenizer.json")) ||
                           fs::is_file(fs::join(adapter_dir, "tokenizer.model"));
  copy_tokenizer_files(adapter_tok ? adapter_dir : base_model_dir, out.path());
  if (!copy_if_exists(adapter_dir, out.path(), "args.json"))
    write_json(fs::join(out.path(), "args.json"), options.args);
  {
    // Re-read what was written (headers, index, names) before it becomes visible.
    io::SafetensorsModel check(out.path());
    SWIFT_CHECK(check.names().size() == tensors.size(),
                "[export] wrote {} tensors but {} read back from {}", tensors.size(),
                check.names().size(), out.path());
  }
  out.commit();

  result.output_dir = std::filesystem::weakly_canonical(output_dir).string();
  result.num_tensors = static_cast<std::int64_t>(tensors.size());
  result.num_shards = files.size() > 1 ? static_cast<std::int64_t>(files.size()) - 1 : 1;
  result.dtype = target ? torch_dtype_name(*target) : "as stored";
  return result;
}

}  // namespace swift::exporter

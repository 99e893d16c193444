// Model resolution as ms-swift does it: `--model` is a local folder, or a hub id ("org/name")
// found in the Hugging Face / ModelScope caches, or else downloaded from ModelScope (default) or
// Hugging Face (`--use_hf true`) into those same cache layouts, so the Python libraries and
// swift.cpp share one cache. A cache hit never touches the network.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace swift::hub {

struct HubOptions {
  std::optional<std::string> revision;  // branch, tag or commit; default main (HF) / master (MS)
  bool use_hf = false;                  // Hugging Face instead of ModelScope
  bool offline = false;                 // never touch the network; a cache miss is an error
  std::string hf_endpoint = "https://huggingface.co";
  std::string ms_endpoint = "https://www.modelscope.cn";
  std::string token;             // for the selected hub; empty: anonymous
  std::string hf_cache_dir;      // huggingface_hub's hub cache; empty: from the environment
  std::string ms_cache_dir;      // ModelScope's cache root; empty: from the environment
  bool download_weights = true;  // false: config/tokenizer files only (ms-swift download_model)
  // Files never downloaded (fnmatch globs on the repo path), as ms-swift's defaults.
  std::vector<std::string> ignore_patterns = {
      "*.zip",     "*.gguf", "*.pth", "*.pt", "consolidated*", "onnx/*", "*.safetensors.md",
      "*.msgpack", "*.onnx", "*.ot",  "*.h5"};
  bool progress = true;  // progress on stderr: a bar per file, or one for all when parallel
  int max_workers = 8;   // files downloaded at once, as modelscope and huggingface_hub do
  int max_retries = 5;   // per request, on 5xx / 429 / broken connections
  double retry_base_delay_s = 1.0;
};

// Options from the environment as ms-swift and the hub libraries read it:
//   use_hf: the flag, or USE_HF=1/true; offline: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE
//   (ModelScope has no offline variable; these apply to both hubs);
//   endpoints: HF_ENDPOINT, MODELSCOPE_ENDPOINT or MODELSCOPE_DOMAIN;
//   token: HF_TOKEN (or $HF_HOME/token) for Hugging Face, MODELSCOPE_API_TOKEN for ModelScope;
//   caches: HF_HUB_CACHE / HF_HOME, MODELSCOPE_CACHE.
HubOptions hub_options_from_env(bool use_hf_flag, std::optional<std::string> revision);

// The local folder holding `model` (absolute path). See the file comment for the order.
// Throws swift::Error naming the model, the URL or file, and what to do.
std::string resolve_model_dir(const std::string& model, const HubOptions& options);

// Throws unless `id` is a safe hub id "org/name" (letters, digits, '-', '_', '.'; no "..").
void validate_model_id(const std::string& id);

// The last path component of a model id or folder ("Qwen/Qwen2.5-7B" -> "Qwen2.5-7B"), as
// ms-swift names output folders.
std::string model_suffix(const std::string& model);

// True when `dir` looks like a whole model: config.json (or adapter_config.json) and the weight
// files its index names, or at least one weight file when there is no index. With
// `need_weights` false the config alone is enough (tokenizer/config-only resolution).
bool is_complete_snapshot(const std::string& dir, bool need_weights = true);

// Cache roots as the hub libraries compute them (without creating anything).
std::string default_hf_cache_dir();
std::string default_ms_cache_dir();

}  // namespace swift::hub

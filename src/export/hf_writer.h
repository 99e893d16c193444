// Writing Hugging Face model folders: weight shards named and indexed as transformers'
// save_pretrained names them, checkpoint (on-disk) tensor names for an in-memory model, the
// tokenizer/config file copies, and StagedDir, which builds a whole folder next to its final
// place and renames it there only when everything is written.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace swift::model {
class CausalLM;
}

namespace swift::exporter {

// "5GB" -> 5e9, "500MB" -> 5e8, "2GiB" -> 2^31, "100KB", "1024" (bytes), as transformers'
// convert_file_size_to_int. Throws swift::Error for anything else.
std::uint64_t parse_file_size(const std::string& text);

// Writes `tensors` (in order) as model.safetensors, or, when they exceed `max_shard_bytes`,
// as model-0000i-of-0000N.safetensors + model.safetensors.index.json. A tensor larger than the
// limit gets a shard of its own, as transformers does. Returns the file names written.
std::vector<std::string> write_weights(
    const std::string& dir,
    const std::vector<std::pair<std::string, at::Tensor>>& tensors,
    std::uint64_t max_shard_bytes);

// The model's parameters under their checkpoint names, in module order: fused expert tensors
// become per-expert linears, and the arch's MoE module name is restored, unless `base_names`
// (the names found in the source checkpoint) holds the in-memory name as is. A tied lm_head is
// not a parameter, so it is not written.
std::vector<std::pair<std::string, at::Tensor>> checkpoint_tensors(
    const model::CausalLM& model, const std::set<std::string>* base_names);

// "float32", "bfloat16", "float16" (and torch's "torch.bfloat16" spelling) -> dtype.
at::ScalarType parse_torch_dtype(const std::string& name);
std::string torch_dtype_name(at::ScalarType t);  // "float32", "bfloat16", ...

// The tokenizer files a transformers folder may hold (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json, vocab.json, merges.txt, tokenizer.model, chat_template.jinja, ...).
const std::vector<std::string>& tokenizer_files();
// Copies those of tokenizer_files() that exist in `from` into `to`; returns how many.
int copy_tokenizer_files(const std::string& from, const std::string& to);
// Copies one file if it exists; true when copied.
bool copy_if_exists(const std::string& from_dir,
                    const std::string& to_dir,
                    const std::string& name);

void write_json(const std::string& path, const nlohmann::json& j);
void write_json(const std::string& path, const nlohmann::ordered_json& j);  // keeps key order

// A folder written as a unit: files go into a hidden sibling of `final_dir`
// (".<name>.tmp-<pid>-<n>"); commit() renames it into place. An existing `final_dir` (allowed
// only when `replace` is set) is written into: each file we made replaces its namesake, stale
// weight files of ours (model*.safetensors, the index) are removed, and nothing else in it is
// touched. Destroying an uncommitted StagedDir removes the sibling, and the next StagedDir for
// the same folder removes siblings whose process is dead (kill -9), so a failure never leaves a
// half-written output or a lasting temp folder.
class StagedDir {
 public:
  StagedDir(const std::string& final_dir, bool replace);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;

  const std::string& path() const { return tmp_; }  // where to write
  void commit();

 private:
  std::string final_;
  std::string tmp_;
  bool replace_ = false;
  bool committed_ = false;
};

// Checks that `output_dir` may be written: an existing folder is an error naming --exist_ok
// unless `exist_ok`; the output may not be (or contain) one of `sources`.
void check_output_dir(const std::string& output_dir,
                      bool exist_ok,
                      const std::vector<std::string>& sources);

}  // namespace swift::exporter

// The trainer's checkpoint files and crash-safe saving.
//
// Resumable state is ours and never a pickle (transformers writes optimizer.pt, scheduler.pt,
// rng_state.pth): safetensors for tensors, JSON (Python's json.dumps form) for the rest.
//   optimizer.safetensors + optimizer.json   per-parameter moments ("<param>.exp_avg", ...)
//                                            + hyperparameters, steps, param names in order
//   scheduler.json                           the LR scheduler's position
//   rng_state.safetensors + rng_state.json   libtorch generator states + our engines' states
//   data_cursor.json                         epoch, batch within the epoch, samples consumed
//
// A checkpoint folder is written as a unit: write_checkpoint_atomically fills a hidden sibling,
// fsyncs every file, adds checkpoint_manifest.json (each file's size) last, and renames the
// folder into place; kill -9 or a full disk at any moment leaves the earlier checkpoints and
// either the whole new one or none of it.
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace swift::train {

// ---- optimizer ------------------------------------------------------------------------------

struct OptimizerParamGroup {
  nlohmann::json hyperparameters = nlohmann::json::object();  // lr, betas, eps, weight_decay...
  std::vector<std::string> params;                            // parameter names, in order
};

struct OptimizerParamState {
  std::int64_t step = 0;  // updates applied to this parameter (Adam's bias correction)
  // "exp_avg", "exp_avg_sq" (AdamW), "max_exp_avg_sq" (amsgrad), ...: each shaped as the param.
  std::map<std::string, at::Tensor> tensors;
};

struct OptimizerState {
  std::string optimizer = "adamw_torch";  // --optim; loading into another optimizer fails
  std::int64_t step = 0;                  // optimizer.step() calls
  std::vector<OptimizerParamGroup> param_groups;
  std::map<std::string, OptimizerParamState> state;  // by name; params not yet updated: absent
};

// Checks `state` against the trainable parameters (name -> tensor): same names in the same
// order, every moment tensor shaped like its parameter and floating point. Throws naming the
// parameter and what differs (the usual cause: resuming with other --target_modules or model).
void check_optimizer_matches(const OptimizerState& state,
                             const std::vector<std::pair<std::string, at::Tensor>>& params,
                             const std::string& where);

// ---- scheduler, RNG, data cursor ------------------------------------------------------------

struct SchedulerState {
  std::string type;              // --lr_scheduler_type ("cosine", "linear", ...)
  std::int64_t step = 0;         // scheduler.step() calls (torch's last_epoch)
  std::vector<double> base_lrs;  // one per param group
  std::vector<double> last_lrs;  // the rates of the last step
  nlohmann::json params = nlohmann::json::object();  // warmup/total steps, min lr, ...
};

struct RngState {
  at::Tensor cpu;                              // libtorch's default CPU generator state, uint8 [N]
  std::vector<at::Tensor> cuda;                // one per CUDA device (empty without CUDA)
  std::map<std::string, std::uint64_t> seeds;  // e.g. "seed", "data_seed"
  // std::mt19937_64 states by name, as engine_state() writes them (operator<< text).
  std::map<std::string, std::string> engines;
};
RngState capture_rng_state();                   // libtorch generators now (seeds/engines empty)
void restore_rng_state(const RngState& state);  // sets them back; checks the device count
std::string engine_state(const std::mt19937_64& engine);
void restore_engine(const std::string& text, std::mt19937_64* engine, const std::string& name);

struct DataCursor {
  std::int64_t epoch = 0;                           // epochs completed
  std::int64_t batch_in_epoch = 0;                  // batches of the current epoch already consumed
  std::int64_t consumed_samples = 0;                // over the whole run
  nlohmann::json extra = nlohmann::json::object();  // sampler details (shuffle seed, packing)
};

struct TrainingState {
  OptimizerState optimizer;
  SchedulerState scheduler;
  RngState rng;
  DataCursor data;
};

// Writes the files above into `dir` (each atomically). Tensors are saved as contiguous CPU
// copies of their dtype.
void save_training_state(const std::string& dir, const TrainingState& state);
// Reads and validates them: every file present, JSON fields of the right types, every tensor
// listed in the JSON present in the safetensors file with the listed dtype and shape and no
// others. Errors name the file and the field or tensor.
TrainingState load_training_state(const std::string& dir);
// The same checks from the headers only (no tensor data read): for is_intact_checkpoint.
void check_training_state_files(const std::string& dir);
// True when `dir` has any of our training-state files (a save_only_model checkpoint has none).
bool has_training_state(const std::string& dir);

// ---- atomic checkpoint folders --------------------------------------------------------------

inline constexpr const char* kCheckpointManifest = "checkpoint_manifest.json";

// Builds `final_dir` as a unit: `fill` writes into a hidden staging sibling
// ".<name>.tmp-<pid>-<k>"; then every file and folder in it is fsynced, the manifest is written,
// the staging folder is renamed to `final_dir` and the parent fsynced. An existing `final_dir`
// (the same step saved again after a resume) is swapped out atomically (renameat2 EXCHANGE; on
// filesystems without it, moved aside to ".<name>.old-<pid>-<k>" first, which the next save
// puts back if the swap was interrupted). Staging folders of dead processes are removed first.
// If `fill` or any step fails, the staging folder is removed, `final_dir` is untouched, and a
// swift::Error names the file and says when the disk or the file-size limit is full.
void write_checkpoint_atomically(const std::string& final_dir,
                                 const std::function<void(const std::string& staging)>& fill);

// Removes staging/old folders left in `run_dir` by processes that are gone, after putting back a
// checkpoint whose replacement was interrupted. Called by write_checkpoint_atomically; the
// trainer may call it at start. Returns the paths removed.
std::vector<std::string> clean_stale_staging(const std::string& run_dir);

// Deletes a checkpoint so that a crash midway never leaves a half folder named checkpoint-N:
// renamed to a hidden name first, then removed.
void remove_checkpoint(const std::string& dir);

// What --resume_from_checkpoint and infer may trust: trainer_state.json reads (and its
// global_step equals N of checkpoint-N), the manifest's files are all there with their sizes,
// every *.safetensors header validates and *.json parses, the weights are there
// (adapter_model.safetensors, model.safetensors or a complete sharded index) and our training
// state, if any, is complete. `why` (optional) gets the first problem found.
bool is_intact_checkpoint(const std::string& dir, std::string* why = nullptr);

// The intact checkpoint-N of `run_dir` with the largest N; nullopt if none.
std::optional<std::string> latest_intact_checkpoint(const std::string& run_dir);

// ---- what ms-swift adds to a run ------------------------------------------------------------

// ms-swift copies <run_dir>/args.json into every checkpoint (SwiftMixin._save); false when the
// run has none.
bool copy_run_args(const std::string& run_dir, const std::string& checkpoint_dir);
// --create_checkpoint_symlink: <run_dir>/last and <run_dir>/best point at those checkpoints
// (absolute targets, as ms-swift's os.symlink writes them); replaced if they exist.
void create_checkpoint_symlinks(const std::string& run_dir,
                                const std::string& last_checkpoint,
                                const std::optional<std::string>& best_checkpoint);

}  // namespace swift::train

// Checkpoint folder staging and the trainer's own state files.
#include "train/train_state.h"

#include <fcntl.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "train/optimizer.h"

namespace swift::train {
namespace stdfs = std::filesystem;

void write_checkpoint(const std::string& final_dir,
                      const std::function<void(const std::string& staging)>& fill) {
  const stdfs::path final_path(final_dir);
  const stdfs::path parent = final_path.parent_path();
  stdfs::create_directories(parent);
  const stdfs::path staging =
      parent / ("." + final_path.filename().string() + ".tmp-" + std::to_string(::getpid()));
  std::error_code ec;
  stdfs::remove_all(staging, ec);
  stdfs::create_directories(staging);
  try {
    fill(staging.string());
    for (const auto& e : stdfs::directory_iterator(staging)) {
      if (!e.is_regular_file()) continue;
      int fd = ::open(e.path().c_str(), O_RDONLY);
      if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
      }
    }
    fs::fsync_dir(staging.string());
    if (stdfs::exists(final_path)) {
      const stdfs::path old =
          parent / ("." + final_path.filename().string() + ".old-" + std::to_string(::getpid()));
      stdfs::remove_all(old, ec);
      stdfs::rename(final_path, old);
      stdfs::rename(staging, final_path);
      stdfs::remove_all(old, ec);
    } else {
      stdfs::rename(staging, final_path);
    }
    fs::fsync_dir(parent.string());
  } catch (...) {
    stdfs::remove_all(staging, ec);
    throw;
  }
}

void write_trainer_state(const std::string& dir, const TrainState& s) {
  nlohmann::json j;
  j["best_global_step"] = nullptr;
  j["best_metric"] = s.best_metric ? nlohmann::json(*s.best_metric) : nlohmann::json();
  j["best_model_checkpoint"] =
      s.best_model_checkpoint.empty() ? nlohmann::json() : nlohmann::json(s.best_model_checkpoint);
  j["epoch"] = s.epoch;
  j["eval_steps"] = s.eval_steps;
  j["global_step"] = s.global_step;
  j["is_hyper_param_search"] = false;
  j["is_local_process_zero"] = true;
  j["is_world_process_zero"] = true;
  j["log_history"] = nlohmann::json::parse(s.log_history.dump());
  j["logging_steps"] = s.logging_steps;
  j["max_steps"] = s.max_steps;
  j["num_input_tokens_seen"] = 0;
  j["num_train_epochs"] = s.num_train_epochs;
  j["save_steps"] = s.save_steps;
  j["stateful_callbacks"] = nlohmann::json::object();
  j["total_flos"] = 0.0;
  j["train_batch_size"] = s.train_batch_size;
  j["trial_name"] = nullptr;
  j["trial_params"] = nullptr;
  fs::write_file_atomic(fs::join(dir, "trainer_state.json"), j.dump(2) + "\n");
}

TrainState read_trainer_state(const std::string& dir) {
  const std::string path = fs::join(dir, "trainer_state.json");
  fs::require_file(path, "train", "resume needs a checkpoint folder written by swift sft");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(fs::read_file(path, 256u << 20));
  } catch (const nlohmann::json::exception& e) {
    SWIFT_FAIL("[train] {}: not valid JSON ({})", path, str::json_error_text(e.what()));
  }
  TrainState s;
  SWIFT_CHECK(j.is_object() && j.contains("global_step") && j["global_step"].is_number_integer(),
              "[train] {}: no integer global_step", path);
  s.global_step = j["global_step"].get<std::int64_t>();
  s.max_steps = j.value("max_steps", 0);
  s.epoch = j.value("epoch", 0.0);
  if (j.contains("log_history") && j["log_history"].is_array())
    s.log_history = nlohmann::ordered_json::parse(j["log_history"].dump());
  if (j.contains("best_metric") && j["best_metric"].is_number())
    s.best_metric = j["best_metric"].get<double>();
  if (j.contains("best_model_checkpoint") && j["best_model_checkpoint"].is_string())
    s.best_model_checkpoint = j["best_model_checkpoint"].get<std::string>();
  return s;
}

void write_optimizer_state(const std::string& dir,
                           const AdamW& opt,
                           std::uint64_t seed,
                           std::int64_t step) {
  io::save_tensors(fs::join(dir, "optimizer.safetensors"), opt.state_tensors());
  nlohmann::ordered_json j;
  j["format"] = "swift.cpp optimizer state 1";
  j["optimizer"] = "adamw";
  j["steps"] = opt.steps();
  j["global_step"] = step;
  j["seed"] = seed;
  j["betas"] = {opt.options().beta1, opt.options().beta2};
  j["eps"] = opt.options().eps;
  j["weight_decay"] = opt.options().weight_decay;
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const auto& p : opt.params()) names.push_back(p.name);
  j["params"] = names;
  fs::write_file_atomic(fs::join(dir, "optimizer.json"), j.dump(2) + "\n");
}

std::int64_t read_optimizer_state(const std::string& dir, AdamW& opt) {
  const std::string jpath = fs::join(dir, "optimizer.json");
  const std::string tpath = fs::join(dir, "optimizer.safetensors");
  fs::require_file(jpath, "train",
                   "the checkpoint has no optimizer state (saved with --save_only_model?); use "
                   "--resume_only_model true");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(fs::read_file(jpath, 64u << 20));
  } catch (const nlohmann::json::exception& e) {
    SWIFT_FAIL("[train] {}: not valid JSON ({})", jpath, str::json_error_text(e.what()));
  }
  SWIFT_CHECK(j.is_object() && j.value("format", "") == "swift.cpp optimizer state 1" &&
                  j.contains("steps") && j["steps"].is_number_integer(),
              "[train] {}: not a swift.cpp optimizer state", jpath);
  io::SafetensorsFile st(tpath);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& p : opt.params())
    for (const char* k : {".exp_avg", ".exp_avg_sq"}) {
      const auto* info = st.find(p.name + k);
      if (info) tensors[p.name + k] = io::to_tensor(st, *info);
    }
  opt.load_state(tensors, j["steps"].get<std::int64_t>());
  return j.value("global_step", j["steps"].get<std::int64_t>());
}

void write_rng_state(const std::string& dir) {
  auto gen = at::detail::getDefaultCPUGenerator();
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();
  }
  io::save_tensors(fs::join(dir, "rng_state.safetensors"), {{"cpu", state}},
                   {{"format", "swift.cpp rng state 1"}});
}

void read_rng_state(const std::string& dir) {
  const std::string path = fs::join(dir, "rng_state.safetensors");
  fs::require_file(path, "train", "the checkpoint has no RNG state; use --resume_only_model true");
  io::SafetensorsFile st(path);
  const auto* info = st.find("cpu");
  SWIFT_CHECK(info && info->dtype == io::DType::kU8, "[train] {}: no uint8 tensor 'cpu'", path);
  auto t = io::to_tensor(st, *info);
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  try {
    gen.set_state(t);
  } catch (const c10::Error&) {
    SWIFT_FAIL("[train] {}: not a CPU generator state of this libtorch", path);
  }
}

}  // namespace swift::train

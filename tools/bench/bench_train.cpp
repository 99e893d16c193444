// swift-bench train: training throughput and peak memory of the real trainer (the loop `swift
// sft` runs: forward, loss, backward with activation checkpointing, clipping, AdamW). Default
// model: a random Qwen2.5-0.5B-shaped float32 model built in memory; --tuner_type lora (r 8,
// alpha 32, all-linear: ms-swift's defaults) or full. Each step trains one --seq_len-token row
// (labels on every token); the first --warmup steps are not timed. One process per setting, so
// ru_maxrss is that setting's peak RSS. Prints a table line and one JSON line.
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "common/subtool.h"
#include "core/error.h"
#include "model/model.h"
#include "random_model.h"
#include "train/trainer.h"
#include "tuners/lora.h"

namespace {

using Clock = std::chrono::steady_clock;
using swift::bench::arg_value;

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

int run(int argc, char** argv) {
  const std::string tuner = arg_value(argc, argv, "tuner_type", "lora");
  const int seq_len = std::stoi(arg_value(argc, argv, "seq_len", "512"));
  const int steps = std::stoi(arg_value(argc, argv, "steps", "3"));
  const int warmup = std::stoi(arg_value(argc, argv, "warmup", "1"));
  const int threads = std::stoi(arg_value(argc, argv, "threads", "0"));
  const bool checkpointing = arg_value(argc, argv, "gradient_checkpointing", "true") == "true";
  const std::string device_name =
      arg_value(argc, argv, "device", torch::cuda::is_available() ? "cuda" : "cpu");
  SWIFT_CHECK(tuner == "lora" || tuner == "full", "[bench] --tuner_type lora | full, got {}",
              tuner);
  SWIFT_CHECK(seq_len >= 2 && steps >= 1 && warmup >= 0,
              "[bench] --seq_len >= 2, --steps >= 1, --warmup >= 0");
  if (threads > 0) {
    at::set_num_threads(threads);
  } else {
    swift::model::configure_cpu_threads();
  }
  at::Device device(device_name);
  SWIFT_CHECK(device.is_cpu(), "[bench] train runs on the CPU only for now (--device cpu)");

  auto t0 = Clock::now();
  auto lm = swift::bench::random_model(swift::bench::qwen25_05b_config(), at::kFloat, device);
  std::shared_ptr<swift::tuners::LoraAdapter> adapter;
  if (tuner == "lora") {
    adapter = swift::tuners::LoraAdapter::create(*lm, swift::tuners::LoraOptions{});
  } else {
    lm->set_requires_grad(true);
  }
  const double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double rss_model = peak_rss_mb();

  swift::train::TrainerOptions o;
  o.max_steps = warmup + steps;
  o.learning_rate = tuner == "lora" ? 1e-4 : 1e-5;
  o.logging_strategy = o.eval_strategy = o.save_strategy = "no";
  o.logging_first_step = false;
  o.progress_bar = false;
  o.tensorboard = false;
  o.shuffle = false;
  o.gradient_checkpointing = checkpointing;
  swift::train::Trainer trainer(lm, adapter, o);
  std::int64_t trainable = 0;
  for (const auto& p : trainer.trainable()) trainable += p.param.numel();

  // The same token rows as the Python peer: ids (i*7919 + row*104729 + 13) % (vocab - 1000).
  const auto vocab = lm->config().vocab_size;
  std::vector<swift::train::Sample> rows(static_cast<std::size_t>(warmup + steps));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (int i = 0; i < seq_len; ++i)
      rows[r].input_ids.push_back(static_cast<std::int32_t>(
          (static_cast<std::int64_t>(i) * 7919 + static_cast<std::int64_t>(r) * 104729 + 13) %
          (vocab - 1000)));
    rows[r].labels = rows[r].input_ids;
  }
  Clock::time_point timed_start = Clock::now();
  trainer.set_step_callback([&](std::int64_t step) {
    if (step == warmup) timed_start = Clock::now();
  });
  auto result = trainer.train(rows, {});
  const double secs = std::chrono::duration<double>(Clock::now() - timed_start).count();
  const double tps = static_cast<double>(steps) * seq_len / secs;
  const double peak = peak_rss_mb();
  std::cout << fmt::format(
      "model: random Qwen2.5-0.5B shape, float32, {:.1f} M parameters ({:.2f} M trainable, {}), "
      "threads {}, gradient checkpointing {}, built in {:.1f} s\n",
      lm->num_parameters() / 1e6, trainable / 1e6, tuner, at::get_num_threads(),
      checkpointing ? "on" : "off", build_s);
  std::cout << fmt::format(
      "train {} seq {}: {:.1f} tokens/s ({:.2f} s/step over {} steps), peak RSS {:.0f} MB "
      "(model {:.0f} MB), last loss {:.4f}\n",
      tuner, seq_len, tps, secs / steps, steps, peak, rss_model,
      result.steps.empty() ? 0.0 : result.steps.back().loss);
  std::cout << fmt::format(
      "{{\"tuner_type\": \"{}\", \"seq_len\": {}, \"steps\": {}, \"tokens_per_s\": {:.2f}, "
      "\"s_per_step\": {:.3f}, \"peak_rss_mb\": {:.0f}, \"model_rss_mb\": {:.0f}, "
      "\"trainable\": {}, \"last_loss\": {:.6f}}}\n",
      tuner, seq_len, steps, tps, secs / steps, peak, rss_model, trainable,
      result.steps.empty() ? 0.0 : result.steps.back().loss);
  return 0;
}

swift::tools::RegisterMode reg(
    "train",
    "[--tuner_type lora|full] [--seq_len 512] [--steps 3] [--warmup 1] [--threads N] "
    "[--gradient_checkpointing true|false]: trainer tokens/s and peak RSS (random "
    "Qwen2.5-0.5B-shaped float32 model in memory)",
    run);

}  // namespace

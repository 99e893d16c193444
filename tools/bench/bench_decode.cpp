// swift-bench decode: prefill and decode throughput of the inference engine. By default a
// Qwen2.5-0.5B-shaped model with random weights is built in memory (no download, no disk), or
// --model DIR loads a real folder. Reports prefill tokens/s (one long prompt), decode tokens/s
// at batch 1, and decode tokens/s with N concurrent requests (continuous batching).
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "common/subtool.h"
#include "core/error.h"
#include "infer/engine.h"
#include "model/model.h"
#include "random_model.h"
#include "tokenizer/tokenizer.h"

namespace {

using swift::bench::arg_value;
using swift::bench::qwen25_05b_config;
using swift::bench::random_model;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int run(int argc, char** argv) {
  const std::string model_dir = arg_value(argc, argv, "model", "");
  std::string tok_dir = arg_value(argc, argv, "tokenizer", "");
  if (tok_dir.empty()) {
    const char* home = std::getenv("HOME");
    tok_dir = model_dir.empty()
                  ? std::string(home ? home : "") + "/.cache/swift-cpp/test-assets/tokenizers/qwen3"
                  : model_dir;
  }
  const int prompt_len = std::stoi(arg_value(argc, argv, "prompt_len", "512"));
  const int new_tokens = std::stoi(arg_value(argc, argv, "new_tokens", "32"));
  const int concurrency = std::stoi(arg_value(argc, argv, "concurrency", "32"));
  // Prompt tokens of the decode requests: the context each decoded token attends to.
  const int context = std::stoi(arg_value(argc, argv, "context", "32"));
  const int threads = std::stoi(arg_value(argc, argv, "threads", "0"));
  const std::string dtype_name = arg_value(argc, argv, "dtype", "");
  const std::string device_name =
      arg_value(argc, argv, "device", torch::cuda::is_available() ? "cuda" : "cpu");
  if (threads > 0) {
    at::set_num_threads(threads);
  } else {
    swift::model::configure_cpu_threads();
  }
  at::Device device(device_name);
  at::ScalarType dtype = device.is_cuda() ? at::kBFloat16 : at::kFloat;
  if (dtype_name == "float32") dtype = at::kFloat;
  if (dtype_name == "bfloat16") dtype = at::kBFloat16;
  if (dtype_name == "float16") dtype = at::kHalf;

  auto t0 = Clock::now();
  std::shared_ptr<swift::model::CausalLM> lm;
  if (model_dir.empty()) {
    lm = random_model(qwen25_05b_config(), dtype, device);
  } else {
    swift::model::LoadOptions lo;
    lo.dtype = dtype == at::kFloat ? "float32" : dtype == at::kHalf ? "float16" : "bfloat16";
    lm = swift::model::load_causal_lm(model_dir, lo);
    SWIFT_CHECK(!device.is_cuda(), "[bench] --model with --device cuda is not wired yet");
  }
  auto tok = swift::tok::Tokenizer::from_dir(tok_dir);
  std::cout << fmt::format(
      "model: {} ({}, {:.1f} M parameters, {}), device {}, threads {}, built/loaded in {:.1f} s\n",
      model_dir.empty() ? "random Qwen2.5-0.5B shape" : model_dir, lm->architecture(),
      lm->num_parameters() / 1e6, c10::toString(dtype), device.str(), at::get_num_threads(),
      seconds_since(t0));

  const auto vocab = lm->config().vocab_size;
  auto prompt = [&](int len, int salt) {
    std::vector<std::int32_t> ids;
    for (int i = 0; i < len; ++i)
      ids.push_back(static_cast<std::int32_t>((i * 7919 + salt * 104729 + 13) % (vocab - 1000)));
    return ids;
  };
  auto request = [&](int len, int salt, int new_toks) {
    swift::infer::GenerationRequest r;
    r.prompt_ids = prompt(len, salt);
    r.sampling.temperature = 0;
    r.max_new_tokens = new_toks;
    r.ignore_eos = true;
    return r;
  };
  swift::infer::EngineOptions eo;
  eo.max_num_seqs = concurrency;
  eo.max_num_batched_tokens = std::max(prompt_len, 2048);
  swift::infer::Engine engine(lm, tok, eo);
  engine.generate({request(16, 0, 2)});  // warm-up

  // Prefill: one prompt, one new token.
  t0 = Clock::now();
  engine.generate({request(prompt_len, 1, 1)});
  const double prefill = prompt_len / seconds_since(t0);
  std::cout << fmt::format("prefill  ({} tokens)               : {:10.1f} tokens/s\n", prompt_len,
                           prefill);

  // Decode at batch 1: time the steps after the prompt.
  auto decode_rate = [&](int n) {
    std::vector<std::uint64_t> ids;
    for (int i = 0; i < n; ++i) ids.push_back(engine.submit(request(context, 100 + i, new_tokens)));
    // First step(s): prefill of every prompt plus the first token.
    const auto prefilled = engine.stats().prefill_tokens + static_cast<std::int64_t>(n) * context;
    while (engine.stats().prefill_tokens < prefilled || engine.stats().waiting > 0) engine.step();
    const auto start_tokens = engine.stats().generated_tokens;
    auto t = Clock::now();
    engine.run();
    const double s = seconds_since(t);
    const auto produced = engine.stats().generated_tokens - start_tokens;
    for (auto id : ids) engine.take_result(id);
    return produced / s;
  };
  const double d1 = decode_rate(1);
  std::cout << fmt::format("decode   batch 1, context {:5d}      : {:10.1f} tokens/s\n", context,
                           d1);
  const double dn = decode_rate(concurrency);
  std::cout << fmt::format("decode   {:3d} concurrent requests   : {:10.1f} tokens/s\n",
                           concurrency, dn);
  std::cout << fmt::format(
      "{{\"prefill_tokens_per_s\": {:.1f}, \"decode_tokens_per_s_b1\": {:.1f}, "
      "\"decode_tokens_per_s_b{}\": {:.1f}}}\n",
      prefill, d1, concurrency, dn);
  return 0;
}

swift::tools::RegisterMode reg(
    "decode",
    "[--model DIR] [--tokenizer DIR] [--prompt_len 512] [--new_tokens 32] [--concurrency 32] "
    "[--context 32 (prompt tokens of the decode requests)] "
    "[--threads N (libtorch intra-op; default 1, OpenBLAS uses every core)] [--device cpu|cuda] "
    "[--dtype float32|bfloat16]: engine prefill/decode "
    "tokens/s (default: random Qwen2.5-0.5B-shaped model in memory)",
    run);

}  // namespace

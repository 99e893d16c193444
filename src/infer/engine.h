// The inference engine behind `swift infer`, deploy, eval, sample and GRPO rollouts: requests
// (token ids + sampling settings) are scheduled with continuous batching over a block-paged KV
// cache. Each step packs every running sequence into one forward: decoding sequences contribute
// their newest token, prefilling ones a chunk of their prompt (chunked prefill within
// max_num_batched_tokens); requests join and leave between steps. Each sequence samples with
// its own seeded Sampler, so a request gives the same tokens alone or in a batch. The n choices
// of a request prefill the prompt once and share its KV blocks. With max_kv_blocks the budget
// holds for decode too: the most recently admitted sequences are preempted (blocks freed) and
// later recompute their tokens, which changes no output.
//
//   Engine engine(model, tokenizer, {.max_num_seqs = 32});
//   auto id = engine.submit(request, [](const StreamDelta& d) { std::cout << d.text; });
//   engine.run();                              // or step() from a serving loop
//   GenerationResult r = engine.take_result(id);
//
// Thread safety: submit / cancel / take_result / stats may be called from any thread while one
// thread drives step(); stream callbacks run on the stepping thread and may call cancel().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infer/sampler.h"

namespace swift::model {
class CausalLM;
}
namespace swift::tok {
class Tokenizer;
}
namespace swift::nn {
class AdapterHook;
}

namespace swift::infer {

struct EngineOptions {
  std::int64_t max_num_seqs = 256;             // sequences in flight (<= 0: unlimited)
  std::int64_t max_num_batched_tokens = 2048;  // tokens per forward step (prefill chunks)
  std::int64_t max_model_len = 0;              // prompt + generation; 0: the model's maximum
  std::int64_t block_size = 16;                // KV cache block size in tokens
  std::int64_t max_kv_blocks = 0;  // KV budget in blocks (decode preempts to keep it); 0: grow
  // Applied to requests that name no adapter (swift infer --adapters <one unnamed path>).
  std::shared_ptr<nn::AdapterHook> base_adapter;
};

struct GenerationRequest {
  std::vector<std::int32_t> prompt_ids;
  SamplingParams sampling;
  std::int64_t max_new_tokens = -1;          // < 0: up to max_model_len
  std::vector<std::string> stop;             // stop strings, cut from the text
  bool include_stop_str_in_output = false;   // keep the matched stop string (ms-swift infer)
  std::vector<std::int32_t> stop_token_ids;  // EOS ids: finish, never shown
  bool ignore_eos = false;
  int n = 1;  // choices; choice i samples with seed + i
  bool logprobs = false;
  bool skip_special_tokens = true;
  std::string adapter;  // "" = the base model (with EngineOptions::base_adapter, if any)
};

struct Choice {
  int index = 0;
  std::string text;
  std::vector<std::int32_t> token_ids;  // generated ids, the final EOS included
  std::vector<SampledToken> logprobs;   // one per generated id when requested
  std::string finish_reason;            // "stop" | "length" | "cancelled"
};

struct GenerationResult {
  std::uint64_t id = 0;
  std::vector<Choice> choices;
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  bool finished = false;
  // Set when the engine had to end a choice early, e.g. "[infer] ... KV budget ..." when one
  // sequence alone outgrows max_kv_blocks (that choice then finishes with "length").
  std::string error;
};

struct StreamDelta {
  std::uint64_t request = 0;
  int choice = 0;
  std::string text;                       // text that became final (may be empty)
  std::int32_t token = -1;                // the id just generated (-1: none)
  const SampledToken* sampled = nullptr;  // its logprobs when requested
  bool finished = false;
  std::string finish_reason;
};
using StreamCallback = std::function<void(const StreamDelta&)>;

struct EngineStats {
  std::int64_t waiting = 0, running = 0;  // waiting: requests + preempted sequences
  std::int64_t kv_blocks = 0, kv_free_blocks = 0, kv_sequences = 0;
  std::int64_t steps = 0, prompt_tokens = 0, generated_tokens = 0;
  std::int64_t kv_used_blocks = 0;  // blocks held by at least one sequence (<= max_kv_blocks)
  std::int64_t preemptions = 0;     // sequences sent back to recompute for lack of KV blocks
  std::int64_t prefill_tokens = 0;  // tokens run through prefill forwards (recompute included)
  // Prompt tokens the choices 1..n-1 of a request took from choice 0's cache instead of
  // prefilling them again.
  std::int64_t prefix_shared_tokens = 0;
};

class Engine {
 public:
  Engine(std::shared_ptr<model::CausalLM> model,
         std::shared_ptr<const tok::Tokenizer> tokenizer,
         EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A named adapter requests can pick (several may be loaded at once).
  void add_adapter(const std::string& name, std::shared_ptr<nn::AdapterHook> hook);
  bool has_adapter(const std::string& name) const;
  std::vector<std::string> adapter_names() const;

  // Validates and queues a request; throws swift::Error naming what is wrong (empty prompt,
  // prompt longer than max_model_len, unknown adapter, bad sampling values).
  std::uint64_t submit(GenerationRequest request, StreamCallback on_delta = {});
  // Finishes a request now ("cancelled") and returns its KV blocks; unknown ids are ignored.
  void cancel(std::uint64_t id);

  bool step();  // one scheduling step; false when there was nothing to do
  void run();   // steps until every submitted request has finished
  bool idle() const;

  bool finished(std::uint64_t id) const;
  // The result of a finished request (removed from the engine); throws if it is not finished.
  GenerationResult take_result(std::uint64_t id);

  // Submits all, runs to completion, returns the results in request order.
  std::vector<GenerationResult> generate(std::vector<GenerationRequest> requests);

  EngineStats stats() const;
  const EngineOptions& options() const;
  std::int64_t max_model_len() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace swift::infer

// Public model API: load a Hugging Face causal-LM folder (config.json + safetensors) into a
// CausalLM for any architecture of the registry, with validated weights.
//
//   auto lm = swift::model::load_causal_lm("/path/to/Qwen3-0.6B");
//   auto batch = swift::model::pack_rows(ids);          // or pack_padded(ids, mask, positions)
//   at::Tensor logits = lm->forward(batch);              // [T, V]
#pragma once

#include <memory>
#include <string>

#include "model/causal_lm.h"
#include "model/config.h"
#include "model/registry.h"

namespace swift::model {

struct LoadOptions {
  // Weights of any float dtype load into this compute dtype ("float32", "bfloat16", "float16").
  std::string dtype = "float32";
  bool requires_grad = false;
};

// Resolves config + registry row, then loads and validates every tensor: a missing tensor, an
// unexpected tensor or a wrong shape throws swift::Error naming the tensor.
std::unique_ptr<CausalLM> load_causal_lm(const std::string& dir, const LoadOptions& options = {});
// Throws a clear error when forwards in `dtype` cannot run on this CPU's libtorch (float16 on
// builds without half-precision matmul, such as Debian's 1.13). Merging in float16 still works.
void check_cpu_compute_dtype(const std::string& dtype);

// CPU threading for model work: one libtorch intra-op thread unless SWIFT_NUM_THREADS or
// OMP_NUM_THREADS ask otherwise. Debian's libtorch calls the pthreads OpenBLAS, whose own pool
// already uses every core for the matrix products; a second (OpenMP) pool on the same cores made
// decoding 2-4x slower on the 2-core machine (swift-bench decode). Returns the thread count.
int configure_cpu_threads();

// Config with the architecture's defaults applied (no weights read). Throws for unknown archs.
ModelConfig resolve_config(const std::string& dir, const ArchSpec** spec_out = nullptr);

}  // namespace swift::model

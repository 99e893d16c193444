// Rotary position embeddings: inverse frequencies for every rope type transformers knows
// (default, linear, dynamic, llama3, yarn, longrope) and their application in the half-split
// (rotate_half) or interleaved (pairs 2i, 2i+1) layout, on the first rotary_dim dims of a head.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <utility>

#include "model/config.h"

namespace swift::nn {

struct RopeFreqs {
  at::Tensor inv_freq;  // [rotary_dim / 2] float32
  double attention_scaling = 1.0;
  std::int64_t rotary_dim = 0;
};

// `seq_len` is the longest position + 1 of the current call (dynamic and longrope depend on it).
RopeFreqs rope_frequencies(const model::RopeParams& p,
                           std::int64_t head_dim,
                           std::int64_t max_position_embeddings,
                           std::int64_t seq_len);

// cos/sin for positions [T] (int64) -> each [T, rotary_dim], float32, already scaled.
std::pair<at::Tensor, at::Tensor> rope_cos_sin(const RopeFreqs& f, const at::Tensor& positions);

// x [T, heads, head_dim]; rotates the first cos.size(-1) dims, passes the rest through.
at::Tensor apply_rope(const at::Tensor& x,
                      const at::Tensor& cos,
                      const at::Tensor& sin,
                      bool interleaved);

}  // namespace swift::nn

// Attention over one sequence: the reference backend (matmul + mask) supporting every feature the
// registry can ask for (GQA, sliding windows, logit soft-capping, attention sinks, a value head
// dim different from the key head dim), and SDPA where libtorch >= 2 has it.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace swift::nn {

struct AttentionOptions {
  double scale = 1.0;
  double softcap = 0.0;     // 0: off
  std::int64_t window = 0;  // 0: full causal; else key j visible to query i iff i - j < window
  at::Tensor sinks;         // [heads] or undefined
};

// q [Lq, H, Dk], k [Lk, KVH, Dk], v [Lk, KVH, Dv]; queries sit at key indices
// q_offset .. q_offset + Lq - 1 (prefill: 0; decode after a cache: Lk - Lq). Causal.
// Returns [Lq, H, Dv].
// The backend the model calls: SDPA (torch >= 2.1) when the call needs no feature SDPA lacks
// (soft-capping, sinks), else the reference. SWIFT_ATTN_BACKEND=reference forces the reference.
at::Tensor attention(const at::Tensor& q,
                     const at::Tensor& k,
                     const at::Tensor& v,
                     std::int64_t q_offset,
                     const AttentionOptions& opt);

// Which backend attention() takes for a call with these options on this build: SDPA when it was
// compiled in (libtorch >= 2.1), not switched off by SWIFT_ATTN_BACKEND=reference, and the call
// needs no feature SDPA lacks.
enum class AttentionBackend { kReference, kSdpa };
AttentionBackend attention_backend(const AttentionOptions& opt);
// True when this build has the SDPA backend at all (libtorch >= 2.1).
bool sdpa_compiled();

at::Tensor attention_reference(const at::Tensor& q,
                               const at::Tensor& k,
                               const at::Tensor& v,
                               std::int64_t q_offset,
                               const AttentionOptions& opt);

}  // namespace swift::nn

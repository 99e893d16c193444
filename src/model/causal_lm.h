// CausalLM: the shared decoder every registry row composes (embeddings, N decoder layers of
// attention + dense/MoE MLP with the row's norm placement, final norm, LM head). Parameters live
// in one map keyed by transformers' in-memory names (the names of `named_parameters()`, so
// gradients compare by name); the forward runs on a packed token batch.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/registry.h"
#include "nn/adapter_hook.h"
#include "nn/kv_cache.h"

namespace swift::model {

// Flat tokens of several sequences: input_ids [T], position_ids [T] (int64),
// cu_seqlens {0, len0, len0+len1, ...}. Attention never crosses a cu_seqlens boundary, so packed
// samples and padding-free batches are the same thing.
struct PackedBatch {
  at::Tensor input_ids;
  at::Tensor position_ids;
  std::vector<std::int64_t> cu_seqlens;
};

// Decode state: which cache sequence each packed sequence continues.
struct KvContext {
  nn::PagedKvCache* cache = nullptr;
  std::vector<std::int64_t> seq_ids;  // one per sequence of the batch
};

// Everything one forward call needs besides the weights. The model keeps no per-call state: two
// callers (a trainer and an engine, or two engine steps with different adapters) can share it.
struct ForwardContext {
  nn::AdapterHook* adapters = nullptr;  // applied to this call only (null: the base model)
  KvContext* kv = nullptr;              // decode state: keys/values appended, prefix attended
  // Rows of the packed batch whose outputs are wanted (e.g. each sequence's last token while
  // decoding); empty: every row.
  std::vector<std::int64_t> rows;
  bool want_logits = true;
  bool want_hidden = false;  // last hidden states (after the final norm)
  bool training = false;     // a training forward: adapter dropout is active
  // Recompute each decoder layer in the backward pass instead of keeping its activations
  // (--gradient_checkpointing); only matters when gradients are being recorded.
  bool checkpoint_layers = false;
};

struct ForwardOutput {
  at::Tensor logits;  // [rows, V] (float32 for float32 weights)
  at::Tensor hidden;  // [rows, H] when want_hidden
};

struct ParamSpec {
  std::string name;
  std::vector<std::int64_t> shape;
};

class CausalLM {
 public:
  CausalLM(ModelConfig config, const ArchSpec& spec);

  const ModelConfig& config() const { return config_; }
  const ArchSpec& spec() const { return spec_; }
  std::string architecture() const;

  // Every parameter the model expects (in-memory names, shapes), in a stable order.
  const std::vector<ParamSpec>& expected_parameters() const { return expected_; }
  std::map<std::string, at::Tensor>& parameters() { return params_; }
  const std::map<std::string, at::Tensor>& parameters() const { return params_; }
  at::Tensor& parameter(const std::string& name);
  const at::Tensor& parameter(const std::string& name) const;
  std::int64_t num_parameters() const;
  void set_requires_grad(bool on);

  // One forward over a packed batch with what `ctx` asks for. With ctx.kv, new keys/values are
  // appended to the cache and attention sees each sequence's cached prefix.
  ForwardOutput run(const PackedBatch& batch, const ForwardContext& ctx = {}) const;
  // Logits only: [T, V] (or [ctx.rows.size(), V]).
  at::Tensor forward(const PackedBatch& batch, const ForwardContext& ctx = {}) const {
    return run(batch, ctx).logits;
  }

  // Greedy continuation of one prompt: `max_new_tokens` ids, no EOS stop unless eos >= 0.
  std::vector<std::int64_t> generate_greedy(const std::vector<std::int64_t>& prompt,
                                            std::int64_t max_new_tokens,
                                            std::int64_t eos = -1,
                                            nn::AdapterHook* adapters = nullptr) const;

  // Per-call state of one forward (model/call.h): the context, the batch and its rope tables.
  struct Call;
  // Decoder layer i on hidden states x [T, H]: the seam activation checkpointing recomputes.
  at::Tensor decoder_layer(std::int64_t i, const at::Tensor& x, const Call& call) const;

  std::int64_t cache_k_dim() const;
  std::int64_t cache_v_dim() const;
  std::int64_t cache_kv_heads() const;

 private:
  // parameter through the call's adapters
  at::Tensor p(const std::string& name, const Call& call) const;
  bool has_param(const std::string& name) const { return params_.count(name) != 0; }
  at::Tensor linear(const std::string& module, const at::Tensor& x, const Call& call) const;
  at::Tensor norm(const std::string& name, const at::Tensor& x, const Call& call) const;
  at::Tensor attention(std::int64_t layer, const at::Tensor& h, const Call& call) const;
  // q [T, NH, Dk], k [T, KVH, Dk], v [T, KVH, Dv] after norms and rope.
  void project_qkv(std::int64_t layer,
                   const at::Tensor& h,
                   const Call& call,
                   at::Tensor* q,
                   at::Tensor* k,
                   at::Tensor* v) const;
  void project_mla(std::int64_t layer,
                   const at::Tensor& h,
                   const Call& call,
                   at::Tensor* q,
                   at::Tensor* k,
                   at::Tensor* v) const;
  at::Tensor mlp(const std::string& module, const at::Tensor& h, const Call& call) const;
  at::Tensor moe(std::int64_t layer, const at::Tensor& h, const Call& call) const;
  void build_expected();

  ModelConfig config_;
  const ArchSpec& spec_;
  std::vector<ParamSpec> expected_;
  std::map<std::string, at::Tensor> params_;
};

// Next-token cross-entropy over a packed batch: labels [T] with -100 ignored, shifted inside each
// sequence (token t predicts label t+1), mean over counted tokens. logits [T, V].
at::Tensor causal_lm_loss(const at::Tensor& logits,
                          const at::Tensor& labels,
                          const std::vector<std::int64_t>& cu_seqlens);

// The same loss as a sum and a count, so a trainer can take the token mean over a whole
// gradient-accumulation window: sum over counted tokens of loss_scale[t+1] * CE(t) (loss_scale
// [T] aligned with labels, undefined: 1), and the number of counted tokens.
struct LossSum {
  at::Tensor sum;  // scalar, float32, differentiable
  std::int64_t tokens = 0;
};
// Shifted targets [T]: label t+1 of the same sequence, -100 at each sequence's last token.
at::Tensor shifted_targets(const at::Tensor& labels, const std::vector<std::int64_t>& cu_seqlens);
LossSum causal_lm_loss_sum(const at::Tensor& logits,
                           const at::Tensor& labels,
                           const std::vector<std::int64_t>& cu_seqlens,
                           const at::Tensor& loss_scale = {});

// Padded batches at the edge: ids/mask/positions [B, S] -> packed (mask == 1 tokens only).
PackedBatch pack_padded(const at::Tensor& input_ids,
                        const at::Tensor& attention_mask,
                        const at::Tensor& position_ids);
// Rows of equal length without padding: positions 0..S-1.
PackedBatch pack_rows(const at::Tensor& input_ids);
// Packed logits [T, V] back to [B, S, V] (zeros where mask == 0).
at::Tensor unpack_padded(const at::Tensor& packed, const at::Tensor& attention_mask);

}  // namespace swift::model

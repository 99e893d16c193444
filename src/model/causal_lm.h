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
// cu_seqlens {0, len0, len0+len1, ...}.
struct PackedBatch {
  at::Tensor input_ids;
  at::Tensor position_ids;
  std::vector<std::int64_t> cu_seqlens;
  // Rows of the packed batch whose logits are wanted (e.g. each sequence's last token while
  // decoding); empty: every row. forward() then returns [logit_rows.size(), V].
  std::vector<std::int64_t> logit_rows;
};

// Decode state: which cache sequence each packed sequence continues.
struct KvContext {
  nn::PagedKvCache* cache = nullptr;
  std::vector<std::int64_t> seq_ids;  // one per sequence of the batch
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
  std::int64_t num_parameters() const;
  void set_requires_grad(bool on);

  void set_adapter_hook(std::shared_ptr<nn::AdapterHook> hook) { hook_ = std::move(hook); }
  const std::shared_ptr<nn::AdapterHook>& adapter_hook() const { return hook_; }

  // logits [T, V] (float32 for float32 weights; only batch.logit_rows when given). With a
  // KvContext, new keys/values are appended to the cache and attention sees each sequence's cached
  // prefix.
  at::Tensor forward(const PackedBatch& batch, KvContext* kv = nullptr);

  // Greedy continuation of one prompt: `max_new_tokens` ids, no EOS stop unless eos >= 0.
  std::vector<std::int64_t> generate_greedy(const std::vector<std::int64_t>& prompt,
                                            std::int64_t max_new_tokens,
                                            std::int64_t eos = -1);

  std::int64_t cache_k_dim() const;
  std::int64_t cache_v_dim() const;
  std::int64_t cache_kv_heads() const;

 private:
  at::Tensor p(const std::string& name);  // parameter through the adapter hook
  bool has_param(const std::string& name) const { return params_.count(name) != 0; }
  at::Tensor linear(const std::string& module, const at::Tensor& x);
  at::Tensor norm(const std::string& name, const at::Tensor& x);
  at::Tensor attention(std::int64_t layer,
                       const at::Tensor& h,
                       const PackedBatch& batch,
                       KvContext* kv);
  // q [T, NH, Dk], k [T, KVH, Dk], v [T, KVH, Dv] after norms and rope.
  void project_qkv(
      std::int64_t layer, const at::Tensor& h, at::Tensor* q, at::Tensor* k, at::Tensor* v);
  void project_mla(
      std::int64_t layer, const at::Tensor& h, at::Tensor* q, at::Tensor* k, at::Tensor* v);
  at::Tensor mlp(const std::string& module, const at::Tensor& h);
  at::Tensor moe(std::int64_t layer, const at::Tensor& h);
  void build_expected();

  ModelConfig config_;
  const ArchSpec& spec_;
  std::vector<ParamSpec> expected_;
  std::map<std::string, at::Tensor> params_;
  std::shared_ptr<nn::AdapterHook> hook_;
  std::map<std::string, std::pair<at::Tensor, at::Tensor>> rope_tables_;  // layer type -> cos, sin
};

// Next-token cross-entropy over a packed batch: labels [T] with -100 ignored, shifted inside each
// sequence (token t predicts label t+1), mean over counted tokens. logits [T, V].
at::Tensor causal_lm_loss(const at::Tensor& logits,
                          const at::Tensor& labels,
                          const std::vector<std::int64_t>& cu_seqlens);

// Padded batches at the edge: ids/mask/positions [B, S] -> packed (mask == 1 tokens only).
PackedBatch pack_padded(const at::Tensor& input_ids,
                        const at::Tensor& attention_mask,
                        const at::Tensor& position_ids);
// Rows of equal length without padding: positions 0..S-1.
PackedBatch pack_rows(const at::Tensor& input_ids);
// Packed logits [T, V] back to [B, S, V] (zeros where mask == 0).
at::Tensor unpack_padded(const at::Tensor& packed, const at::Tensor& attention_mask);

}  // namespace swift::model

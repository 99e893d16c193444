// The shared decoder: parameter table, forward over a packed batch, greedy generation. The
// per-layer blocks (attention, MLA, dense MLP, MoE) are in model/layers.cpp.
#include "model/causal_lm.h"

#include "model/call.h"
#include "model/checkpoint_layer.h"

#include <torch/torch.h>

#include "core/error.h"
#include "nn/ops.h"
#include "nn/rope.h"

namespace swift::model {

CausalLM::CausalLM(ModelConfig config, const ArchSpec& spec)
    : config_(std::move(config)), spec_(spec) {
  build_expected();
}

std::string CausalLM::architecture() const {
  return config_.architecture.empty() ? config_.model_type : config_.architecture;
}

void CausalLM::build_expected() {
  const auto& c = config_;
  const std::int64_t H = c.hidden_size, V = c.vocab_size, NH = c.num_heads, KV = c.num_kv_heads,
                     D = c.head_dim, I = c.intermediate_size;
  auto add = [&](const std::string& n, std::vector<std::int64_t> s) {
    expected_.push_back({n, std::move(s)});
  };
  add("model.embed_tokens.weight", {V, H});
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const std::string pre = "model.layers." + std::to_string(i) + ".";
    switch (spec_.placement) {
      case NormPlacement::kPre:
        add(pre + "input_layernorm.weight", {H});
        add(pre + "post_attention_layernorm.weight", {H});
        break;
      case NormPlacement::kSandwich:
        add(pre + "input_layernorm.weight", {H});
        add(pre + "post_attention_layernorm.weight", {H});
        add(pre + "pre_feedforward_layernorm.weight", {H});
        add(pre + "post_feedforward_layernorm.weight", {H});
        break;
      case NormPlacement::kPost:
        add(pre + "post_attention_layernorm.weight", {H});
        add(pre + "post_feedforward_layernorm.weight", {H});
        break;
      case NormPlacement::kGlm:
        add(pre + "input_layernorm.weight", {H});
        add(pre + "post_self_attn_layernorm.weight", {H});
        add(pre + "post_attention_layernorm.weight", {H});
        add(pre + "post_mlp_layernorm.weight", {H});
        break;
    }
    const std::string at = pre + "self_attn.";
    if (spec_.attention == AttentionKind::kMla) {
      const std::int64_t qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
      if (c.q_lora_rank > 0) {
        add(at + "q_a_proj.weight", {c.q_lora_rank, H});
        if (c.attention_bias) add(at + "q_a_proj.bias", {c.q_lora_rank});
        add(at + "q_a_layernorm.weight", {c.q_lora_rank});
        add(at + "q_b_proj.weight", {NH * qk, c.q_lora_rank});
      } else {
        add(at + "q_proj.weight", {NH * qk, H});
      }
      add(at + "kv_a_proj_with_mqa.weight", {c.kv_lora_rank + c.qk_rope_head_dim, H});
      if (c.attention_bias)
        add(at + "kv_a_proj_with_mqa.bias", {c.kv_lora_rank + c.qk_rope_head_dim});
      add(at + "kv_a_layernorm.weight", {c.kv_lora_rank});
      add(at + "kv_b_proj.weight", {NH * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank});
      add(at + "o_proj.weight", {H, NH * c.v_head_dim});
      if (c.attention_bias) add(at + "o_proj.bias", {H});
    } else {
      if (spec_.fused_qkv) {
        add(at + "qkv_proj.weight", {(NH + 2 * KV) * D, H});
        if (c.attention_bias) add(at + "qkv_proj.bias", {(NH + 2 * KV) * D});
      } else {
        add(at + "q_proj.weight", {NH * D, H});
        if (c.attention_bias) add(at + "q_proj.bias", {NH * D});
        add(at + "k_proj.weight", {KV * D, H});
        if (c.attention_bias) add(at + "k_proj.bias", {KV * D});
        add(at + "v_proj.weight", {KV * D, H});
        if (c.attention_bias) add(at + "v_proj.bias", {KV * D});
      }
      add(at + "o_proj.weight", {H, NH * D});
      if (c.o_proj_bias) add(at + "o_proj.bias", {H});
      if (spec_.qk_norm == QkNorm::kPerHead) {
        add(at + "q_norm.weight", {D});
        add(at + "k_norm.weight", {D});
      } else if (spec_.qk_norm == QkNorm::kFull) {
        add(at + "q_norm.weight", {NH * D});
        add(at + "k_norm.weight", {KV * D});
      }
      if (spec_.attention_sinks) add(at + "sinks", {NH});
    }
    const std::string mp = pre + "mlp.";
    if (c.layer_is_moe[i]) {
      const std::int64_t E = c.num_experts, MI = c.moe_intermediate_size;
      add(mp + spec_.router_name + ".weight", {E, H});
      if (spec_.router_bias) add(mp + spec_.router_name + ".bias", {E});
      if (spec_.routing == MoeRouting::kSigmoidGroup)
        add(mp + spec_.router_name + ".e_score_correction_bias", {E});
      if (spec_.expert_layout == ExpertLayout::kGateUpRows) {
        add(mp + "experts.gate_up_proj", {E, 2 * MI, H});
        add(mp + "experts.down_proj", {E, H, MI});
      } else {
        add(mp + "experts.gate_up_proj", {E, H, 2 * MI});
        add(mp + "experts.gate_up_proj_bias", {E, 2 * MI});
        add(mp + "experts.down_proj", {E, MI, H});
        add(mp + "experts.down_proj_bias", {E, H});
      }
      if (spec_.shared_expert != SharedExpert::kNone) {
        const bool gated = spec_.shared_expert == SharedExpert::kGated;
        const std::string sp = mp + (gated ? "shared_expert." : "shared_experts.");
        const std::int64_t SI = gated ? c.shared_expert_intermediate_size
                                      : MI * std::max<std::int64_t>(1, c.n_shared_experts);
        add(sp + "gate_proj.weight", {SI, H});
        add(sp + "up_proj.weight", {SI, H});
        add(sp + "down_proj.weight", {H, SI});
        if (gated) add(mp + "shared_expert_gate.weight", {1, H});
      }
    } else if (spec_.fused_gate_up) {
      add(mp + "gate_up_proj.weight", {2 * I, H});
      add(mp + "down_proj.weight", {H, I});
    } else {
      add(mp + "gate_proj.weight", {I, H});
      if (c.mlp_bias) add(mp + "gate_proj.bias", {I});
      add(mp + "up_proj.weight", {I, H});
      if (c.mlp_bias) add(mp + "up_proj.bias", {I});
      add(mp + "down_proj.weight", {H, I});
      if (c.mlp_bias) add(mp + "down_proj.bias", {H});
    }
  }
  add("model.norm.weight", {H});
  if (!c.tie_word_embeddings) add("lm_head.weight", {V, H});
}

at::Tensor& CausalLM::parameter(const std::string& name) {
  auto it = params_.find(name);
  SWIFT_CHECK(it != params_.end(), "[model] no parameter named {}", name);
  return it->second;
}

const at::Tensor& CausalLM::parameter(const std::string& name) const {
  auto it = params_.find(name);
  SWIFT_CHECK(it != params_.end(), "[model] no parameter named {}", name);
  return it->second;
}

std::int64_t CausalLM::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& [name, t] : params_)
    if (name.find("e_score_correction_bias") == std::string::npos) n += t.numel();
  return n;
}

void CausalLM::set_requires_grad(bool on) {
  for (auto& [name, t] : params_) {
    bool buffer = name.find("e_score_correction_bias") != std::string::npos;
    t.set_requires_grad(on && !buffer);
  }
}

at::Tensor CausalLM::p(const std::string& name, const Call& call) const {
  auto it = params_.find(name);
  SWIFT_CHECK(it != params_.end(), "[model] missing parameter {}", name);
  return call.hook() ? call.hook()->param(name, it->second) : it->second;
}

at::Tensor CausalLM::linear(const std::string& module,
                            const at::Tensor& x,
                            const Call& call) const {
  at::Tensor w = p(module + ".weight", call);
  at::Tensor b = has_param(module + ".bias") ? p(module + ".bias", call) : at::Tensor();
  if (call.hook()) {
    at::Tensor r = call.hook()->linear(module, x, w, b, call.ctx.training);
    if (r.defined()) return r;
  }
  return torch::nn::functional::linear(x, w, b);
}

at::Tensor CausalLM::norm(const std::string& name, const at::Tensor& x, const Call& call) const {
  return nn::rms_norm(x, p(name, call), config_.rms_norm_eps, spec_.norm == NormKind::kGemmaRms);
}

at::Tensor CausalLM::decoder_layer(std::int64_t i, const at::Tensor& x_in, const Call& call) const {
  const auto& c = config_;
  const std::string pre = "model.layers." + std::to_string(i) + ".";
  auto mlp_block = [&](const at::Tensor& h) {
    return c.layer_is_moe[i] ? moe(i, h, call) : mlp(pre + "mlp", h, call);
  };
  at::Tensor x = x_in;
  switch (spec_.placement) {
    case NormPlacement::kPre: {
      x = x + attention(i, norm(pre + "input_layernorm.weight", x, call), call);
      x = x + mlp_block(norm(pre + "post_attention_layernorm.weight", x, call));
      break;
    }
    case NormPlacement::kSandwich: {
      auto a = attention(i, norm(pre + "input_layernorm.weight", x, call), call);
      x = x + norm(pre + "post_attention_layernorm.weight", a, call);
      auto m = mlp_block(norm(pre + "pre_feedforward_layernorm.weight", x, call));
      x = x + norm(pre + "post_feedforward_layernorm.weight", m, call);
      break;
    }
    case NormPlacement::kPost: {
      x = x + norm(pre + "post_attention_layernorm.weight", attention(i, x, call), call);
      x = x + norm(pre + "post_feedforward_layernorm.weight", mlp_block(x), call);
      break;
    }
    case NormPlacement::kGlm: {
      auto a = attention(i, norm(pre + "input_layernorm.weight", x, call), call);
      x = x + norm(pre + "post_self_attn_layernorm.weight", a, call);
      auto m = mlp_block(norm(pre + "post_attention_layernorm.weight", x, call));
      x = x + norm(pre + "post_mlp_layernorm.weight", m, call);
      break;
    }
  }
  return x;
}

ForwardOutput CausalLM::run(const PackedBatch& batch, const ForwardContext& ctx) const {
  const auto& c = config_;
  const std::int64_t T = batch.input_ids.size(0);
  SWIFT_CHECK(batch.position_ids.size(0) == T && batch.cu_seqlens.size() >= 2 &&
                  batch.cu_seqlens.front() == 0 && batch.cu_seqlens.back() == T,
              "[model] packed batch is inconsistent: {} tokens, cu_seqlens ends at {}", T,
              batch.cu_seqlens.empty() ? -1 : batch.cu_seqlens.back());
  for (std::size_t s = 0; s + 1 < batch.cu_seqlens.size(); ++s)
    SWIFT_CHECK(batch.cu_seqlens[s] <= batch.cu_seqlens[s + 1],
                "[model] packed batch: cu_seqlens must not decrease (entry {})", s + 1);
  KvContext* kv = ctx.kv;
  if (kv) {
    SWIFT_CHECK(kv->cache && kv->seq_ids.size() + 1 == batch.cu_seqlens.size(),
                "[model] KvContext needs one cache sequence per packed sequence");
  }
  SWIFT_CHECK(!ctx.checkpoint_layers || !kv,
              "[model] activation checkpointing cannot be combined with a KV cache");
  Call call{ctx, batch, {}};
  auto ids = batch.input_ids.to(torch::kInt64);
  at::Tensor x = torch::embedding(p("model.embed_tokens.weight", call), ids);  // [T, H]
  if (spec_.embed_scale) {
    x = x * torch::tensor(std::sqrt(static_cast<double>(c.hidden_size))).to(x.scalar_type());
  }
  // Rope tables for this call, one per layer type.
  const std::int64_t max_pos = T ? batch.position_ids.max().item<std::int64_t>() : 0;
  for (const auto& [type, params] : c.rope) {
    auto freqs =
        nn::rope_frequencies(params, c.rope_head_dim, c.max_position_embeddings, max_pos + 1);
    call.rope[type] = nn::rope_cos_sin(freqs, batch.position_ids.to(torch::kInt64));
  }
  const bool recompute = ctx.checkpoint_layers && at::GradMode::is_enabled();
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    x = recompute ? checkpointed_layer(*this, i, x, call) : decoder_layer(i, x, call);
  }
  if (kv) {
    for (std::size_t s = 0; s + 1 < batch.cu_seqlens.size(); ++s)
      kv->cache->commit(kv->seq_ids[s], batch.cu_seqlens[s + 1] - batch.cu_seqlens[s]);
  }
  if (!ctx.rows.empty()) {
    x = x.index_select(0, torch::tensor(ctx.rows, torch::kInt64).to(x.device()));
  }
  ForwardOutput out;
  x = norm("model.norm.weight", x, call);
  if (ctx.want_hidden) out.hidden = x;
  if (!ctx.want_logits) return out;
  at::Tensor logits;
  if (c.tie_word_embeddings) {
    at::Tensor w = p("model.embed_tokens.weight", call);
    if (call.hook()) logits = call.hook()->linear("lm_head", x, w, at::Tensor(), call.ctx.training);
    if (!logits.defined()) logits = torch::nn::functional::linear(x, w);
  } else {
    logits = linear("lm_head", x, call);
  }
  if (c.final_softcap > 0) logits = nn::soft_cap(logits, c.final_softcap);
  out.logits = logits;  // [T, V]
  return out;
}

std::int64_t CausalLM::cache_kv_heads() const {
  return spec_.attention == AttentionKind::kMla ? config_.num_heads : config_.num_kv_heads;
}
std::int64_t CausalLM::cache_k_dim() const {
  return spec_.attention == AttentionKind::kMla
             ? config_.qk_nope_head_dim + config_.qk_rope_head_dim
             : config_.head_dim;
}
std::int64_t CausalLM::cache_v_dim() const {
  return spec_.attention == AttentionKind::kMla ? config_.v_head_dim : config_.head_dim;
}

std::vector<std::int64_t> CausalLM::generate_greedy(const std::vector<std::int64_t>& prompt,
                                                    std::int64_t max_new_tokens,
                                                    std::int64_t eos,
                                                    nn::AdapterHook* adapters) const {
  SWIFT_CHECK(!prompt.empty(), "[model] generate needs a non-empty prompt");
  torch::NoGradGuard no_grad;
  nn::PagedKvCache cache(config_.num_layers, cache_kv_heads(), cache_k_dim(), cache_v_dim());
  KvContext kv{&cache, {cache.add_sequence()}};
  ForwardContext ctx;
  ctx.adapters = adapters;
  ctx.kv = &kv;
  std::vector<std::int64_t> out;
  PackedBatch b;
  b.input_ids = torch::tensor(prompt, torch::kInt64);
  b.position_ids = torch::arange(static_cast<std::int64_t>(prompt.size()), torch::kInt64);
  b.cu_seqlens = {0, static_cast<std::int64_t>(prompt.size())};
  std::int64_t pos = static_cast<std::int64_t>(prompt.size());
  for (std::int64_t step = 0; step < max_new_tokens; ++step) {
    auto logits = forward(b, ctx);
    std::int64_t next = logits[logits.size(0) - 1].argmax().item<std::int64_t>();
    out.push_back(next);
    if (eos >= 0 && next == eos) break;
    b.input_ids = torch::tensor({next}, torch::kInt64);
    b.position_ids = torch::tensor({pos++}, torch::kInt64);
    b.cu_seqlens = {0, 1};
  }
  return out;
}

}  // namespace swift::model

// The decoder's per-layer blocks: attention (standard and multi-head latent), dense MLP and
// mixture-of-experts. Which variant runs is decided by the registry row's flags only.
#include <torch/torch.h>

#include "core/error.h"
#include "model/call.h"
#include "model/causal_lm.h"
#include "nn/attention.h"
#include "nn/ops.h"
#include "nn/rope.h"

namespace swift::model {
namespace {

nn::Act act_of(const ArchSpec& spec, const ModelConfig& c) {
  if (spec.activation == Activation::kGeluTanh) return nn::Act::kGeluTanh;
  return c.act;
}

std::string layer_prefix(std::int64_t i) {
  return "model.layers." + std::to_string(i) + ".";
}

}  // namespace

void CausalLM::project_qkv(std::int64_t layer,
                           const at::Tensor& h,
                           const Call& call,
                           at::Tensor* q,
                           at::Tensor* k,
                           at::Tensor* v) const {
  const auto& c = config_;
  const std::string at = layer_prefix(layer) + "self_attn.";
  const std::int64_t T = h.size(0), NH = c.num_heads, KV = c.num_kv_heads, D = c.head_dim;
  if (spec_.fused_qkv) {
    auto qkv = linear(at + "qkv_proj", h, call);  // [T, (NH + 2 KV) D]
    *q = qkv.narrow(-1, 0, NH * D);
    *k = qkv.narrow(-1, NH * D, KV * D);
    *v = qkv.narrow(-1, (NH + KV) * D, KV * D);
  } else {
    *q = linear(at + "q_proj", h, call);
    *k = linear(at + "k_proj", h, call);
    *v = linear(at + "v_proj", h, call);
  }
  const bool gemma = spec_.norm == NormKind::kGemmaRms;
  if (spec_.qk_norm == QkNorm::kFull) {
    *q = nn::rms_norm(*q, p(at + "q_norm.weight", call), c.rms_norm_eps, gemma);
    *k = nn::rms_norm(*k, p(at + "k_norm.weight", call), c.rms_norm_eps, gemma);
  }
  *q = q->reshape({T, NH, D});  // [T, NH, D]
  *k = k->reshape({T, KV, D});  // [T, KV, D]
  *v = v->reshape({T, KV, D});
  if (spec_.qk_norm == QkNorm::kPerHead) {
    *q = nn::rms_norm(*q, p(at + "q_norm.weight", call), c.rms_norm_eps, gemma);
    *k = nn::rms_norm(*k, p(at + "k_norm.weight", call), c.rms_norm_eps, gemma);
  }
  const auto& cs = call.rope.at(c.is_sliding(layer) ? "sliding_attention" : "full_attention");
  *q = nn::apply_rope(*q, cs.first, cs.second, c.rope_interleave);
  *k = nn::apply_rope(*k, cs.first, cs.second, c.rope_interleave);
}

void CausalLM::project_mla(std::int64_t layer,
                           const at::Tensor& h,
                           const Call& call,
                           at::Tensor* q,
                           at::Tensor* k,
                           at::Tensor* v) const {
  const auto& c = config_;
  const std::string at = layer_prefix(layer) + "self_attn.";
  const std::int64_t T = h.size(0), NH = c.num_heads, nope = c.qk_nope_head_dim,
                     rope = c.qk_rope_head_dim, vd = c.v_head_dim;
  at::Tensor qf;
  if (c.q_lora_rank > 0) {
    qf = linear(at + "q_b_proj",
                norm(at + "q_a_layernorm.weight", linear(at + "q_a_proj", h, call), call), call);
  } else {
    qf = linear(at + "q_proj", h, call);
  }
  qf = qf.reshape({T, NH, nope + rope});  // [T, NH, nope + rope]
  auto q_pass = qf.narrow(-1, 0, nope);
  auto q_rot = qf.narrow(-1, nope, rope);
  auto ckv = linear(at + "kv_a_proj_with_mqa", h, call);  // [T, kv_lora_rank + rope]
  auto k_pass = ckv.narrow(-1, 0, c.kv_lora_rank);
  auto k_rot = ckv.narrow(-1, c.kv_lora_rank, rope).reshape({T, 1, rope});
  auto kv = linear(at + "kv_b_proj", norm(at + "kv_a_layernorm.weight", k_pass, call), call)
                .reshape({T, NH, nope + vd});  // [T, NH, nope + v]
  auto k_nope = kv.narrow(-1, 0, nope);
  *v = kv.narrow(-1, nope, vd);
  const auto& cs = call.rope.at(c.is_sliding(layer) ? "sliding_attention" : "full_attention");
  q_rot = nn::apply_rope(q_rot, cs.first, cs.second, c.rope_interleave);
  k_rot = nn::apply_rope(k_rot, cs.first, cs.second, c.rope_interleave).expand({T, NH, rope});
  *q = torch::cat({q_pass, q_rot}, -1);  // [T, NH, nope + rope]
  *k = torch::cat({k_nope, k_rot}, -1);
}

at::Tensor CausalLM::attention(std::int64_t layer, const at::Tensor& h, const Call& call) const {
  const PackedBatch& batch = call.batch;
  KvContext* kv = call.ctx.kv;
  const auto& c = config_;
  const std::string at = layer_prefix(layer) + "self_attn.";
  at::Tensor q, k, v;
  if (spec_.attention == AttentionKind::kMla) {
    project_mla(layer, h, call, &q, &k, &v);
  } else {
    project_qkv(layer, h, call, &q, &k, &v);
  }
  nn::AttentionOptions opt;
  opt.scale = c.attn_scale;
  opt.softcap = c.attn_softcap;
  opt.window = c.is_sliding(layer) ? c.sliding_window : 0;
  if (spec_.attention_sinks) opt.sinks = p(at + "sinks", call);
  std::vector<at::Tensor> outs;
  const auto& cu = batch.cu_seqlens;
  for (std::size_t s = 0; s + 1 < cu.size(); ++s) {
    const std::int64_t b = cu[s], len = cu[s + 1] - cu[s];
    auto qs = q.narrow(0, b, len), ks = k.narrow(0, b, len), vs = v.narrow(0, b, len);
    if (kv) {  // decode reads the cached blocks in place
      outs.push_back(kv->cache->append_and_attend(layer, kv->seq_ids[s], qs, ks, vs, opt));
    } else {
      outs.push_back(nn::attention(qs, ks, vs, 0, opt));  // [len, NH, Dv]
    }
  }
  auto out = outs.size() == 1 ? outs[0] : torch::cat(outs, 0);
  out = out.reshape({h.size(0), -1});  // [T, NH * Dv]
  return linear(at + "o_proj", out, call);
}

at::Tensor CausalLM::mlp(const std::string& module, const at::Tensor& h, const Call& call) const {
  const auto act = act_of(spec_, config_);
  if (has_param(module + ".gate_up_proj.weight")) {
    auto gu = linear(module + ".gate_up_proj", h, call);
    auto parts = gu.chunk(2, -1);
    return linear(module + ".down_proj", parts[1] * nn::activation(parts[0], act), call);
  }
  return linear(module + ".down_proj",
                nn::activation(linear(module + ".gate_proj", h, call), act) *
                    linear(module + ".up_proj", h, call),
                call);
}

at::Tensor CausalLM::moe(std::int64_t layer, const at::Tensor& h, const Call& call) const {
  const auto& c = config_;
  const std::string mp = layer_prefix(layer) + "mlp.";
  const std::string router = mp + spec_.router_name;
  const std::int64_t E = c.num_experts, K = c.num_experts_per_tok, T = h.size(0);
  at::Tensor idx, w;  // [T, K]
  switch (spec_.routing) {
    case MoeRouting::kSoftmaxTopk: {
      auto probs = torch::softmax(linear(router, h, call).to(torch::kFloat32), -1);
      auto top = probs.topk(K, -1);
      w = std::get<0>(top);
      idx = std::get<1>(top);
      if (c.norm_topk_prob) w = w / w.sum(-1, true);
      w = w.to(h.scalar_type());
      break;
    }
    case MoeRouting::kTopkSoftmax: {
      auto top = linear(router, h, call).topk(K, -1);
      idx = std::get<1>(top);
      w = torch::softmax(std::get<0>(top), -1);
      break;
    }
    case MoeRouting::kSigmoidGroup: {
      // Router logits in float32 (transformers casts both operands); float32 models go through
      // linear() so adapters on the router apply.
      auto logits =
          h.scalar_type() == torch::kFloat32
              ? linear(router, h, call)
              : torch::nn::functional::linear(h.to(torch::kFloat32),
                                              p(router + ".weight", call).to(torch::kFloat32));
      auto scores = logits.to(torch::kFloat32).sigmoid();  // [T, E]
      auto choice = scores + p(router + ".e_score_correction_bias", call).to(torch::kFloat32);
      const std::int64_t G = std::max<std::int64_t>(1, c.n_group);
      auto group_scores = std::get<0>(choice.detach().view({T, G, E / G}).topk(2, -1)).sum(-1);
      auto group_idx = std::get<1>(group_scores.topk(c.topk_group, -1, true, false));
      auto group_mask = torch::zeros_like(group_scores).scatter_(1, group_idx, 1.0);
      auto score_mask = group_mask.unsqueeze(-1).expand({T, G, E / G}).reshape({T, E});
      auto masked = choice.detach().masked_fill(score_mask.logical_not(), 0.0);
      idx = std::get<1>(masked.topk(K, -1, true, false));
      w = scores.gather(1, idx);
      if (c.norm_topk_prob) w = w / (w.sum(-1, true) + 1e-20);
      w = (w * c.routed_scaling_factor).to(h.scalar_type());
      break;
    }
    case MoeRouting::kNone:
      SWIFT_FAIL("[model] layer {} is MoE but the architecture has no router", layer);
  }
  const auto act = act_of(spec_, c);
  auto gate_up = p(mp + "experts.gate_up_proj", call);
  auto down = p(mp + "experts.down_proj", call);
  at::Tensor gate_up_b, down_b;
  const bool gptoss = spec_.expert_layout == ExpertLayout::kGptOss;
  if (gptoss) {
    gate_up_b = p(mp + "experts.gate_up_proj_bias", call);
    down_b = p(mp + "experts.down_proj_bias", call);
  }
  auto out = torch::zeros_like(h);
  auto idx_cpu = idx.to(torch::kCPU);
  for (std::int64_t e = 0; e < E; ++e) {
    auto sel = (idx_cpu == e).nonzero();  // [n, 2] (token, slot)
    if (sel.size(0) == 0) continue;
    auto tok = sel.select(1, 0).to(h.device()), slot = sel.select(1, 1).to(h.device());
    auto xs = h.index_select(0, tok);  // [n, H]
    at::Tensor y;
    if (!gptoss) {
      auto gu = torch::nn::functional::linear(xs, gate_up[e]).chunk(2, -1);
      y = torch::nn::functional::linear(nn::activation(gu[0], act) * gu[1], down[e]);
    } else {
      auto gu = xs.matmul(gate_up[e]) + gate_up_b[e];
      auto g = gu.slice(-1, 0, gu.size(-1), 2).clamp_max(c.swiglu_limit);
      auto u = gu.slice(-1, 1, gu.size(-1), 2).clamp(-c.swiglu_limit, c.swiglu_limit);
      auto glu = g * torch::sigmoid(g * 1.702);
      y = ((u + 1) * glu).matmul(down[e]) + down_b[e];
    }
    auto we = w.index({tok, slot}).unsqueeze(-1);  // [n, 1]
    out = out.index_add(0, tok, y * we);
  }
  if (spec_.shared_expert == SharedExpert::kPlain) {
    out = out + mlp(mp + "shared_experts", h, call);
  } else if (spec_.shared_expert == SharedExpert::kGated) {
    out = out + torch::sigmoid(linear(mp + "shared_expert_gate", h, call)) *
                    mlp(mp + "shared_expert", h, call);
  }
  return out;
}

}  // namespace swift::model

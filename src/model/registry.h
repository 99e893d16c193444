// The architecture registry: one row per Hugging Face architecture, as data. A row holds the
// feature flags the shared decoder (model/causal_lm.cpp) composes and the checkpoint name table;
// `configure` resolves the arch's config defaults. Rows are defined in src/model/arch/*.cpp.
// Shared code never branches on the model name, only on these flags.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/config.h"

namespace swift::model {

enum class NormKind { kRms, kGemmaRms };  // w * x_hat, or (1 + w) * x_hat
// Where the layer norms sit:
//  kPre      input_layernorm -> attn -> +res; post_attention_layernorm -> mlp -> +res (llama)
//  kSandwich input_layernorm -> attn -> post_attention_layernorm -> +res;
//            pre_feedforward_layernorm -> mlp -> post_feedforward_layernorm -> +res (gemma2/3)
//  kPost     attn -> post_attention_layernorm -> +res; mlp -> post_feedforward_layernorm (olmo2)
//  kGlm      input_layernorm -> attn -> post_self_attn_layernorm -> +res;
//            post_attention_layernorm -> mlp -> post_mlp_layernorm -> +res (glm4)
enum class NormPlacement { kPre, kSandwich, kPost, kGlm };
enum class QkNorm { kNone, kPerHead, kFull };  // per head_dim (qwen3) or whole projection (olmo2)
enum class RopeStyle { kHalf, kInterleaved };  // rotate_half pairs (i, i+d/2) or (2i, 2i+1)
enum class AttentionKind { kStandard, kMla };
enum class Activation { kSilu, kGeluTanh };
// Router: softmax over all experts then top-k (mixtral, qwen*_moe), top-k then softmax
// (gpt_oss, router with bias), sigmoid + correction bias + groups (deepseek_v3).
enum class MoeRouting { kNone, kSoftmaxTopk, kTopkSoftmax, kSigmoidGroup };
// Expert tensors: [E, 2I, H] gate rows then up rows (x @ W^T), or [E, H, 2I] with gate/up
// interleaved, biases and the clamped activation (gpt_oss).
enum class ExpertLayout { kGateUpRows, kGptOss };
enum class SharedExpert { kNone, kPlain, kGated };  // deepseek_v3; qwen2_moe (sigmoid gate)

struct ArchSpec {
  std::vector<std::string> architectures;  // e.g. LlamaForCausalLM
  std::vector<std::string> model_types;    // e.g. llama
  NormKind norm = NormKind::kRms;
  NormPlacement placement = NormPlacement::kPre;
  QkNorm qk_norm = QkNorm::kNone;
  RopeStyle rope_style = RopeStyle::kHalf;
  AttentionKind attention = AttentionKind::kStandard;
  Activation activation = Activation::kSilu;
  bool fused_qkv = false;        // self_attn.qkv_proj (phi3)
  bool fused_gate_up = false;    // mlp.gate_up_proj (phi3, glm4)
  bool embed_scale = false;      // embeddings * sqrt(hidden) (gemma)
  bool attention_sinks = false;  // self_attn.sinks (gpt_oss)
  MoeRouting routing = MoeRouting::kNone;
  ExpertLayout expert_layout = ExpertLayout::kGateUpRows;
  SharedExpert shared_expert = SharedExpert::kNone;
  std::string router_name = "gate";  // mlp.<router_name>.weight
  bool router_bias = false;
  // transformers registers mlp.experts before the router (qwen3_moe, deepseek_v3): the
  // parameter order --freeze_parameters_ratio counts in.
  bool router_after_experts = false;
  // Checkpoint names of per-expert linears that transformers fuses into experts.gate_up_proj /
  // experts.down_proj, and the checkpoint module that holds the experts ("" = none).
  std::string ckpt_moe_module = "mlp";  // mixtral: block_sparse_moe
  std::string ckpt_gate = "gate_proj", ckpt_up = "up_proj", ckpt_down = "down_proj";
  // Arch defaults and derived fields (layer types, scales, MoE layers).
  std::function<void(ModelConfig&)> configure;
};

const ArchSpec* find_arch(const ModelConfig& config);  // by architectures[0], then model_type
std::vector<std::string> supported_architectures();

// Helpers for `configure` hooks: fill layer_types when config.json has none (`sliding(i)` says
// whether layer i uses the sliding window), and mark MoE layers.
void default_layer_types(ModelConfig& c, const std::function<bool(std::int64_t)>& sliding);
void set_moe_layers(ModelConfig& c, const std::function<bool(std::int64_t)>& is_moe);

// Registration (called once from registry.cpp; each in src/model/arch/<family>.cpp).
namespace arch {
void add_llama_family(std::vector<ArchSpec>& out);  // llama, mistral, qwen2, qwen3
void add_gemma_family(std::vector<ArchSpec>& out);  // gemma2, gemma3_text
void add_phi3(std::vector<ArchSpec>& out);
void add_glm4(std::vector<ArchSpec>& out);
void add_olmo2(std::vector<ArchSpec>& out);
void add_moe_family(std::vector<ArchSpec>& out);  // mixtral, qwen3_moe, qwen2_moe
void add_deepseek_v3(std::vector<ArchSpec>& out);
void add_gpt_oss(std::vector<ArchSpec>& out);
}  // namespace arch

}  // namespace swift::model

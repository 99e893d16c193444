// Rope frequencies and application; the maths follows transformers' modeling_rope_utils.
#include "nn/rope.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace swift::nn {
namespace {

// 1 / base^(2i/dim) for i < dim/2, computed in float32 like transformers.
at::Tensor default_inv_freq(double base, std::int64_t dim) {
  auto exps =
      torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
  return torch::pow(base, exps).reciprocal();
}

double yarn_mscale(double scale, double mscale) {
  if (scale <= 1.0) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

RopeFreqs yarn(const model::RopeParams& p, std::int64_t dim, std::int64_t max_pos) {
  RopeFreqs f;
  f.rotary_dim = dim;
  double base = p.theta;
  std::int64_t orig =
      p.original_max_position_embeddings > 0 ? p.original_max_position_embeddings : max_pos;
  double factor = p.has_factor ? p.factor : static_cast<double>(max_pos) / orig;
  double attention = p.attention_factor;
  if (attention < 0) {
    if (p.mscale != 0.0 && p.mscale_all_dim != 0.0) {
      attention = yarn_mscale(factor, p.mscale) / yarn_mscale(factor, p.mscale_all_dim);
    } else {
      attention = yarn_mscale(factor, 1.0);
    }
  }
  double beta_fast = p.beta_fast != 0.0 ? p.beta_fast : 32.0;
  double beta_slow = p.beta_slow != 0.0 ? p.beta_slow : 1.0;
  auto correction_dim = [&](double rotations) {
    return (dim * std::log(orig / (rotations * 2 * M_PI))) / (2 * std::log(base));
  };
  double low = correction_dim(beta_fast), high = correction_dim(beta_slow);
  if (p.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;
  auto pos_freqs = torch::pow(
      base, torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim));
  auto extrapolation = pos_freqs.reciprocal();
  auto interpolation = (factor * pos_freqs).reciprocal();
  auto ramp = ((torch::arange(dim / 2, torch::kFloat32) - low) / (high - low)).clamp(0, 1);
  auto extra_factor = 1 - ramp;
  f.inv_freq = interpolation * (1 - extra_factor) + extrapolation * extra_factor;
  f.attention_scaling = attention;
  return f;
}

}  // namespace

RopeFreqs rope_frequencies(const model::RopeParams& p,
                           std::int64_t head_dim,
                           std::int64_t max_pos,
                           std::int64_t seq_len) {
  std::int64_t dim = static_cast<std::int64_t>(head_dim * p.partial_rotary_factor);
  SWIFT_CHECK(dim > 0 && dim % 2 == 0, "[model] rotary dim {} must be even and positive", dim);
  RopeFreqs f;
  f.rotary_dim = dim;
  if (p.type == "default") {
    f.inv_freq = default_inv_freq(p.theta, dim);
  } else if (p.type == "linear") {
    f.inv_freq = default_inv_freq(p.theta, dim) / p.factor;
  } else if (p.type == "dynamic") {
    double len = static_cast<double>(std::max(seq_len, max_pos));
    double base =
        p.theta * std::pow((p.factor * len / max_pos) - (p.factor - 1), dim / (dim - 2.0));
    f.inv_freq = default_inv_freq(base, dim);
  } else if (p.type == "llama3") {
    auto inv = default_inv_freq(p.theta, dim);
    double old_ctx = static_cast<double>(p.original_max_position_embeddings);
    double low_wavelen = old_ctx / p.low_freq_factor;
    double high_wavelen = old_ctx / p.high_freq_factor;
    auto wavelen = 2 * M_PI / inv;
    auto scaled = torch::where(wavelen > low_wavelen, inv / p.factor, inv);
    auto smooth =
        (old_ctx / wavelen - p.low_freq_factor) / (p.high_freq_factor - p.low_freq_factor);
    auto smoothed = (1 - smooth) * scaled / p.factor + smooth * scaled;
    auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    f.inv_freq = torch::where(medium, smoothed, scaled);
  } else if (p.type == "yarn") {
    return yarn(p, dim, max_pos);
  } else if (p.type == "longrope") {
    std::int64_t orig =
        p.original_max_position_embeddings > 0 ? p.original_max_position_embeddings : max_pos;
    double factor = p.has_factor ? p.factor : static_cast<double>(max_pos) / orig;
    double attention = p.attention_factor;
    if (attention < 0) {
      attention = factor <= 1.0
                      ? 1.0
                      : std::sqrt(1 + std::log(factor) / std::log(static_cast<double>(orig)));
    }
    const auto& ext = seq_len > orig ? p.long_factor : p.short_factor;
    SWIFT_CHECK(static_cast<std::int64_t>(ext.size()) == dim / 2,
                "[model] longrope factors have {} entries; expected rotary_dim/2 = {}", ext.size(),
                dim / 2);
    auto ext_t = torch::tensor(std::vector<double>(ext.begin(), ext.end())).to(torch::kFloat32);
    auto shape =
        torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
    f.inv_freq = (ext_t * torch::pow(p.theta, shape)).reciprocal();
    f.attention_scaling = attention;
  } else {
    SWIFT_FAIL("[model] unsupported rope type '{}'", p.type);
  }
  return f;
}

std::pair<at::Tensor, at::Tensor> rope_cos_sin(const RopeFreqs& f, const at::Tensor& positions) {
  auto freqs = positions.to(torch::kFloat32).unsqueeze(1) * f.inv_freq.unsqueeze(0);  // [T, d/2]
  auto emb = torch::cat({freqs, freqs}, -1);                                          // [T, d]
  auto cos = emb.cos(), sin = emb.sin();
  if (f.attention_scaling != 1.0) {
    cos = cos * f.attention_scaling;
    sin = sin * f.attention_scaling;
  }
  return {cos, sin};
}

at::Tensor apply_rope(const at::Tensor& x,
                      const at::Tensor& cos,
                      const at::Tensor& sin,
                      bool interleaved) {
  const std::int64_t rd = cos.size(-1);
  const std::int64_t hd = x.size(-1);
  auto c = cos.unsqueeze(1).to(x.scalar_type());  // [T, 1, rd]
  auto s = sin.unsqueeze(1).to(x.scalar_type());
  auto rot = rd == hd ? x : x.narrow(-1, 0, rd);
  at::Tensor out;
  if (!interleaved) {
    auto x1 = rot.narrow(-1, 0, rd / 2), x2 = rot.narrow(-1, rd / 2, rd / 2);
    out = rot * c + torch::cat({-x2, x1}, -1) * s;
  } else {
    // Pairs (2i, 2i+1) rotate by frequency i: cos/sin are repeated element-wise.
    auto ci = c.narrow(-1, 0, rd / 2).repeat_interleave(2, -1);
    auto si = s.narrow(-1, 0, rd / 2).repeat_interleave(2, -1);
    auto even = rot.slice(-1, 0, rd, 2), odd = rot.slice(-1, 1, rd, 2);
    auto rotated = torch::stack({-odd, even}, -1).flatten(-2);
    out = rot * ci + rotated * si;
  }
  if (rd == hd) return out;
  return torch::cat({out, x.narrow(-1, rd, hd - rd)}, -1);
}

}  // namespace swift::nn

// What the preference-loss tests share: reading a golden file from tests/data/rlhf (or the
// held-out file an environment variable names), JSON lists as tensors, and the comparisons
// (per-pair vectors relative to their largest value, scalars relative with an absolute floor,
// logged metrics key by key in order).
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "rlhf/pair_loss.h"

namespace swift::rlhf_test {

using nlohmann::json;

// `env`, when set, names a held-out golden made with another --seed; else tests/data/rlhf/`file`.
inline json load_goldens(const char* env, const char* file) {
  const char* other = std::getenv(env);
  std::ifstream f(other ? std::string(other)
                        : std::string(SWIFT_SOURCE_DIR) + "/tests/data/rlhf/" + file);
  EXPECT_TRUE(f.good()) << "cannot read the goldens";
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

inline at::Tensor vec(const json& values, torch::Dtype dtype = torch::kFloat32) {
  if (values.is_null()) return {};
  auto v = values.get<std::vector<double>>();
  return torch::tensor(v, torch::kFloat64).reshape({static_cast<std::int64_t>(v.size())}).to(dtype);
}

inline at::Tensor ivec(const json& values) {
  return torch::tensor(values.get<std::vector<std::int64_t>>(), torch::kInt64);
}

inline torch::Dtype dtype_of(const json& c) {
  return c.value("dtype", "float32") == "float64" ? torch::kFloat64 : torch::kFloat32;
}

inline double rtol_of(torch::Dtype d) {
  return d == torch::kFloat64 ? 1e-12 : 1e-6;
}

// Per-pair values: |got - want| <= rtol * max|want| (floored at 1e-3), with the max error.
inline void expect_close(const at::Tensor& got,
                         const json& want_json,
                         double rtol,
                         const std::string& what) {
  auto want = vec(want_json, torch::kFloat64);
  auto g = got.detach().to(torch::kFloat64).reshape({-1});
  ASSERT_EQ(g.numel(), want.numel()) << what;
  const double scale = want.numel() ? want.abs().max().item<double>() : 0.0;
  const double err = want.numel() ? (g - want).abs().max().item<double>() : 0.0;
  const double bound = rtol * std::max(scale, 1e-3) + 1e-300;
  EXPECT_LE(err, bound) << what << ": max error " << err << " > " << bound << " (got "
                        << g.slice(0, 0, 3) << ", want " << want.slice(0, 0, 3) << ")";
}

// Scalars (a step's loss, metrics averaged over pairs): relative, absolute below 1, since margins
// are differences of rewards and the log-probs' summation order differs from a padded row's.
inline void expect_close(double got, double want, double rtol, const std::string& what) {
  const double bound = rtol * std::max(std::fabs(want), 1.0);
  EXPECT_LE(std::fabs(got - want), bound) << what << ": got " << got << " want " << want;
}

// want: [[key, value], ...] in the order the Python trainer logged them
inline void expect_metrics(const rlhf::Metrics& got,
                           const json& want,
                           double rtol,
                           const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what << ": metric keys differ";
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string key = want[i][0];
    EXPECT_EQ(got[i].first, key) << what << ": key " << i;
    expect_close(got[i].second, want[i][1].get<double>(), rtol, what + " " + key);
  }
}

}  // namespace swift::rlhf_test

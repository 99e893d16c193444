// The CUDA path of libtorch works and agrees with the CPU: the base every GPU kernel test
// (label gpu) stands on. Skipped where libtorch has no CUDA or no device is visible.
#include <gtest/gtest.h>
#include <torch/torch.h>

TEST(Gpu, MatmulMatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  torch::manual_seed(0);
  auto a = torch::randn({64, 128});
  auto b = torch::randn({128, 32});
  auto cpu = torch::matmul(a, b);
  auto gpu = torch::matmul(a.cuda(), b.cuda()).cpu();
  EXPECT_LT((cpu - gpu).abs().max().item<float>(), 1e-3);
}

// libtorch bridge: reading the real llama adapter fixture into tensors of the stored dtype and
// shape, dtype mapping, and save_tensors -> SafetensorsFile -> to_tensor round trips.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "io_test_util.h"

namespace swift::io {
namespace {

const std::string kAdapter =
    std::string(SWIFT_SOURCE_DIR) + "/tests/data/io/llama_adapter_model.safetensors";

TEST(TorchIo, ReadsHfFile) {
  SafetensorsFile f(kAdapter);
  ASSERT_EQ(f.tensors().size(), 28u);
  for (const auto& info : f.tensors()) {
    at::Tensor t = to_tensor(f, info);
    EXPECT_EQ(t.scalar_type(), at::kFloat) << info.name;
    EXPECT_EQ(std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end()), info.shape);
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_EQ(std::memcmp(t.data_ptr(), f.data(info), info.nbytes()), 0) << info.name;
    EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << info.name;
  }
  // LoRA A is initialised randomly (kaiming), and the fixture's B was made random too.
  const TensorInfo* b = f.find("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_GT(to_tensor(f, *b).abs().sum().item<float>(), 0.f);
}

TEST(TorchIo, TensorOutlivesFile) {
  at::Tensor t;
  {
    SafetensorsFile f(kAdapter);
    t = to_tensor(f, f.tensors().front());
  }
  EXPECT_TRUE(torch::isfinite(t).all().item<bool>());
}

TEST(TorchIo, DtypeMapping) {
  for (DType dt : {DType::kBool, DType::kU8, DType::kI8, DType::kI16, DType::kF16, DType::kBF16,
                   DType::kI32, DType::kF32, DType::kF64, DType::kI64})
    EXPECT_EQ(from_scalar_type(to_scalar_type(dt)), dt) << dtype_name(dt);
  EXPECT_EQ(to_scalar_type(DType::kBF16), at::kBFloat16);
  EXPECT_EQ(to_scalar_type(DType::kF16), at::kHalf);
  EXPECT_THROW(from_scalar_type(at::kComplexFloat), Error);
}

TEST(TorchIo, SaveLoadRoundTrip) {
  TempDir d;
  std::string p = d.file("rt.safetensors");
  torch::manual_seed(0);
  std::vector<std::pair<std::string, at::Tensor>> ts = {
      {"f32", torch::randn({3, 5})},
      {"bf16", torch::randn({4, 2}).to(torch::kBFloat16)},
      {"f16", torch::randn({7}).to(torch::kHalf)},
      {"i64", torch::arange(10, torch::kLong)},
      {"bool", torch::tensor({true, false, true})},
      {"scalar", torch::tensor(3.5)},
      {"empty", torch::empty({0, 3})},
      // Non-contiguous input must be written in logical order.
      {"transposed", torch::arange(6, torch::kFloat).reshape({2, 3}).t()},
  };
  save_tensors(p, ts, {{"format", "pt"}});
  SafetensorsFile f(p);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  ASSERT_EQ(f.tensors().size(), ts.size());
  for (const auto& [name, t] : ts) {
    const TensorInfo* info = f.find(name);
    ASSERT_NE(info, nullptr) << name;
    at::Tensor back = to_tensor(f, *info);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(back.sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(back, t)) << name;
  }
  // Re-saving what was loaded reproduces the file byte for byte.
  std::vector<std::pair<std::string, at::Tensor>> again;
  for (const auto& info : f.tensors()) again.emplace_back(info.name, to_tensor(f, info));
  std::string p2 = d.file("rt2.safetensors");
  save_tensors(p2, again, f.metadata());
  std::vector<std::pair<std::string, at::Tensor>> ordered;
  for (const auto& [name, t] : ts) ordered.emplace_back(name, t);
  save_tensors(d.file("rt3.safetensors"), ordered, {{"format", "pt"}});
  // Same order as the original: identical bytes.
  EXPECT_TRUE(fs::read_file(d.file("rt3.safetensors")) == fs::read_file(p));
  SafetensorsFile f2(p2);
  EXPECT_EQ(f2.tensors().size(), ts.size());
}

// U16/U32/U64/F8 exist only in newer libtorch: either the values come back or a clear error.
TEST(TorchIo, NewerDtypesLoadOrFailClearly) {
  TempDir d;
  std::uint16_t u16[3] = {1, 65535, 7};
  std::uint8_t f8[2] = {0x38, 0xb8};  // 1.0 and -1.0 in float8 e4m3fn
  write_safetensors(d.file("u.safetensors"), {{"u16", DType::kU16, {3}, u16, sizeof u16},
                                              {"f8", DType::kF8E4M3, {2}, f8, sizeof f8}});
  SafetensorsFile f(d.file("u.safetensors"));
  for (const char* name : {"u16", "f8"}) {
    try {
      at::Tensor t = to_tensor(f, *f.find(name));
      EXPECT_EQ(std::memcmp(t.data_ptr(), f.data(*f.find(name)), f.find(name)->nbytes()), 0);
      EXPECT_EQ(from_scalar_type(t.scalar_type()), f.find(name)->dtype);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not supported by this libtorch"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace swift::io

// safetensors parser tests: the reference crate's own test vectors (safetensors/src/tensor.rs),
// the crafted-file set of reliability check 15 (each must be rejected with its specific phrase),
// the valid edge cases, a real file written by the Hugging Face writer, and round trips.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "io_test_util.h"

namespace swift::io {
namespace {

const std::string kI32x4 = R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})";

// --- Test vectors of the reference crate -----------------------------------------------------

TEST(SafetensorsRef, Deserialization) {
  TempDir d;
  SafetensorsFile f(write_tmp(d, make(kI32x4, zeros(16))));
  ASSERT_EQ(f.tensors().size(), 1u);
  const TensorInfo* t = f.find("test");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::kI32);
  EXPECT_EQ(t->shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(t->nbytes(), 16u);
  EXPECT_EQ(t->numel(), 4u);
  EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(SafetensorsRef, EmptyShapesAllowed) {
  TempDir d;
  SafetensorsFile f(
      write_tmp(d, make(R"({"test":{"dtype":"I32","shape":[],"data_offsets":[0,4]}})", zeros(4))));
  const TensorInfo* t = f.find("test");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->shape.empty());
  EXPECT_EQ(t->numel(), 1u);
  EXPECT_EQ(t->nbytes(), 4u);
}

TEST(SafetensorsRef, ZeroSizedTensor) {
  TempDir d;
  SafetensorsFile f(
      write_tmp(d, make(R"({"test":{"dtype":"I32","shape":[2,0],"data_offsets":[0, 0]}})", "")));
  const TensorInfo* t = f.find("test");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<std::int64_t>{2, 0}));
  EXPECT_EQ(t->nbytes(), 0u);
}

TEST(SafetensorsRef, WhitespacePaddedHeader) {
  TempDir d;
  SafetensorsFile f(write_tmp(d, le64(6) + "{}\x0D\x20\x09\x0A"));
  EXPECT_TRUE(f.tensors().empty());
}

TEST(SafetensorsRef, JsonAttackSameRange) {
  std::string h = "{";
  for (int i = 0; i < 10; ++i) {
    if (i) h += ",";
    h += "\"weight_" + std::to_string(i) +
         R"(":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})";
  }
  h += "}";
  expect_reject(make(h, zeros(16)), "overlaps the previous tensor");
}

TEST(SafetensorsRef, MetadataIncompleteBuffer) {
  expect_reject(make(kI32x4, zeros(16) + "extra_bogus_data_for_polyglot_file"),
                "buffer not fully covered");
  expect_reject(make(kI32x4, zeros(14)), "past end of buffer");
}

TEST(SafetensorsRef, HeaderTooLarge) {
  std::string b = make(kI32x4, zeros(16));
  b[5] = b[6] = b[7] = '\xff';
  expect_reject(b, "header too large");
}

TEST(SafetensorsRef, HeaderTooSmall) {
  expect_reject("", "file too small");
}

TEST(SafetensorsRef, InvalidHeaderLength) {
  expect_reject(le64(60), "past end of file");
}

TEST(SafetensorsRef, InvalidHeaderNonUtf8) {
  expect_reject(le64(1) + "\xff", "not valid UTF-8");
}

TEST(SafetensorsRef, InvalidHeaderNotJson) {
  expect_reject(le64(1) + "{", "not valid JSON");
}

TEST(SafetensorsRef, InvalidInfo) {
  expect_reject(make(R"({"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0, 4]}})", zeros(4)),
                "size mismatch");
}

TEST(SafetensorsRef, ValidationOverflow) {
  expect_reject(
      make(R"({"test":{"dtype":"I32","shape":[2,18446744073709551614],"data_offsets":[0,16]}})",
           zeros(16)),
      "element count exceeds");
  expect_reject(
      make(R"({"test":{"dtype":"I32","shape":[2,9223372036854775807],"data_offsets":[0,16]}})",
           zeros(16)),
      "byte size exceeds");
}

// Byte-exact writer output of the reference crate's serialization tests.
TEST(SafetensorsRef, SerializationBytes) {
  TempDir d;
  float v[6] = {0, 1, 2, 3, 4, 5};
  std::string p = d.file("a.safetensors");
  write_safetensors(p, {{"attn.0", DType::kF32, {1, 2, 3}, v, sizeof v}});
  std::string expect_header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(expect_header.size(), 64u);
  std::string expect = le64(64) + expect_header + std::string(reinterpret_cast<char*>(v), 24);
  EXPECT_EQ(fs::read_file(p), expect);

  // Shorter name: the header is padded with spaces to keep the data 8-byte aligned.
  write_safetensors(p, {{"attn0", DType::kF32, {1, 1, 2, 3}, v, sizeof v}});
  std::string h2 = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  h2 += std::string(7, ' ');
  ASSERT_EQ(h2.size(), 72u);
  EXPECT_EQ(fs::read_file(p), le64(72) + h2 + std::string(reinterpret_cast<char*>(v), 24));
  SafetensorsFile f(p);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f.data(*f.find("attn0"))) % 4, 0u);
}

TEST(SafetensorsRef, EmptyBytes) {
  TempDir d;
  std::string p = d.file("e.safetensors");
  write_safetensors(p, {});
  EXPECT_EQ(fs::read_file(p), le64(8) + "{}      ");
  write_safetensors(p, {}, {{"framework", "pt"}});
  EXPECT_EQ(fs::read_file(p), le64(40) + R"({"__metadata__":{"framework":"pt"}})" + "     ");
  SafetensorsFile f(p);
  EXPECT_EQ(f.metadata().at("framework"), "pt");
  EXPECT_TRUE(f.tensors().empty());
}

// A file written by the Hugging Face writer (tests/data/io/README.md) parses, and writing its
// tensors back in file order with its metadata reproduces it byte for byte.
TEST(SafetensorsReal, HfAdapterReexportIsByteIdentical) {
  const std::string src =
      std::string(SWIFT_SOURCE_DIR) + "/tests/data/io/llama_adapter_model.safetensors";
  SafetensorsFile f(src);
  ASSERT_EQ(f.tensors().size(), 28u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const TensorInfo* a = f.find("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<std::int64_t>{4, 128}));
  std::vector<TensorBytes> out;
  for (const auto& t : f.tensors())
    out.push_back({t.name, t.dtype, t.shape, f.data(t), static_cast<std::size_t>(t.nbytes())});
  TempDir d;
  std::string p = d.file("re.safetensors");
  write_safetensors(p, out, f.metadata());
  EXPECT_TRUE(fs::read_file(p) == fs::read_file(src));
}

TEST(SafetensorsWrite, RoundTripAndRejects) {
  TempDir d;
  std::string p = d.file("w.safetensors");
  std::int64_t ids[3] = {1, -2, 3};
  std::uint16_t half[4] = {0x3c00, 0x4000, 0xbc00, 0};
  write_safetensors(p,
                    {{"ids", DType::kI64, {3}, ids, sizeof ids},
                     {"h", DType::kBF16, {2, 2}, half, sizeof half},
                     {"empty", DType::kF32, {0, 4}, nullptr, 0}},
                    {{"k", "v"}});
  std::string first = fs::read_file(p);
  SafetensorsFile f(p);
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(std::memcmp(f.data(*f.find("ids")), ids, sizeof ids), 0);
  EXPECT_EQ(std::memcmp(f.data(*f.find("h")), half, sizeof half), 0);
  std::vector<TensorBytes> again;
  for (const auto& t : f.tensors())
    again.push_back({t.name, t.dtype, t.shape, f.data(t), static_cast<std::size_t>(t.nbytes())});
  std::string p2 = d.file("w2.safetensors");
  write_safetensors(p2, again, f.metadata());
  EXPECT_TRUE(fs::read_file(p2) == first);

  auto expect_write_error = [&](std::vector<TensorBytes> ts, const std::string& phrase) {
    try {
      write_safetensors(d.file("bad.safetensors"), ts);
      ADD_FAILURE() << "expected " << phrase;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(d.file("bad.safetensors")));
  };
  expect_write_error({{"a", DType::kI64, {2}, ids, sizeof ids}}, "needs 16");
  expect_write_error({{"a", DType::kI64, {1}, ids, 8}, {"a", DType::kI64, {1}, ids, 8}},
                     "duplicate tensor name");
  expect_write_error({{"__metadata__", DType::kI64, {1}, ids, 8}}, "invalid tensor name");
  expect_write_error({{"a", DType::kI64, {-1}, ids, 8}}, "negative shape");
}

}  // namespace
}  // namespace swift::io

// Reliability check 15: crafted hostile safetensors files. Each must be rejected with its
// specific message (naming the file) before anything sized from the file is allocated; the valid
// edge cases must load. Run under ASan/UBSan as test_safetensors_crafted_san.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "io_test_util.h"

namespace swift::io {
namespace {

std::string one(const std::string& entry) {
  return "{\"w\":" + entry + "}";
}

TEST(SafetensorsCrafted, HeaderLength) {
  expect_reject("1234567", "file too small");
  expect_reject(le64(100'000'001) + "{}", "header too large");
  expect_reject(le64(~0ull) + "{}", "header too large");        // N = 2^64-1
  expect_reject(le64(~0ull - 7) + "{}", "header too large");    // N + 8 wraps to 0
  expect_reject(le64(100'000'000) + "{}", "past end of file");  // at the cap, but past EOF
  expect_reject(le64(3) + "{}", "past end of file");
}

TEST(SafetensorsCrafted, HeaderText) {
  expect_reject(make("[]", ""), "does not start with '{'");
  expect_reject(make(" {}", ""), "does not start with '{'");
  expect_reject(make("", ""), "does not start with '{'");
  expect_reject(make("{\"a\":1", ""), "not valid JSON");
  expect_reject(make("{} x", ""), "not valid JSON");
  expect_reject(make(std::string("{}\0", 3), ""), "not valid JSON");
  expect_reject(make(std::string("{}\0 trailing", 12), ""), "NUL byte");
  expect_reject(make("{\"\xc3\x28\":1}", ""), "not valid UTF-8");      // bad continuation
  expect_reject(make("{\"\xc0\xaf\":1}", ""), "not valid UTF-8");      // overlong
  expect_reject(make("{\"\xed\xa0\x80\":1}", ""), "not valid UTF-8");  // surrogate
  expect_reject(make("{\"\xf0\x9f\x98\":1}", ""), "not valid UTF-8");  // truncated
}

TEST(SafetensorsCrafted, Entries) {
  expect_reject(make(one("1"), ""), "is not an object");
  expect_reject(make(one("[]"), ""), "is not an object");
  expect_reject(make(one(R"({"shape":[1],"data_offsets":[0,4]})"), zeros(4)),
                "is missing \"dtype\"");
  expect_reject(make(one(R"({"dtype":"F32","data_offsets":[0,4]})"), zeros(4)),
                "is missing \"shape\"");
  expect_reject(make(one(R"({"dtype":"F32","shape":[1]})"), zeros(4)),
                "is missing \"data_offsets\"");
  expect_reject(make(one(R"({"dtype":"F17","shape":[1],"data_offsets":[0,4]})"), zeros(4)),
                "unknown dtype");
  expect_reject(make(one(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})"), zeros(4)),
                "unknown dtype");
  expect_reject(make(one(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})"), zeros(4)),
                "unknown dtype");
}

TEST(SafetensorsCrafted, Shapes) {
  const std::string pre = R"({"dtype":"F32","shape":)", post = R"(,"data_offsets":[0,4]})";
  expect_reject(make(one(pre + "4" + post), zeros(4)), "shape is not a list");
  expect_reject(make(one(pre + "[-1]" + post), zeros(4)), "must be non-negative integers");
  expect_reject(make(one(pre + "[1.0]" + post), zeros(4)), "must be non-negative integers");
  expect_reject(make(one(pre + "[1.5]" + post), zeros(4)), "must be non-negative integers");
  expect_reject(make(one(pre + "[\"1\"]" + post), zeros(4)), "must be non-negative integers");
  expect_reject(make(one(pre + "[null]" + post), zeros(4)), "must be non-negative integers");
  expect_reject(make(one(pre + "[1e30]" + post), zeros(4)), "must be non-negative integers");
  expect_reject(make(one(pre + "[99999999999999999999999]" + post), zeros(4)),
                "must be non-negative integers");
  // 2^32 * 2^32 overflows u64 before the dtype size is applied.
  expect_reject(make(one(pre + "[4294967296,4294967296]" + post), zeros(4)),
                "element count exceeds");
  // 2^62 elements fit, x4 bytes does not.
  expect_reject(make(one(pre + "[4611686018427387904]" + post), zeros(4)), "byte size exceeds");
  // Overflow hidden behind a zero dimension still has a zero product: the reference accepts it,
  // we reject the dimension that torch cannot represent.
  expect_reject(
      make(one(R"({"dtype":"U8","shape":[0,18446744073709551615],"data_offsets":[0,0]})"), ""),
      "above 2^63-1");
}

TEST(SafetensorsCrafted, Offsets) {
  const std::string pre = R"({"dtype":"F32","shape":[1],"data_offsets":)";
  expect_reject(make(one(pre + "[0]}"), zeros(4)), "must be two non-negative integers");
  expect_reject(make(one(pre + "[0,4,8]}"), zeros(4)), "must be two non-negative integers");
  expect_reject(make(one(pre + "[0,\"4\"]}"), zeros(4)), "must be two non-negative integers");
  expect_reject(make(one(pre + "[-4,0]}"), zeros(4)), "must be two non-negative integers");
  expect_reject(make(one(pre + "{\"a\":0}}"), zeros(4)), "must be two non-negative integers");
  expect_reject(make(one(pre + "[8,4]}"), zeros(8)), "end 4 < begin 8");
  expect_reject(make(one(pre + "[0,400]}"), zeros(4)), "past end of buffer");
  expect_reject(make(one(pre + "[18446744073709551612,18446744073709551615]}"), zeros(4)),
                "past end of buffer");
  expect_reject(make(one(pre + "[0,8]}"), zeros(8)), "size mismatch");
  expect_reject(make(one(pre + "[0,4]}"), zeros(2)), "past end of buffer");  // missing bytes
}

TEST(SafetensorsCrafted, Layout) {
  const std::string a = R"("a":{"dtype":"F32","shape":[1],"data_offsets":)";
  const std::string b = R"("b":{"dtype":"F32","shape":[1],"data_offsets":)";
  // Duplicate names: nlohmann would keep one silently; an ambiguous file must not load.
  expect_reject(make("{" + a + "[0,4]}," + a + "[4,8]}}", zeros(8)), "duplicate tensor name \"a\"");
  expect_reject(make(R"({"__metadata__":{"k":"1","k":"2"}})", ""), "duplicate key \"k\"");
  expect_reject(make("{" + a + "[0,4]}," + b + "[0,4]}}", zeros(4)),
                "overlaps the previous tensor");
  expect_reject(make("{" + a + "[0,4]}," + b + "[8,12]}}", zeros(12)), "gap between tensors");
  expect_reject(make("{" + a + "[4,8]}}", zeros(8)), "gap between tensors");  // leading gap
  expect_reject(make("{" + a + "[0,4]}}", zeros(5)), "buffer not fully covered");
  expect_reject(make("{}", zeros(1)), "buffer not fully covered");
  // An empty tensor may sit at a boundary but not inside another tensor's range.
  expect_reject(
      make("{" + a + "[0,4]}," + R"("e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}})",
           zeros(4)),
      "overlaps the previous tensor");
}

TEST(SafetensorsCrafted, Metadata) {
  expect_reject(make(R"({"__metadata__":{"a":1}})", ""), "__metadata__ value for \"a\"");
  expect_reject(make(R"({"__metadata__":{"a":null}})", ""), "__metadata__ value for \"a\"");
  expect_reject(make(R"({"__metadata__":{"a":{"b":"c"}}})", ""), "__metadata__ value for \"a\"");
  expect_reject(make(R"({"__metadata__":["a"]})", ""), "__metadata__ is not an object");
  expect_reject(make(R"({"__metadata__":"a"})", ""), "__metadata__ is not an object");
}

TEST(SafetensorsCrafted, ValidEdgeCases) {
  TempDir d;
  // Empty tensors (a zero dimension), a 0-d tensor, a header padded with spaces, tensors listed
  // out of offset order, and empty tensors at the buffer boundaries.
  std::string h = R"({"__metadata__":{"format":"pt"},)"
                  R"("z":{"dtype":"BF16","shape":[],"data_offsets":[4,6]},)"
                  R"("e0":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                  R"("a":{"dtype":"I16","shape":[2],"data_offsets":[0,4]},)"
                  R"("e1":{"dtype":"F64","shape":[3,0,2],"data_offsets":[6,6]}})";
  h += "      ";
  std::string buf = "\x01\x02\x03\x04\x05\x06";
  SafetensorsFile f(write_tmp(d, make(h, buf)));
  ASSERT_EQ(f.tensors().size(), 4u);
  // tensors() follows the file layout (offset order).
  EXPECT_EQ(f.tensors()[0].name, "e0");
  EXPECT_EQ(f.tensors()[1].name, "a");
  EXPECT_EQ(f.tensors()[2].name, "z");
  EXPECT_EQ(f.tensors()[3].name, "e1");
  const TensorInfo* z = f.find("z");
  ASSERT_NE(z, nullptr);
  EXPECT_TRUE(z->shape.empty());
  EXPECT_EQ(z->dtype, DType::kBF16);
  EXPECT_EQ(f.data(*z)[0], 5);
  EXPECT_EQ(f.data(*z)[1], 6);
  EXPECT_EQ(f.find("e1")->numel(), 0u);
  EXPECT_EQ(f.find("e1")->shape, (std::vector<std::int64_t>{3, 0, 2}));
  EXPECT_EQ(f.metadata().at("format"), "pt");

  // Header-only file with no tensors at all.
  SafetensorsFile g(write_tmp(d, make("{}", ""), "g"));
  EXPECT_TRUE(g.tensors().empty());
  // All dtypes of the reference parse, with their sizes.
  const char* names[] = {"BOOL", "U8",  "I8",  "I16", "U16", "F16",     "BF16",   "I32",
                         "U32",  "F32", "F64", "I64", "U64", "F8_E4M3", "F8_E5M2"};
  std::size_t sizes[] = {1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8, 1, 1};
  for (int i = 0; i < 15; ++i) {
    DType dt;
    ASSERT_TRUE(parse_dtype(names[i], &dt)) << names[i];
    EXPECT_EQ(dtype_size(dt), sizes[i]) << names[i];
    EXPECT_STREQ(dtype_name(dt), names[i]);
    std::string e = std::string(R"({"x":{"dtype":")") + names[i] +
                    R"(","shape":[3],"data_offsets":[0,)" + std::to_string(3 * sizes[i]) + "]}}";
    SafetensorsFile t(write_tmp(d, make(e, zeros(3 * sizes[i])), "dt"));
    EXPECT_EQ(t.find("x")->dtype, dt);
  }
}

TEST(SafetensorsCrafted, StructureLimits) {
  // Unknown fields are ignored (as the reference), however deeply nested.
  TempDir d;
  SafetensorsFile f(
      write_tmp(d, make(R"({"w":{"extra":{"a":[1,{"b":null}],"c":"x"},"dtype":"U8","shape":[1],)"
                        R"("data_offsets":[0,1],"more":[[[]]]}})",
                        zeros(1))));
  EXPECT_EQ(f.find("w")->nbytes(), 1u);
  expect_reject(
      make(R"({"w":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}})", zeros(1)),
      "duplicate key \"dtype\" in tensor \"w\"");
  expect_reject(make(R"({"__metadata__":{},"__metadata__":{}})", ""),
                "duplicate key \"__metadata__\"");
  std::string rank = "[";
  for (int i = 0; i < 65; ++i) rank += i ? ",1" : "1";
  rank += "]";
  expect_reject(
      make(R"({"w":{"dtype":"U8","shape":)" + rank + R"(,"data_offsets":[0,1]}})", zeros(1)),
      "more than 64 dimensions");
  expect_reject(make(R"({"w":{"dtype":"U8","shape":[[1]],"data_offsets":[0,1]}})", zeros(1)),
                "must be non-negative integers");
  expect_reject(make(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[[0],1]}})", zeros(1)),
                "must be two non-negative integers");
  expect_reject(make(R"({"w":{"dtype":["U8"],"shape":[1],"data_offsets":[0,1]}})", zeros(1)),
                "unknown dtype");
  expect_reject(make(R"({"w":{"dtype":"U8","shape":{},"data_offsets":[0,1]}})", zeros(1)),
                "shape is not a list");
  expect_reject(make(R"({"__metadata__":{"a":["x"]}})", ""), "__metadata__ value for \"a\"");
}

TEST(SafetensorsCrafted, NotARegularFile) {
  TempDir d;
  EXPECT_THROW(SafetensorsFile f(d.path()), Error);
  EXPECT_THROW(SafetensorsFile f(d.file("missing.safetensors")), Error);
}

}  // namespace
}  // namespace swift::io

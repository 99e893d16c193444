// libtorch side of safetensors IO. Kept apart from safetensors.cpp so the parser stays a
// torch-free PARSER library that the sanitizer builds can test.
#include "io/torch_io.h"

#include <torch/torch.h>

#include <cstring>

#include "core/error.h"

// Unsigned 16/32/64-bit and float8 dtypes appeared in libtorch 2.1 (float8) and 2.3 (uint).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define SWIFT_TORCH_HAS_UINT 1
#endif
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define SWIFT_TORCH_HAS_FLOAT8 1
#endif

namespace swift::io {

at::ScalarType to_scalar_type(DType dt) {
  switch (dt) {
    case DType::kBool:
      return at::kBool;
    case DType::kU8:
      return at::kByte;
    case DType::kI8:
      return at::kChar;
    case DType::kI16:
      return at::kShort;
    case DType::kF16:
      return at::kHalf;
    case DType::kBF16:
      return at::kBFloat16;
    case DType::kI32:
      return at::kInt;
    case DType::kF32:
      return at::kFloat;
    case DType::kF64:
      return at::kDouble;
    case DType::kI64:
      return at::kLong;
#ifdef SWIFT_TORCH_HAS_UINT
    case DType::kU16:
      return c10::ScalarType::UInt16;
    case DType::kU32:
      return c10::ScalarType::UInt32;
    case DType::kU64:
      return c10::ScalarType::UInt64;
#endif
#ifdef SWIFT_TORCH_HAS_FLOAT8
    case DType::kF8E4M3:
      return c10::ScalarType::Float8_e4m3fn;
    case DType::kF8E5M2:
      return c10::ScalarType::Float8_e5m2;
#endif
    default:
      break;
  }
  SWIFT_FAIL(
      "[io] dtype {} is not supported by this libtorch ({}); convert the weights or use a "
      "newer libtorch",
      dtype_name(dt), TORCH_VERSION);
}

DType from_scalar_type(at::ScalarType st) {
  switch (st) {
    case at::kBool:
      return DType::kBool;
    case at::kByte:
      return DType::kU8;
    case at::kChar:
      return DType::kI8;
    case at::kShort:
      return DType::kI16;
    case at::kHalf:
      return DType::kF16;
    case at::kBFloat16:
      return DType::kBF16;
    case at::kInt:
      return DType::kI32;
    case at::kFloat:
      return DType::kF32;
    case at::kDouble:
      return DType::kF64;
    case at::kLong:
      return DType::kI64;
#ifdef SWIFT_TORCH_HAS_UINT
    case c10::ScalarType::UInt16:
      return DType::kU16;
    case c10::ScalarType::UInt32:
      return DType::kU32;
    case c10::ScalarType::UInt64:
      return DType::kU64;
#endif
#ifdef SWIFT_TORCH_HAS_FLOAT8
    case c10::ScalarType::Float8_e4m3fn:
      return DType::kF8E4M3;
    case c10::ScalarType::Float8_e5m2:
      return DType::kF8E5M2;
#endif
    default:
      break;
  }
  SWIFT_FAIL("[io] torch dtype {} cannot be stored in safetensors", c10::toString(st));
}

at::Tensor to_tensor(const SafetensorsFile& file, const TensorInfo& info) {
  auto st = to_scalar_type(info.dtype);
  at::Tensor t = torch::empty(info.shape, torch::TensorOptions().dtype(st).device(torch::kCPU));
  // Sizes were validated against the file at load, so this is exact.
  SWIFT_ASSERT(static_cast<std::uint64_t>(t.nbytes()) == info.nbytes());
  if (info.nbytes() > 0) std::memcpy(t.data_ptr(), file.data(info), info.nbytes());
  return t;
}

void save_tensors(const std::string& path,
                  const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata) {
  std::vector<at::Tensor> keep;
  std::vector<TensorBytes> out;
  keep.reserve(tensors.size());
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    SWIFT_CHECK(t.defined(), "[io] cannot write {}: tensor \"{}\" is undefined", path, name);
    at::Tensor c = t.detach().to(torch::kCPU).contiguous();
    keep.push_back(c);
    out.push_back(TensorBytes{name, from_scalar_type(c.scalar_type()),
                              std::vector<std::int64_t>(c.sizes().begin(), c.sizes().end()),
                              c.data_ptr(), static_cast<std::size_t>(c.nbytes())});
  }
  write_safetensors(path, out, metadata);
}

}  // namespace swift::io

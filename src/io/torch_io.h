// Bridges safetensors and libtorch: tensors read from a validated SafetensorsFile become owning
// CPU tensors of the stored dtype, and tensors are saved as contiguous CPU copies, atomically.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors.h"

namespace swift::io {

// Throws swift::Error when this libtorch has no such dtype (U16/U32/U64/F8 need torch >= 2.3).
at::ScalarType to_scalar_type(DType dt);
DType from_scalar_type(at::ScalarType st);

// A CPU tensor owning a copy of the bytes (the mapping may be closed afterwards).
at::Tensor to_tensor(const SafetensorsFile& file, const TensorInfo& info);

void save_tensors(const std::string& path,
                  const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata = {});

}  // namespace swift::io

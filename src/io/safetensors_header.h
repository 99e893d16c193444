// Internal to swift_io: the streaming (SAX) parser of a safetensors JSON header. It validates
// each entry as it is read and stores only the TensorInfo records, so memory stays proportional
// to what a valid header needs rather than to a DOM of whatever JSON an attacker sent.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace swift::io::detail {

// Most dimensions a shape may have. The reference crate has no limit, but dims of 1 never
// overflow the element count, so without a cap a header could make us store 8 bytes per 2 bytes
// of JSON. libtorch kernels do not go beyond this either.
inline constexpr std::size_t kMaxRank = 64;
// Most __metadata__ entries (real files carry a handful).
inline constexpr std::size_t kMaxMetadataEntries = 4096;

// Parses and validates the header text [begin, end) of `path`. Offsets in the returned infos are
// absolute (data_start added); every range lies within [data_start, data_start + buffer_len).
// Tensors are returned in header order; layout (contiguity, coverage) and duplicate names are
// checked by the caller.
void parse_header(const std::string& path,
                  const char* begin,
                  const char* end,
                  std::uint64_t data_start,
                  std::uint64_t buffer_len,
                  std::vector<TensorInfo>* tensors,
                  std::map<std::string, std::string>* metadata);

}  // namespace swift::io::detail

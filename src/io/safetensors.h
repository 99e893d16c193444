// safetensors reading and writing, validated before anything is trusted.
//
// Format: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets},
// "__metadata__": {str: str}}, then the byte buffer. Offsets are relative to the buffer start.
// Every check of ../shared/reference/reliability.md check 15 runs in SafetensorsFile's
// constructor, before any allocation sized from the file (the header is parsed by a streaming
// SAX pass that stores only TensorInfo records). Accept/reject follows the reference Rust crate
// (safetensors/src/tensor.rs); we are stricter only on: duplicate keys (rejected, not
// last-wins), NUL bytes in the header, more than 64 dimensions, a dimension above 2^63-1, more
// than 4096 __metadata__ entries, and dtypes the crate added after F8 (F4, F6_*, F8_E8M0, C64).
//
// Messages are "[io] <file>: <problem>..."; the phrases (tests match on them):
//   "file too small", "header too large", "header extends past end of file",
//   "header is not valid UTF-8", "header is not valid JSON" (also "NUL byte"),
//   "header does not start with '{'", "entry for tensor \"x\" is not an object",
//   "is missing \"dtype\"" (shape, data_offsets), "unknown dtype",
//   "shape is not a list", "dimensions must be non-negative integers", "more than 64 dimensions",
//   "above 2^63-1", "element count exceeds 2^64", "byte size exceeds 2^64",
//   "data_offsets must be two non-negative integers", "end <e> < begin <b>",
//   "point past end of buffer", "size mismatch", "duplicate tensor name", "duplicate key",
//   "overlaps the previous tensor", "gap between tensors", "buffer not fully covered",
//   "__metadata__ is not an object", "__metadata__ value for \"k\" is not a string".
// SafetensorsModel adds: "no model.safetensors or model.safetensors.index.json",
//   "index is not valid JSON", "no \"weight_map\" object", "is not a string",
//   "shard path ... is absolute", "contains \"..\"", "resolves outside the model folder",
//   "missing shard", "is missing from that shard", "is not listed in the index",
//   "same tensor in two shards".
//
// Not covered: a file truncated by someone else after it was mapped makes later reads fault
// (SIGBUS), as with any mmap reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/fs.h"

namespace swift::io {

// Largest header accepted (as the reference Rust crate): bounds what parsing may allocate.
inline constexpr std::uint64_t kMaxHeaderSize = 100'000'000;

enum class DType {
  kBool,
  kU8,
  kI8,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64,
  kF8E4M3,
  kF8E5M2
};

const char* dtype_name(DType dt);  // "F32", "BF16", ... (safetensors spelling)
std::size_t dtype_size(DType dt);  // bytes per element
bool parse_dtype(const std::string& name, DType* out);

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // absolute offset in the file
  std::uint64_t end = 0;    // absolute offset, exclusive
  std::uint64_t numel() const;
  std::uint64_t nbytes() const { return end - begin; }
};

class SafetensorsFile {
 public:
  // Maps and validates; throws swift::Error naming the file and the problem.
  explicit SafetensorsFile(const std::string& path);
  const std::string& path() const { return map_.path(); }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // in file order
  const TensorInfo* find(const std::string& name) const;               // nullptr if absent
  const std::uint8_t* data(const TensorInfo& t) const { return map_.data() + t.begin; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  fs::MappedFile map_;
  std::vector<TensorInfo> tensors_;
  std::vector<std::uint32_t> by_name_;  // indices into tensors_, sorted by name
  std::map<std::string, std::string> metadata_;
};

// All weights of a model folder: model.safetensors, or the shards named by
// model.safetensors.index.json (paths must stay inside the folder; every shard must exist; a
// tensor listed twice, or present in a shard but not the index, is an error).
class SafetensorsModel {
 public:
  explicit SafetensorsModel(const std::string& dir, const std::string& stem = "model");
  struct Ref {
    const SafetensorsFile* file;
    const TensorInfo* info;
  };
  const Ref* find(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, Ref> refs_;
};

// One tensor to write: raw little-endian bytes, already contiguous.
struct TensorBytes {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  const void* data;
  std::size_t nbytes;
};

// Writes atomically (tmp + fsync + rename). Tensors are laid out in the order given;
// "__metadata__" comes first and the header is space-padded to a multiple of 8, so given the same
// order the bytes equal the reference writer's (which orders by alignment, then name). Throws on
// duplicate/empty names, negative dims, or nbytes != shape x dtype size.
void write_safetensors(const std::string& path,
                       const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace swift::io

// safetensors parsing and writing. The parser treats the file as hostile: every number read from
// the header is range-checked with overflow-safe arithmetic before it is used to index or size
// anything, and the accept/reject rules follow the reference Rust crate (safetensors/src/
// tensor.rs), stricter only where noted in safetensors.h. The JSON itself is walked by
// safetensors_header.cpp; this file owns the byte-level checks and the layout rules.
#include "io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/error.h"
#include "io/safetensors_header.h"

namespace swift::io {

namespace {

struct DTypeEntry {
  DType dt;
  const char* name;
  std::size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::kBool, "BOOL", 1}, {DType::kU8, "U8", 1},          {DType::kI8, "I8", 1},
    {DType::kI16, "I16", 2},   {DType::kU16, "U16", 2},        {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2}, {DType::kI32, "I32", 4},        {DType::kU32, "U32", 4},
    {DType::kF32, "F32", 4},   {DType::kF64, "F64", 8},        {DType::kI64, "I64", 8},
    {DType::kU64, "U64", 8},   {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kF8E5M2, "F8_E5M2", 1},
};

const DTypeEntry& entry(DType dt) {
  for (const auto& e : kDTypes)
    if (e.dt == dt) return e;
  SWIFT_FAIL("[io] internal: unknown dtype enum {}", static_cast<int>(dt));
}

bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF), as Rust's from_utf8.
bool valid_utf8(const std::uint8_t* s, std::size_t n, std::size_t* bad_at) {
  std::size_t i = 0;
  while (i < n) {
    std::uint8_t c = s[i];
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      *bad_at = i;
      return false;
    }
    if (n - i < len) {
      *bad_at = i;
      return false;
    }
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        *bad_at = i;
        return false;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      *bad_at = i;
      return false;
    }
    i += len;
  }
  return true;
}

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

const char* dtype_name(DType dt) {
  return entry(dt).name;
}
std::size_t dtype_size(DType dt) {
  return entry(dt).size;
}

bool parse_dtype(const std::string& name, DType* out) {
  for (const auto& e : kDTypes) {
    if (name == e.name) {
      *out = e.dt;
      return true;
    }
  }
  return false;
}

std::uint64_t TensorInfo::numel() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);  // validated at load: no overflow
  return n;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : map_(path) {
  const std::uint8_t* base = map_.data();
  const std::uint64_t size = map_.size();
  SWIFT_CHECK(size >= 8,
              "[io] {}: file too small ({} bytes) for a safetensors header; expected at least 8 "
              "bytes (truncated download?)",
              path, size);
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | base[i];
  SWIFT_CHECK(n <= kMaxHeaderSize,
              "[io] {}: header too large ({} bytes, limit {}); not a safetensors file or corrupt",
              path, n, kMaxHeaderSize);
  // n <= 1e8, so n + 8 cannot overflow; compare without forming out-of-range pointers.
  SWIFT_CHECK(n + 8 <= size,
              "[io] {}: invalid header length {}: header extends past end of file ({} bytes); "
              "the file is truncated",
              path, n, size);
  const std::uint8_t* hb = base + 8;
  std::size_t bad = 0;
  SWIFT_CHECK(valid_utf8(hb, n, &bad), "[io] {}: header is not valid UTF-8 (byte {}); corrupt file",
              path, bad);
  // nlohmann stops at a NUL byte as if the input ended, which would let bytes after it hide in
  // the header; JSON never contains a raw NUL, so refuse it here.
  const void* nul = n ? std::memchr(hb, 0, n) : nullptr;
  SWIFT_CHECK(nul == nullptr,
              "[io] {}: header is not valid JSON (NUL byte at {}); the file is corrupt", path,
              nul ? static_cast<const std::uint8_t*>(nul) - hb : 0);
  SWIFT_CHECK(n > 0 && hb[0] == '{',
              "[io] {}: header does not start with '{{'; not a safetensors file", path);
  const std::uint64_t data_start = 8 + n;
  detail::parse_header(path, reinterpret_cast<const char*>(hb),
                       reinterpret_cast<const char*>(hb + n), data_start, size - data_start,
                       &tensors_, &metadata_);

  // Names must be unique (nlohmann reports duplicate keys like any other key); a file naming a
  // tensor twice is ambiguous, as two readers may pick different entries.
  by_name_.resize(tensors_.size());
  for (std::size_t i = 0; i < by_name_.size(); ++i) by_name_[i] = static_cast<std::uint32_t>(i);
  std::sort(by_name_.begin(), by_name_.end(),
            [&](std::uint32_t a, std::uint32_t b) { return tensors_[a].name < tensors_[b].name; });
  for (std::size_t i = 1; i < by_name_.size(); ++i) {
    SWIFT_CHECK(tensors_[by_name_[i]].name != tensors_[by_name_[i - 1]].name,
                "[io] {}: duplicate tensor name \"{}\" in header; the file is ambiguous", path,
                tensors_[by_name_[i]].name);
  }

  // Anti-polyglot: the ranges, in offset order, must tile the buffer exactly.
  std::sort(tensors_.begin(), tensors_.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin
                              : (a.end != b.end ? a.end < b.end : a.name < b.name);
  });
  std::uint64_t cursor = data_start;
  for (const auto& t : tensors_) {
    SWIFT_CHECK(t.begin >= cursor,
                "[io] {}: tensor \"{}\" overlaps the previous tensor (begins at {} before {}); "
                "overlapping ranges are not allowed",
                path, t.name, t.begin - data_start, cursor - data_start);
    SWIFT_CHECK(t.begin == cursor,
                "[io] {}: gap between tensors: \"{}\" begins at {} but the previous tensor ends at "
                "{}; ranges must be contiguous",
                path, t.name, t.begin - data_start, cursor - data_start);
    cursor = t.end;
  }
  SWIFT_CHECK(cursor == size,
              "[io] {}: buffer not fully covered: tensors end at {} but the buffer has {} bytes "
              "(trailing bytes)",
              path, cursor - data_start, size - data_start);
  // The layout sort moved the tensors: rebuild the name order.
  for (std::size_t i = 0; i < by_name_.size(); ++i) by_name_[i] = static_cast<std::uint32_t>(i);
  std::sort(by_name_.begin(), by_name_.end(),
            [&](std::uint32_t a, std::uint32_t b) { return tensors_[a].name < tensors_[b].name; });
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it =
      std::lower_bound(by_name_.begin(), by_name_.end(), name,
                       [&](std::uint32_t i, const std::string& n) { return tensors_[i].name < n; });
  return it != by_name_.end() && tensors_[*it].name == name ? &tensors_[*it] : nullptr;
}

void write_safetensors(const std::string& path,
                       const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = std::move(m);
  }
  std::unordered_set<std::string> names;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    SWIFT_CHECK(!t.name.empty() && t.name != "__metadata__",
                "[io] cannot write {}: invalid tensor name \"{}\"", path, t.name);
    SWIFT_CHECK(names.insert(t.name).second, "[io] cannot write {}: duplicate tensor name \"{}\"",
                path, t.name);
    std::uint64_t numel = 1;
    for (auto d : t.shape) {
      SWIFT_CHECK(d >= 0, "[io] cannot write {}: tensor \"{}\" has negative shape {}", path, t.name,
                  shape_str(t.shape));
      SWIFT_CHECK(!mul_overflows(numel, static_cast<std::uint64_t>(d), &numel),
                  "[io] cannot write {}: tensor \"{}\" shape overflows", path, t.name);
    }
    std::uint64_t nbytes = 0;
    SWIFT_CHECK(!mul_overflows(numel, dtype_size(t.dtype), &nbytes) && nbytes == t.nbytes,
                "[io] cannot write {}: tensor \"{}\" has {} bytes but shape {} x {} needs {}", path,
                t.name, t.nbytes, shape_str(t.shape), dtype_name(t.dtype), nbytes);
    SWIFT_CHECK(t.nbytes == 0 || t.data != nullptr,
                "[io] cannot write {}: tensor \"{}\" has no data", path, t.name);
    nlohmann::ordered_json e = nlohmann::ordered_json::object();
    e["dtype"] = dtype_name(t.dtype);
    e["shape"] = t.shape;
    e["data_offsets"] = {offset, offset + t.nbytes};
    header[t.name] = std::move(e);
    offset += t.nbytes;
  }
  std::string hs = header.dump();
  // Pad with spaces to a multiple of 8 so the buffer (and every tensor of an aligned dtype
  // laid out in that order) starts aligned, as the reference writer does.
  hs.append((8 - hs.size() % 8) % 8, ' ');
  SWIFT_CHECK(hs.size() <= kMaxHeaderSize,
              "[io] cannot write {}: header of {} bytes exceeds the {} byte limit", path, hs.size(),
              kMaxHeaderSize);
  std::string out;
  out.reserve(8 + hs.size() + offset);
  std::uint64_t n = hs.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out += hs;
  for (const auto& t : tensors)
    if (t.nbytes) out.append(static_cast<const char*>(t.data), t.nbytes);
  fs::write_file_atomic(path, out);
}

}  // namespace swift::io

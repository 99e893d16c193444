// Streaming parser of safetensors headers (see safetensors_header.h). Two SAX passes over the
// text: the first only counts entries so the second can reserve exactly, and the second checks
// every value as it arrives, throwing swift::Error with the file name and the tensor at fault.
// Unknown fields inside a tensor entry are skipped without being stored, as the reference crate
// ignores them.
#include "io/safetensors_header.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace swift::io::detail {

namespace {

using Json = nlohmann::json;

[[noreturn]] void throw_syntax(const std::string& path, const nlohmann::detail::exception& ex) {
  SWIFT_FAIL("[io] {}: header is not valid JSON ({}); the file is corrupt or not safetensors", path,
             ex.what());
}

// Pass 1: counts the top-level keys. Stores nothing.
struct CountSax {
  std::string path;
  int depth = 0;
  std::size_t keys = 0;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(std::int64_t) { return true; }
  bool number_unsigned(std::uint64_t) { return true; }
  bool number_float(double, const std::string&) { return true; }
  bool string(std::string&) { return true; }
  bool binary(Json::binary_t&) { return true; }
  bool start_object(std::size_t) { return ++depth, true; }
  bool end_object() { return --depth, true; }
  bool start_array(std::size_t) { return ++depth, true; }
  bool end_array() { return --depth, true; }
  bool key(std::string&) {
    if (depth == 1) ++keys;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    throw_syntax(path, ex);
  }
};

const char* kDtypeList = "BOOL U8 I8 I16 U16 F16 BF16 I32 U32 F32 F64 I64 U64 F8_E4M3 F8_E5M2";

// Pass 2: a state machine over the expected structure
//   { "__metadata__": {str: str}, name: {"dtype": str, "shape": [u64...], "data_offsets": [u64,
//   u64], other: any}, ... }
class BuildSax {
 public:
  BuildSax(const std::string& path,
           std::uint64_t data_start,
           std::uint64_t buffer_len,
           std::vector<TensorInfo>* tensors,
           std::map<std::string, std::string>* metadata)
      : path_(path),
        data_start_(data_start),
        buffer_len_(buffer_len),
        tensors_(tensors),
        metadata_(metadata) {}

  bool null() { return scalar("null"); }
  bool boolean(bool) { return scalar("a boolean"); }
  bool number_integer(std::int64_t) { return scalar("a negative integer"); }
  bool number_unsigned(std::uint64_t v) {
    if (skip_ > 0) return true;
    if (state_ == State::kShape) return shape_dim(v);
    if (state_ == State::kOffsets) return offset(v);
    return scalar("a number");
  }
  bool number_float(double, const std::string&) { return scalar("a non-integer number"); }
  bool string(std::string& s) {
    if (skip_ > 0) return true;
    if (state_ == State::kMetaValue) {
      (*metadata_)[meta_key_] = s;
      state_ = State::kMeta;
      return true;
    }
    if (state_ == State::kField && field_ == Field::kDtype) {
      SWIFT_CHECK(parse_dtype(s, &cur_.dtype),
                  "[io] {}: tensor \"{}\" has unknown dtype \"{}\"; supported: {}", path_,
                  cur_.name, s, kDtypeList);
      state_ = State::kEntry;
      return true;
    }
    return scalar("a string");
  }
  bool binary(Json::binary_t&) { return scalar("binary"); }

  bool start_object(std::size_t) {
    if (skip_ > 0) return ++skip_, true;
    switch (state_) {
      case State::kTop:
        state_ = State::kHeader;
        return true;
      case State::kEntryStart:
        state_ = State::kEntry;
        return true;
      case State::kMetaStart:
        state_ = State::kMeta;
        return true;
      case State::kSkipValue:
        skip_ = 1;
        return true;
      default:
        return scalar("an object");
    }
  }
  bool end_object() {
    if (skip_ > 0) return end_skipped();
    if (state_ == State::kMeta) {
      state_ = State::kHeader;
      return true;
    }
    if (state_ == State::kEntry) return finish_entry();
    state_ = State::kDone;  // the top-level object
    return true;
  }
  bool start_array(std::size_t) {
    if (skip_ > 0) return ++skip_, true;
    if (state_ == State::kSkipValue) {
      skip_ = 1;
      return true;
    }
    if (state_ == State::kField && field_ == Field::kShape) {
      state_ = State::kShape;
      return true;
    }
    if (state_ == State::kField && field_ == Field::kOffsets) {
      state_ = State::kOffsets;
      return true;
    }
    return scalar("a list");
  }
  bool end_array() {
    if (skip_ > 0) return end_skipped();
    if (state_ == State::kOffsets) {
      SWIFT_CHECK(n_offsets_ == 2,
                  "[io] {}: tensor \"{}\" data_offsets must be two non-negative integers (got {} "
                  "values)",
                  path_, cur_.name, n_offsets_);
    }
    state_ = State::kEntry;
    return true;
  }

  bool key(std::string& k) {
    if (skip_ > 0) return true;
    if (state_ == State::kHeader) {
      if (k == "__metadata__") {
        SWIFT_CHECK(!seen_metadata_, "[io] {}: duplicate key \"__metadata__\" in header", path_);
        seen_metadata_ = true;
        state_ = State::kMetaStart;
      } else {
        cur_ = TensorInfo();
        cur_.name = k;
        has_dtype_ = has_shape_ = has_offsets_ = false;
        state_ = State::kEntryStart;
      }
      return true;
    }
    if (state_ == State::kMeta) {
      SWIFT_CHECK(metadata_->count(k) == 0, "[io] {}: duplicate key \"{}\" in __metadata__", path_,
                  k);
      SWIFT_CHECK(metadata_->size() < kMaxMetadataEntries,
                  "[io] {}: __metadata__ has more than {} entries", path_, kMaxMetadataEntries);
      meta_key_ = k;
      state_ = State::kMetaValue;
      return true;
    }
    // state_ == kEntry
    bool* seen = nullptr;
    if (k == "dtype") {
      field_ = Field::kDtype;
      seen = &has_dtype_;
    } else if (k == "shape") {
      field_ = Field::kShape;
      seen = &has_shape_;
    } else if (k == "data_offsets") {
      field_ = Field::kOffsets;
      seen = &has_offsets_;
      n_offsets_ = 0;
    } else {
      state_ = State::kSkipValue;
      return true;
    }
    SWIFT_CHECK(!*seen, "[io] {}: duplicate key \"{}\" in tensor \"{}\"", path_, k, cur_.name);
    *seen = true;
    state_ = State::kField;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    throw_syntax(path_, ex);
  }

 private:
  enum class State {
    kTop,
    kHeader,
    kMetaStart,
    kMeta,
    kMetaValue,
    kEntryStart,
    kEntry,
    kField,
    kShape,
    kOffsets,
    kSkipValue,
    kDone
  };
  enum class Field { kDtype, kShape, kOffsets };

  bool end_skipped() {
    if (--skip_ == 0) state_ = State::kEntry;
    return true;
  }

  // A value of the wrong kind for where it appears, or any value of a skipped field.
  bool scalar(const char* what) {
    if (skip_ > 0) return true;
    switch (state_) {
      case State::kSkipValue:
        state_ = State::kEntry;
        return true;
      case State::kMetaStart:
        SWIFT_FAIL("[io] {}: __metadata__ is not an object of strings (got {})", path_, what);
      case State::kMetaValue:
        SWIFT_FAIL(
            "[io] {}: __metadata__ value for \"{}\" is not a string (got {}); __metadata__ must "
            "map strings to strings",
            path_, meta_key_, what);
      case State::kEntryStart:
        SWIFT_FAIL("[io] {}: entry for tensor \"{}\" is not an object (got {})", path_, cur_.name,
                   what);
      case State::kShape:
        SWIFT_FAIL(
            "[io] {}: tensor \"{}\" shape is invalid: dimensions must be non-negative integers "
            "(got {})",
            path_, cur_.name, what);
      case State::kOffsets:
        SWIFT_FAIL("[io] {}: tensor \"{}\" data_offsets must be two non-negative integers (got {})",
                   path_, cur_.name, what);
      case State::kField:
        if (field_ == Field::kDtype)
          SWIFT_FAIL("[io] {}: tensor \"{}\" has unknown dtype (got {}); supported: {}", path_,
                     cur_.name, what, kDtypeList);
        if (field_ == Field::kShape)
          SWIFT_FAIL("[io] {}: tensor \"{}\" shape is not a list (got {})", path_, cur_.name, what);
        SWIFT_FAIL("[io] {}: tensor \"{}\" data_offsets must be two non-negative integers (got {})",
                   path_, cur_.name, what);
      default:
        SWIFT_FAIL("[io] {}: header is not a JSON object of tensor entries (unexpected {})", path_,
                   what);
    }
  }

  bool shape_dim(std::uint64_t dim) {
    SWIFT_CHECK(cur_.shape.size() < kMaxRank, "[io] {}: tensor \"{}\" has more than {} dimensions",
                path_, cur_.name, kMaxRank);
    if (cur_.shape.empty()) numel_ = 1;
    SWIFT_CHECK(!__builtin_mul_overflow(numel_, dim, &numel_),
                "[io] {}: tensor \"{}\" shape overflows: element count exceeds 2^64", path_,
                cur_.name);
    // Stricter than the reference: torch sizes are int64, so a larger dim is unusable even in an
    // empty tensor.
    SWIFT_CHECK(dim <= static_cast<std::uint64_t>(INT64_MAX),
                "[io] {}: tensor \"{}\" shape is invalid: dimension {} above 2^63-1", path_,
                cur_.name, dim);
    cur_.shape.push_back(static_cast<std::int64_t>(dim));
    return true;
  }

  bool offset(std::uint64_t v) {
    SWIFT_CHECK(n_offsets_ < 2,
                "[io] {}: tensor \"{}\" data_offsets must be two non-negative integers (got more)",
                path_, cur_.name);
    offsets_[n_offsets_++] = v;
    return true;
  }

  bool finish_entry() {
    for (auto [has, key] : {std::pair{has_dtype_, "dtype"}, std::pair{has_shape_, "shape"},
                            std::pair{has_offsets_, "data_offsets"}})
      SWIFT_CHECK(has, "[io] {}: tensor \"{}\" is missing \"{}\"", path_, cur_.name, key);
    std::uint64_t numel = 1;
    for (auto d : cur_.shape) numel *= static_cast<std::uint64_t>(d);  // checked in shape_dim
    std::uint64_t expect = 0;
    SWIFT_CHECK(!__builtin_mul_overflow(numel, dtype_size(cur_.dtype), &expect),
                "[io] {}: tensor \"{}\" shape overflows: byte size exceeds 2^64", path_, cur_.name);
    const std::uint64_t b = offsets_[0], e = offsets_[1];
    SWIFT_CHECK(e >= b, "[io] {}: tensor \"{}\" has invalid data_offsets: end {} < begin {}", path_,
                cur_.name, e, b);
    SWIFT_CHECK(e <= buffer_len_,
                "[io] {}: tensor \"{}\" data_offsets [{}, {}] point past end of buffer ({} bytes); "
                "the file is truncated or corrupt",
                path_, cur_.name, b, e, buffer_len_);
    if (e - b != expect) {
      std::string shape = "[";
      for (std::size_t i = 0; i < cur_.shape.size(); ++i)
        shape += (i ? ", " : "") + std::to_string(cur_.shape[i]);
      shape += "]";
      SWIFT_FAIL(
          "[io] {}: tensor \"{}\" size mismatch: shape {} x {} needs {} bytes but "
          "data_offsets cover {}; the file is corrupt, re-download it",
          path_, cur_.name, shape, dtype_name(cur_.dtype), expect, e - b);
    }
    cur_.begin = data_start_ + b;
    cur_.end = data_start_ + e;
    tensors_->push_back(std::move(cur_));
    state_ = State::kHeader;
    return true;
  }

  const std::string& path_;
  std::uint64_t data_start_, buffer_len_;
  std::vector<TensorInfo>* tensors_;
  std::map<std::string, std::string>* metadata_;
  State state_ = State::kTop;
  Field field_ = Field::kDtype;
  int skip_ = 0;  // nesting depth inside a skipped unknown field
  bool seen_metadata_ = false;
  std::string meta_key_;
  TensorInfo cur_;
  bool has_dtype_ = false, has_shape_ = false, has_offsets_ = false;
  std::uint64_t numel_ = 1;
  std::uint64_t offsets_[2] = {0, 0};
  std::size_t n_offsets_ = 0;
};

}  // namespace

void parse_header(const std::string& path,
                  const char* begin,
                  const char* end,
                  std::uint64_t data_start,
                  std::uint64_t buffer_len,
                  std::vector<TensorInfo>* tensors,
                  std::map<std::string, std::string>* metadata) {
  CountSax count{path};
  Json::sax_parse(begin, end, &count);
  tensors->reserve(count.keys);
  BuildSax build(path, data_start, buffer_len, tensors, metadata);
  Json::sax_parse(begin, end, &build);
}

}  // namespace swift::io::detail

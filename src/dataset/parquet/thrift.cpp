// Thrift compact protocol
// (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md): field
// headers carry a delta-encoded id and a type nibble, integers are zigzag varints, lists carry
// their size and element type in one byte.
#include "dataset/parquet/thrift.h"

#include <cstring>

#include "core/error.h"

namespace swift::parquet::thrift {

namespace {

enum : std::uint8_t {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class Decoder {
 public:
  Decoder(std::string_view data, const std::string& what, const Limits& limits)
      : data_(data), what_(what), limits_(limits) {}

  std::size_t pos() const { return pos_; }

  std::uint8_t byte() {
    SWIFT_CHECK(pos_ < data_.size(), "[parquet] {}: metadata ends early (truncated file?)", what_);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte();
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    SWIFT_FAIL("[parquet] {}: malformed metadata (a varint longer than 10 bytes)", what_);
  }

  std::int64_t zigzag() {
    std::uint64_t v = varint();
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }

  Struct read_struct(std::size_t depth) {
    SWIFT_CHECK(depth <= limits_.max_depth, "[parquet] {}: metadata nested deeper than {} levels",
                what_, limits_.max_depth);
    Struct s;
    std::int16_t last_id = 0;
    for (;;) {
      std::uint8_t h = byte();
      if (h == kStop) return s;
      std::uint8_t type = h & 0x0f;
      std::int64_t id;
      if ((h >> 4) == 0) {
        id = zigzag();
      } else {
        id = last_id + (h >> 4);
      }
      SWIFT_CHECK(id >= -32768 && id <= 32767, "[parquet] {}: malformed metadata (field id {})",
                  what_, id);
      last_id = static_cast<std::int16_t>(id);
      Value v;
      if (type == kTrue || type == kFalse) {
        v.kind = Value::Kind::kBool;
        v.i = type == kTrue ? 1 : 0;
      } else {
        v = read_value(type, depth);
      }
      s[last_id] = std::move(v);
    }
  }

 private:
  Value read_value(std::uint8_t type, std::size_t depth) {
    Value v;
    switch (type) {
      case kTrue:
      case kFalse:
        // Inside lists a bool is a whole byte: 1 is true.
        v.kind = Value::Kind::kBool;
        v.i = byte() == 1 ? 1 : 0;
        return v;
      case kByte:
        v.kind = Value::Kind::kInt;
        v.i = static_cast<std::int8_t>(byte());
        return v;
      case kI16:
      case kI32:
      case kI64:
        v.kind = Value::Kind::kInt;
        v.i = zigzag();
        return v;
      case kDouble: {
        SWIFT_CHECK(data_.size() - pos_ >= 8, "[parquet] {}: metadata ends early", what_);
        std::memcpy(&v.d, data_.data() + pos_, 8);
        pos_ += 8;
        v.kind = Value::Kind::kDouble;
        return v;
      }
      case kBinary: {
        std::uint64_t n = varint();
        SWIFT_CHECK(n <= limits_.max_string && n <= data_.size() - pos_,
                    "[parquet] {}: metadata holds a string of {} bytes past its end", what_, n);
        v.kind = Value::Kind::kBinary;
        v.s.assign(data_.data() + pos_, n);
        pos_ += n;
        return v;
      }
      case kList:
      case kSet: {
        std::uint8_t h = byte();
        std::uint64_t n = h >> 4;
        if (n == 15) n = varint();
        std::uint8_t et = h & 0x0f;
        // Every element takes at least one byte (bools and empty structs included).
        SWIFT_CHECK(n <= data_.size() - pos_ && elements_ + n <= limits_.max_elements,
                    "[parquet] {}: metadata holds a list of {} elements, more than it can hold",
                    what_, n);
        elements_ += n;
        SWIFT_CHECK(depth + 1 <= limits_.max_depth,
                    "[parquet] {}: metadata nested deeper than {} levels", what_,
                    limits_.max_depth);
        v.kind = Value::Kind::kList;
        v.list.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) v.list.push_back(read_value(et, depth + 1));
        return v;
      }
      case kMap: {
        // Parquet's metadata has no maps; skip one cleanly if a writer adds it.
        std::uint64_t n = varint();
        SWIFT_CHECK(n <= data_.size() - pos_ && elements_ + n <= limits_.max_elements,
                    "[parquet] {}: metadata holds a map of {} entries past its end", what_, n);
        elements_ += n;
        std::uint8_t kv = n ? byte() : 0;
        for (std::uint64_t i = 0; i < n; ++i) {
          read_value(kv >> 4, depth + 1);
          read_value(kv & 0x0f, depth + 1);
        }
        v.kind = Value::Kind::kList;
        return v;
      }
      case kStruct:
        v.kind = Value::Kind::kStruct;
        v.fields = std::make_shared<Struct>(read_struct(depth + 1));
        return v;
      default:
        SWIFT_FAIL("[parquet] {}: malformed metadata (unknown field type {})", what_,
                   static_cast<int>(type));
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  const std::string& what_;
  const Limits& limits_;
  std::size_t elements_ = 0;
};

}  // namespace

Struct decode_struct(std::string_view data,
                     std::size_t* consumed,
                     const std::string& what,
                     const Limits& limits) {
  Decoder d(data, what, limits);
  Struct s = d.read_struct(0);
  if (consumed) *consumed = d.pos();
  return s;
}

const Value* find(const Struct& s, std::int16_t id) {
  auto it = s.find(id);
  return it == s.end() ? nullptr : &it->second;
}

std::int64_t get_int(const Struct& s, std::int16_t id, const char* name, const std::string& what) {
  const Value* v = find(s, id);
  SWIFT_CHECK(v && (v->kind == Value::Kind::kInt || v->kind == Value::Kind::kBool),
              "[parquet] {}: metadata lacks the required field {}", what, name);
  return v->i;
}

std::int64_t int_or(const Struct& s, std::int16_t id, std::int64_t fallback) {
  const Value* v = find(s, id);
  return v && (v->kind == Value::Kind::kInt || v->kind == Value::Kind::kBool) ? v->i : fallback;
}

const Struct& get_struct(const Struct& s,
                         std::int16_t id,
                         const char* name,
                         const std::string& what) {
  const Struct* p = opt_struct(s, id);
  SWIFT_CHECK(p, "[parquet] {}: metadata lacks the required field {}", what, name);
  return *p;
}

const Struct* opt_struct(const Struct& s, std::int16_t id) {
  const Value* v = find(s, id);
  return v && v->kind == Value::Kind::kStruct && v->fields ? v->fields.get() : nullptr;
}

}  // namespace swift::parquet::thrift

// A bounded decoder for the Thrift compact protocol, enough for Parquet's footer and page
// headers. It decodes a struct into a generic tree (field id -> value) so that every length,
// count and nesting depth is checked in one place before the Parquet code looks at a field.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace swift::parquet::thrift {

struct Value;
using Struct = std::map<std::int16_t, Value>;

struct Value {
  enum class Kind { kBool, kInt, kDouble, kBinary, kList, kStruct };
  Kind kind = Kind::kInt;
  std::int64_t i = 0;  // bool, byte, i16, i32, i64
  double d = 0;
  std::string s;                   // binary / string
  std::vector<Value> list;         // list / set elements (maps are skipped)
  std::shared_ptr<Struct> fields;  // struct
};

struct Limits {
  std::size_t max_depth = 32;           // struct/list nesting
  std::size_t max_elements = 1u << 24;  // list elements, summed over the whole message
  std::size_t max_string = 64u << 20;   // one binary field
};

// Decodes one struct starting at data[0]. `*consumed` receives the bytes read. Throws
// swift::Error "[parquet] <what>: <why>" naming `what` on truncated or malformed input.
Struct decode_struct(std::string_view data,
                     std::size_t* consumed,
                     const std::string& what,
                     const Limits& limits = Limits());

// Accessors with the field's Parquet meaning in the error message.
const Value* find(const Struct& s, std::int16_t id);
std::int64_t get_int(const Struct& s, std::int16_t id, const char* name, const std::string& what);
std::int64_t int_or(const Struct& s, std::int16_t id, std::int64_t fallback);
const Struct& get_struct(const Struct& s,
                         std::int16_t id,
                         const char* name,
                         const std::string& what);
const Struct* opt_struct(const Struct& s, std::int16_t id);

}  // namespace swift::parquet::thrift

// Shared by the Parquet translation units: the schema tree, a decoded column chunk, and the
// page decoder entry point.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/parquet/parquet.h"
#include "dataset/parquet/thrift.h"

namespace swift::parquet::detail {

enum class PhysicalType : int {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

enum Repetition : int { kRequired = 0, kOptional = 1, kRepeated = 2 };

// How a leaf's values become JSON.
enum class ValueKind {
  kBool,
  kSigned,
  kUnsigned,
  kFloat,
  kDouble,
  kString,
  kDecimal,  // integer or fixed bytes scaled by 10^-scale
  kInt96,    // nanoseconds since the epoch
  kFloat16,
};

struct SchemaNode {
  std::string name;
  int repetition = kRequired;
  bool leaf = false;
  PhysicalType type = PhysicalType::kInt32;
  int type_length = 0;
  ValueKind kind = ValueKind::kSigned;
  int scale = 0;
  bool is_list = false;  // LIST annotation (converted or logical)
  bool is_map = false;   // MAP / MAP_KEY_VALUE annotation
  int def = 0;           // definition level once this node is present
  int rep = 0;           // repetition level of this node
  std::vector<int> children;
  int leaf_begin = 0, leaf_end = 0;  // leaves [begin, end) below (a leaf: itself)
  std::string path;                  // dotted, for messages
};

struct FileMeta {
  std::vector<SchemaNode> nodes;  // nodes[0] is the root
  std::vector<int> leaves;        // node index of each leaf column, in column order
  std::int64_t num_rows = 0;
  struct Chunk {
    int codec = 0;
    PhysicalType type = PhysicalType::kInt32;
    std::int64_t num_values = 0;
    std::int64_t offset = 0;  // first page (dictionary page when there is one)
    std::int64_t size = 0;    // total_compressed_size
  };
  struct RowGroup {
    std::int64_t num_rows = 0;
    std::vector<Chunk> chunks;  // one per leaf
  };
  std::vector<RowGroup> row_groups;
};

// Parses the footer's FileMetaData into `meta`, checking it against the file's size.
void parse_file_meta(const std::string& footer,
                     std::uint64_t file_size,
                     const std::string& path,
                     const ReaderLimits& limits,
                     FileMeta* meta);

// A decoded column chunk: levels for every slot, values for the non-null ones.
struct ColumnData {
  std::vector<std::uint16_t> def, rep;  // empty when the max level is 0
  std::size_t num_levels = 0;
  std::vector<std::int64_t> ints;       // boolean, int32, int64 (int96: nanoseconds)
  std::vector<double> doubles;          // float, double
  std::vector<std::string_view> bytes;  // byte arrays and fixed-length byte arrays
  std::deque<std::string> storage;      // owns what `bytes` points at
};

// Reads and decodes chunk `chunk` of leaf `leaf` from the open file descriptor.
void read_column_chunk(int fd,
                       std::uint64_t file_size,
                       const std::string& path,
                       const SchemaNode& leaf,
                       const FileMeta::Chunk& chunk,
                       const ReaderLimits& limits,
                       ColumnData* out);

}  // namespace swift::parquet::detail

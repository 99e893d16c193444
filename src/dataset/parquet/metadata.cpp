// The footer: FileMetaData's schema (flattened depth-first with child counts) rebuilt as a tree
// with each node's definition and repetition levels, and each row group's column chunks
// checked against the file's size.
#include <algorithm>

#include "core/error.h"
#include "dataset/parquet/internal.h"

namespace swift::parquet::detail {

namespace {

using thrift::Struct;
using thrift::Value;

// SchemaElement / ColumnMetaData field ids and enum values from parquet.thrift.
enum ConvertedType : int {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kJson = 19,
};

std::string str_field(const Struct& s, std::int16_t id) {
  const Value* v = thrift::find(s, id);
  return v && v->kind == Value::Kind::kBinary ? v->s : std::string();
}

class SchemaBuilder {
 public:
  SchemaBuilder(const std::vector<Value>& elements,
                const std::string& path,
                const ReaderLimits& limits,
                FileMeta* meta)
      : elements_(elements), path_(path), limits_(limits), meta_(meta) {}

  void build() {
    SWIFT_CHECK(!elements_.empty(),
                "[parquet] {}: the schema is empty; the file is not a valid "
                "Parquet file",
                path_);
    meta_->nodes.clear();
    std::size_t next = 0;
    node(next, -1, 0);
    SWIFT_CHECK(next == elements_.size(),
                "[parquet] {}: the schema lists {} elements but its tree holds {}; the file is "
                "corrupt",
                path_, elements_.size(), next);
    SWIFT_CHECK(!meta_->leaves.empty(), "[parquet] {}: the schema has no columns", path_);
  }

 private:
  int node(std::size_t& next, int parent, std::size_t depth) {
    SWIFT_CHECK(depth <= limits_.max_schema_depth,
                "[parquet] {}: the schema is nested deeper than {} levels", path_,
                limits_.max_schema_depth);
    SWIFT_CHECK(next < elements_.size(), "[parquet] {}: the schema tree is truncated", path_);
    const Value& ev = elements_[next++];
    SWIFT_CHECK(ev.kind == Value::Kind::kStruct && ev.fields,
                "[parquet] {}: a schema element is not a struct", path_);
    const Struct& e = *ev.fields;
    SchemaNode n;
    n.name = str_field(e, 4);
    std::int64_t num_children = thrift::int_or(e, 5, 0);
    SWIFT_CHECK(
        num_children >= 0 && static_cast<std::size_t>(num_children) <= elements_.size() - next,
        "[parquet] {}: schema element '{}' claims {} children, more than the schema has", path_,
        n.name, num_children);
    n.repetition = parent < 0 ? kRequired : static_cast<int>(thrift::int_or(e, 3, kRequired));
    SWIFT_CHECK(n.repetition >= 0 && n.repetition <= 2,
                "[parquet] {}: schema element '{}' has an unknown repetition {}", path_, n.name,
                n.repetition);
    int converted = static_cast<int>(thrift::int_or(e, 6, -1));
    const Struct* logical = thrift::opt_struct(e, 10);
    auto has_logical = [&](std::int16_t id) { return logical && thrift::find(*logical, id); };
    n.is_list = converted == kList || has_logical(3);
    n.is_map = converted == kMap || converted == kMapKeyValue || has_logical(2);
    const SchemaNode* p = parent >= 0 ? &meta_->nodes[parent] : nullptr;
    n.def = (p ? p->def : 0) + (n.repetition != kRequired ? 1 : 0);
    n.rep = (p ? p->rep : 0) + (n.repetition == kRepeated ? 1 : 0);
    SWIFT_CHECK(n.def < 65535 && n.rep < 65535, "[parquet] {}: the schema is nested too deeply",
                path_);
    n.path = p && !p->path.empty() ? p->path + "." + n.name : n.name;
    if (parent < 0) n.path.clear();
    n.leaf = num_children == 0 && parent >= 0;
    if (n.leaf) {
      std::int64_t type = thrift::get_int(e, 1, "SchemaElement.type", path_ + " column " + n.path);
      SWIFT_CHECK(type >= 0 && type <= 7, "[parquet] {}: column {} has an unknown type {}", path_,
                  n.path, type);
      n.type = static_cast<PhysicalType>(type);
      n.type_length = static_cast<int>(thrift::int_or(e, 2, 0));
      if (n.type == PhysicalType::kFixedLenByteArray) {
        SWIFT_CHECK(n.type_length > 0 && n.type_length <= (1 << 20),
                    "[parquet] {}: column {} has an invalid fixed length {}", path_, n.path,
                    n.type_length);
      }
      n.scale = static_cast<int>(thrift::int_or(e, 7, 0));
      const Struct* dec = logical ? thrift::opt_struct(*logical, 5) : nullptr;
      if (dec) n.scale = static_cast<int>(thrift::int_or(*dec, 1, n.scale));
      bool decimal = converted == kDecimal || dec;
      SWIFT_CHECK(!decimal || (n.scale >= 0 && n.scale <= 76),
                  "[parquet] {}: column {} has an invalid decimal scale {}", path_, n.path,
                  n.scale);
      const Struct* integer = logical ? thrift::opt_struct(*logical, 10) : nullptr;
      bool is_unsigned = (converted >= kUint8 && converted <= kUint64) ||
                         (integer && thrift::int_or(*integer, 2, 1) == 0);
      switch (n.type) {
        case PhysicalType::kBoolean:
          n.kind = ValueKind::kBool;
          break;
        case PhysicalType::kInt32:
        case PhysicalType::kInt64:
          n.kind = decimal       ? ValueKind::kDecimal
                   : is_unsigned ? ValueKind::kUnsigned
                                 : ValueKind::kSigned;
          break;
        case PhysicalType::kInt96:
          n.kind = ValueKind::kInt96;
          break;
        case PhysicalType::kFloat:
          n.kind = ValueKind::kFloat;
          break;
        case PhysicalType::kDouble:
          n.kind = ValueKind::kDouble;
          break;
        case PhysicalType::kByteArray:
          n.kind = decimal ? ValueKind::kDecimal : ValueKind::kString;
          break;
        case PhysicalType::kFixedLenByteArray:
          n.kind = decimal                                   ? ValueKind::kDecimal
                   : (has_logical(15) && n.type_length == 2) ? ValueKind::kFloat16
                                                             : ValueKind::kString;
          break;
      }
    }
    int index = static_cast<int>(meta_->nodes.size());
    meta_->nodes.push_back(n);
    meta_->nodes[index].leaf_begin = static_cast<int>(meta_->leaves.size());
    if (meta_->nodes[index].leaf) {
      meta_->leaves.push_back(index);
    } else {
      for (std::int64_t c = 0; c < num_children; ++c) {
        int child = node(next, index, depth + 1);
        meta_->nodes[index].children.push_back(child);
      }
    }
    meta_->nodes[index].leaf_end = static_cast<int>(meta_->leaves.size());
    SWIFT_CHECK(meta_->nodes[index].leaf_end > meta_->nodes[index].leaf_begin,
                "[parquet] {}: group '{}' holds no columns; the file is not a valid Parquet file",
                path_, meta_->nodes[index].path.empty() ? "(root)" : meta_->nodes[index].path);
    return index;
  }

  const std::vector<Value>& elements_;
  const std::string& path_;
  const ReaderLimits& limits_;
  FileMeta* meta_;
};

const std::vector<Value>& list_field(const Struct& s,
                                     std::int16_t id,
                                     const char* name,
                                     const std::string& what) {
  const Value* v = thrift::find(s, id);
  SWIFT_CHECK(v && v->kind == Value::Kind::kList,
              "[parquet] {}: metadata lacks the required list {}", what, name);
  return v->list;
}

}  // namespace

void parse_file_meta(const std::string& footer,
                     std::uint64_t data_end,
                     const std::string& path,
                     const ReaderLimits& limits,
                     FileMeta* meta) {
  std::size_t used = 0;
  Struct fm = thrift::decode_struct(footer, &used, path + " (footer)");
  SchemaBuilder(list_field(fm, 2, "FileMetaData.schema", path), path, limits, meta).build();
  meta->num_rows = thrift::get_int(fm, 3, "FileMetaData.num_rows", path);
  SWIFT_CHECK(meta->num_rows >= 0, "[parquet] {}: the footer claims {} rows", path, meta->num_rows);
  const auto& groups = list_field(fm, 4, "FileMetaData.row_groups", path);
  std::int64_t total = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    std::string what = fmt::format("{} row group {}", path, g);
    SWIFT_CHECK(groups[g].kind == Value::Kind::kStruct && groups[g].fields,
                "[parquet] {}: malformed metadata", what);
    const Struct& rg = *groups[g].fields;
    FileMeta::RowGroup out;
    out.num_rows = thrift::get_int(rg, 3, "RowGroup.num_rows", what);
    SWIFT_CHECK(out.num_rows >= 0 && out.num_rows <= meta->num_rows - total,
                "[parquet] {}: claims {} rows, more than the file's {}", what, out.num_rows,
                meta->num_rows);
    total += out.num_rows;
    const auto& cols = list_field(rg, 1, "RowGroup.columns", what);
    SWIFT_CHECK(cols.size() == meta->leaves.size(),
                "[parquet] {}: has {} column chunks but the schema has {} columns", what,
                cols.size(), meta->leaves.size());
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const SchemaNode& leaf = meta->nodes[meta->leaves[c]];
      std::string cwhat = what + " column " + leaf.path;
      SWIFT_CHECK(cols[c].kind == Value::Kind::kStruct && cols[c].fields,
                  "[parquet] {}: malformed metadata", cwhat);
      const Struct& cc = *cols[c].fields;
      SWIFT_CHECK(str_field(cc, 1).empty(),
                  "[parquet] {}: the column's data is in another file ({}); such split files are "
                  "not supported, rewrite the file with its data inline",
                  cwhat, str_field(cc, 1));
      const Struct& md = thrift::get_struct(cc, 3, "ColumnChunk.meta_data", cwhat);
      FileMeta::Chunk ch;
      std::int64_t type = thrift::get_int(md, 1, "ColumnMetaData.type", cwhat);
      SWIFT_CHECK(type == static_cast<int>(leaf.type),
                  "[parquet] {}: the chunk's type {} differs from the schema's {}", cwhat, type,
                  static_cast<int>(leaf.type));
      ch.type = leaf.type;
      ch.codec = static_cast<int>(thrift::get_int(md, 4, "ColumnMetaData.codec", cwhat));
      ch.num_values = thrift::get_int(md, 5, "ColumnMetaData.num_values", cwhat);
      ch.size = thrift::get_int(md, 7, "ColumnMetaData.total_compressed_size", cwhat);
      std::int64_t data_off = thrift::get_int(md, 9, "ColumnMetaData.data_page_offset", cwhat);
      std::int64_t dict_off = thrift::int_or(md, 11, 0);
      ch.offset = dict_off > 0 && dict_off < data_off ? dict_off : data_off;
      SWIFT_CHECK(ch.num_values >= 0 &&
                      static_cast<std::uint64_t>(ch.num_values) <= limits.max_values_per_chunk,
                  "[parquet] {}: claims {} values (the limit is {})", cwhat, ch.num_values,
                  limits.max_values_per_chunk);
      // An empty chunk (a file with no rows) may carry no page offsets at all.
      if (ch.num_values == 0) ch.offset = ch.size = 0;
      SWIFT_CHECK(
          ch.num_values == 0 || (ch.offset >= 4 && ch.size >= 0 &&
                                 static_cast<std::uint64_t>(ch.offset) <= data_end &&
                                 static_cast<std::uint64_t>(ch.size) <= data_end - ch.offset),
          "[parquet] {}: its pages (offset {}, {} bytes) lie outside the file's data "
          "(which ends at byte {}); the file is truncated or corrupt",
          cwhat, ch.offset, ch.size, data_end);
      out.chunks.push_back(ch);
    }
    meta->row_groups.push_back(std::move(out));
  }
  SWIFT_CHECK(total == meta->num_rows,
              "[parquet] {}: the row groups hold {} rows but the footer claims {}; the file is "
              "corrupt",
              path, total, meta->num_rows);
}

}  // namespace swift::parquet::detail

// A Parquet reader for datasets: the footer's schema and row groups, data pages v1 and v2,
// PLAIN / dictionary / RLE-bit-packed / delta / byte-stream-split encodings, snappy, gzip, zstd
// and brotli pages, and the nested list / struct / map columns that `messages` columns use,
// assembled back into one JSON object per row (as pyarrow's to_pylist gives them).
//
// One row group is decoded at a time, so a file larger than memory streams. Everything read
// from the file is untrusted: offsets, sizes, counts and nesting are checked before use, and a
// bad file raises swift::Error "[parquet] <file>: <what>; <what to do>", never a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace swift::parquet {

struct ReaderLimits {
  std::uint64_t max_footer_bytes = 256u << 20;    // the footer's Thrift metadata
  std::uint64_t max_page_bytes = 256u << 20;      // one page, compressed or not
  std::uint64_t max_values_per_chunk = 1u << 27;  // levels in one column chunk
  std::size_t max_schema_depth = 64;              // nested groups
};

class Reader {
 public:
  explicit Reader(const std::string& path, const ReaderLimits& limits = ReaderLimits());
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  std::int64_t num_rows() const;
  std::size_t num_row_groups() const;
  std::int64_t row_group_num_rows(std::size_t i) const;
  // Top-level field names in schema order.
  std::vector<std::string> column_names() const;

  // Decodes row group `i` and calls `fn` once per row, in order; each row is an object of the
  // top-level fields.
  void read_row_group(std::size_t i,
                      const std::function<void(nlohmann::ordered_json&& row)>& fn) const;
  // Every row group in order.
  void for_each_row(const std::function<void(nlohmann::ordered_json&& row)>& fn) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// True when the first and last 4 bytes of `path` are "PAR1".
bool looks_like_parquet(const std::string& path);

}  // namespace swift::parquet

// Column chunks: page headers, decompression (snappy, gzip, brotli, zstd through Debian's
// libraries), repetition / definition levels and the value encodings. Every read is checked
// against the bytes actually present, every count against what the metadata allows.
#include <brotli/decode.h>
#include <snappy.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "dataset/parquet/internal.h"

namespace swift::parquet::detail {

namespace {

enum PageType : int { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };
enum Encoding : int {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};
enum Codec : int {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7
};

const char* codec_name(int c) {
  switch (c) {
    case kUncompressed:
      return "uncompressed";
    case kSnappy:
      return "snappy";
    case kGzip:
      return "gzip";
    case kLzo:
      return "lzo";
    case kBrotli:
      return "brotli";
    case kLz4:
      return "lz4";
    case kZstd:
      return "zstd";
    case kLz4Raw:
      return "lz4_raw";
    default:
      return "unknown";
  }
}

int bit_width(std::uint32_t max_value) {
  int w = 0;
  while (max_value) {
    ++w;
    max_value >>= 1;
  }
  return w;
}

std::uint32_t load_u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// A forward cursor over untrusted bytes; every read names `what` when it runs out.
class Cursor {
 public:
  Cursor(std::string_view data, const std::string& what) : data_(data), what_(what) {}
  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t pos() const { return pos_; }
  const char* here() const { return data_.data() + pos_; }
  void need(std::size_t n, const char* of) const {
    SWIFT_CHECK(n <= remaining(),
                "[parquet] {}: {} run past the end of the page ({} bytes "
                "needed, {} left); the file is truncated or corrupt",
                what_, of, n, remaining());
  }
  std::string_view take(std::size_t n, const char* of) {
    need(n, of);
    std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::uint8_t byte(const char* of) { return static_cast<std::uint8_t>(take(1, of)[0]); }
  std::uint64_t varint(const char* of) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = byte(of);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    SWIFT_FAIL("[parquet] {}: malformed {} (a varint longer than 10 bytes)", what_, of);
  }
  std::int64_t zigzag(const char* of) {
    std::uint64_t v = varint(of);
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
  }
  const std::string& what() const { return what_; }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
  const std::string& what_;
};

// `count` values of `bw` bits (LSB first) from `src`, which holds at least ceil(count*bw/8)
// bytes.
template <typename T>
void unpack_bits(const char* src, std::size_t src_bytes, int bw, std::size_t count, T* out) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(src);
  if (bw == 0) {
    for (std::size_t i = 0; i < count; ++i) out[i] = 0;
    return;
  }
  const std::uint64_t mask = bw == 64 ? ~0ull : ((1ull << bw) - 1);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t bit = static_cast<std::uint64_t>(i) * bw;
    std::size_t byte = bit >> 3;
    int shift = static_cast<int>(bit & 7);
    std::uint64_t v = 0;
    if (byte + 8 <= src_bytes) {
      std::memcpy(&v, p + byte, 8);
      v >>= shift;
      if (bw + shift > 64) v |= static_cast<std::uint64_t>(p[byte + 8]) << (64 - shift);
    } else {
      for (std::size_t b = 0; byte + b < src_bytes && b < 9; ++b) {
        std::uint64_t part = p[byte + b];
        int at = static_cast<int>(b * 8) - shift;
        if (at < 0) {
          v |= part >> -at;
        } else if (at < 64) {
          v |= part << at;
        }
      }
    }
    out[i] = static_cast<T>(v & mask);
  }
}

// The RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans).
class RleDecoder {
 public:
  RleDecoder(std::string_view data, int bw, const std::string& what, const char* of)
      : cur_(data, what), bw_(bw), of_(of) {
    SWIFT_CHECK(bw >= 0 && bw <= 32, "[parquet] {}: {} use a bit width of {} (at most 32)", what,
                of, bw);
  }

  template <typename T>
  void decode(std::size_t n, T* out) {
    std::size_t done = 0;
    while (done < n) {
      if (run_left_ == 0) next_run();
      std::size_t take = std::min<std::size_t>(run_left_, n - done);
      if (packed_) {
        std::uint64_t first_bit = static_cast<std::uint64_t>(packed_index_) * bw_;
        std::uint64_t last_bit = first_bit + static_cast<std::uint64_t>(take) * bw_;
        SWIFT_CHECK((last_bit + 7) / 8 <= packed_bytes_.size(),
                    "[parquet] {}: {} run past the end of the page; the file is truncated or "
                    "corrupt",
                    cur_.what(), of_);
        // Whole bytes from the first value's byte: unpack with the bit offset folded in.
        std::size_t start = first_bit / 8;
        if (first_bit % 8 == 0) {
          unpack_bits(packed_bytes_.data() + start, packed_bytes_.size() - start, bw_, take,
                      out + done);
        } else {
          for (std::size_t i = 0; i < take; ++i) {
            std::uint64_t v;
            std::uint64_t bit = first_bit + static_cast<std::uint64_t>(i) * bw_;
            unpack_one(bit, &v);
            out[done + i] = static_cast<T>(v);
          }
        }
        packed_index_ += take;
      } else {
        for (std::size_t i = 0; i < take; ++i) out[done + i] = static_cast<T>(value_);
      }
      run_left_ -= take;
      done += take;
    }
  }

 private:
  void unpack_one(std::uint64_t bit, std::uint64_t* v) {
    std::uint64_t x[1];
    std::size_t byte = bit / 8;
    // Shift the window so the value starts at a byte boundary plus `bit % 8`.
    const std::uint8_t* p = reinterpret_cast<const std::uint8_t*>(packed_bytes_.data()) + byte;
    std::size_t avail = packed_bytes_.size() - byte;
    std::uint64_t w = 0;
    for (std::size_t b = 0; b < avail && b < 8; ++b)
      w |= static_cast<std::uint64_t>(p[b]) << (8 * b);
    x[0] = (w >> (bit % 8)) & (bw_ == 0 ? 0 : ((1ull << bw_) - 1));
    *v = x[0];
  }

  void next_run() {
    std::uint64_t header = cur_.varint(of_);
    std::uint64_t count = header >> 1;
    if (header & 1) {
      packed_ = true;
      SWIFT_CHECK(count > 0 && count <= (1ull << 28),
                  "[parquet] {}: {} hold a malformed bit-packed run", cur_.what(), of_);
      std::size_t bytes = static_cast<std::size_t>(count) * bw_;
      // The last run of a page may stop short of its padded length.
      packed_bytes_ = cur_.take(std::min(bytes, cur_.remaining()), of_);
      run_left_ = static_cast<std::size_t>(count) * 8;
      packed_index_ = 0;
    } else {
      packed_ = false;
      SWIFT_CHECK(count > 0, "[parquet] {}: {} hold an empty run; the file is corrupt", cur_.what(),
                  of_);
      std::string_view v = cur_.take(static_cast<std::size_t>((bw_ + 7) / 8), of_);
      value_ = 0;
      for (std::size_t i = 0; i < v.size(); ++i)
        value_ |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(v[i])) << (8 * i);
      run_left_ = static_cast<std::size_t>(std::min<std::uint64_t>(count, 1ull << 40));
    }
  }

  Cursor cur_;
  int bw_;
  const char* of_;
  bool packed_ = false;
  std::size_t run_left_ = 0;
  std::uint64_t value_ = 0;
  std::string_view packed_bytes_;
  std::size_t packed_index_ = 0;
};

std::string decompress(int codec,
                       std::string_view in,
                       std::size_t uncompressed,
                       const std::string& what) {
  std::string out;
  switch (codec) {
    case kSnappy: {
      std::size_t n = 0;
      SWIFT_CHECK(snappy::GetUncompressedLength(in.data(), in.size(), &n) && n == uncompressed,
                  "[parquet] {}: a snappy page is corrupt (it does not decode to the {} bytes its "
                  "header names)",
                  what, uncompressed);
      out.resize(n);
      SWIFT_CHECK(snappy::RawUncompress(in.data(), in.size(), out.data()),
                  "[parquet] {}: a snappy page is corrupt", what);
      return out;
    }
    case kGzip: {
      out.resize(uncompressed);
      z_stream zs{};
      SWIFT_CHECK(inflateInit2(&zs, 15 + 32) == Z_OK, "[parquet] {}: cannot start zlib", what);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      zs.avail_in = static_cast<uInt>(in.size());
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&zs, Z_FINISH);
      std::size_t got = zs.total_out;
      inflateEnd(&zs);
      SWIFT_CHECK(rc == Z_STREAM_END && got == uncompressed,
                  "[parquet] {}: a gzip page is corrupt (it does not decode to the {} bytes its "
                  "header names)",
                  what, uncompressed);
      return out;
    }
    case kBrotli: {
      out.resize(uncompressed);
      std::size_t n = out.size();
      auto rc = BrotliDecoderDecompress(in.size(), reinterpret_cast<const std::uint8_t*>(in.data()),
                                        &n, reinterpret_cast<std::uint8_t*>(out.data()));
      SWIFT_CHECK(rc == BROTLI_DECODER_RESULT_SUCCESS && n == uncompressed,
                  "[parquet] {}: a brotli page is corrupt", what);
      return out;
    }
    case kZstd: {
      // A frame that states its size must state the header's (checked before allocating).
      unsigned long long stated = ZSTD_getFrameContentSize(in.data(), in.size());
      SWIFT_CHECK(stated != ZSTD_CONTENTSIZE_ERROR &&
                      (stated == ZSTD_CONTENTSIZE_UNKNOWN || stated == uncompressed),
                  "[parquet] {}: a zstd page is corrupt (its frame does not hold the {} bytes its "
                  "header names)",
                  what, uncompressed);
      out.resize(uncompressed);
      std::size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      SWIFT_CHECK(!ZSTD_isError(n) && n == uncompressed,
                  "[parquet] {}: a zstd page is corrupt (it does not decode to the {} bytes its "
                  "header names)",
                  what, uncompressed);
      return out;
    }
    default:
      SWIFT_FAIL(
          "[parquet] {}: pages compressed with {} cannot be read here (snappy, gzip, brotli, zstd "
          "and uncompressed can); rewrite the file, e.g. pyarrow.parquet.write_table(t, path, "
          "compression='zstd')",
          what, codec_name(codec));
  }
}

// Where a page's decoded values go, and the dictionary they may refer to.
struct Sink {
  const SchemaNode& leaf;
  ColumnData* out;
  const ColumnData* dict;  // null until a dictionary page is read
  const std::string& what;
};

std::size_t value_width(const SchemaNode& leaf) {
  switch (leaf.type) {
    case PhysicalType::kInt32:
    case PhysicalType::kFloat:
      return 4;
    case PhysicalType::kInt64:
    case PhysicalType::kDouble:
      return 8;
    case PhysicalType::kInt96:
      return 12;
    case PhysicalType::kFixedLenByteArray:
      return static_cast<std::size_t>(leaf.type_length);
    default:
      return 0;
  }
}

// One fixed-width value (little endian) into the right vector.
void push_fixed(const SchemaNode& leaf, const char* p, ColumnData* out) {
  switch (leaf.type) {
    case PhysicalType::kInt32: {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      out->ints.push_back(v);
      break;
    }
    case PhysicalType::kInt64: {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      out->ints.push_back(v);
      break;
    }
    case PhysicalType::kInt96: {
      std::uint64_t nanos;
      std::uint32_t julian;
      std::memcpy(&nanos, p, 8);
      std::memcpy(&julian, p + 8, 4);
      std::uint64_t days = static_cast<std::uint64_t>(julian) - 2440588u;
      out->ints.push_back(static_cast<std::int64_t>(days * 86400000000000ull + nanos));
      break;
    }
    case PhysicalType::kFloat: {
      float v;
      std::memcpy(&v, p, 4);
      out->doubles.push_back(v);
      break;
    }
    case PhysicalType::kDouble: {
      double v;
      std::memcpy(&v, p, 8);
      out->doubles.push_back(v);
      break;
    }
    default:
      out->bytes.emplace_back(p, static_cast<std::size_t>(leaf.type_length));
      break;
  }
}

void decode_plain(Cursor& cur, std::size_t n, const SchemaNode& leaf, ColumnData* out) {
  if (leaf.type == PhysicalType::kBoolean) {
    std::string_view bits = cur.take((n + 7) / 8, "boolean values");
    for (std::size_t i = 0; i < n; ++i)
      out->ints.push_back((static_cast<std::uint8_t>(bits[i / 8]) >> (i % 8)) & 1);
    return;
  }
  if (leaf.type == PhysicalType::kByteArray) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t len = load_u32(cur.take(4, "byte-array lengths").data());
      out->bytes.push_back(cur.take(len, "byte-array values"));
    }
    return;
  }
  std::size_t w = value_width(leaf);
  SWIFT_CHECK(n <= cur.remaining() / w,
              "[parquet] {}: the page holds fewer values than its levels need; the file is "
              "truncated or corrupt",
              cur.what());
  std::string_view all = cur.take(n * w, "values");
  for (std::size_t i = 0; i < n; ++i) push_fixed(leaf, all.data() + i * w, out);
}

// DELTA_BINARY_PACKED: blocks of miniblocks of bit-packed deltas from a running minimum.
std::vector<std::int64_t> decode_delta_ints(Cursor& cur, std::size_t n, bool is_int32) {
  const char* of = "delta-encoded values";
  std::uint64_t block = cur.varint(of);
  std::uint64_t minis = cur.varint(of);
  std::uint64_t total = cur.varint(of);
  std::int64_t value = cur.zigzag(of);
  SWIFT_CHECK(block > 0 && block % 128 == 0 && block <= (1u << 20) && minis > 0 &&
                  block % minis == 0 && (block / minis) % 32 == 0,
              "[parquet] {}: malformed delta encoding header (block {}, miniblocks {})", cur.what(),
              block, minis);
  SWIFT_CHECK(total >= n,
              "[parquet] {}: the delta encoding holds {} values, fewer than the {} "
              "its levels need",
              cur.what(), total, n);
  std::vector<std::int64_t> out;
  out.reserve(n);
  if (total == 0) return out;
  if (n > 0) out.push_back(value);
  std::uint64_t left = total - 1;
  std::size_t per_mini = static_cast<std::size_t>(block / minis);
  std::vector<std::uint64_t> deltas(per_mini);
  while (left > 0) {
    std::int64_t min_delta = cur.zigzag(of);
    std::string_view widths = cur.take(static_cast<std::size_t>(minis), of);
    for (std::size_t m = 0; m < minis && left > 0; ++m) {
      int bw = static_cast<std::uint8_t>(widths[m]);
      SWIFT_CHECK(bw <= 64, "[parquet] {}: a delta miniblock has bit width {}", cur.what(), bw);
      std::size_t bytes = per_mini * bw / 8;
      std::string_view packed = cur.take(bytes, of);
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(per_mini, left));
      unpack_bits(packed.data(), packed.size(), bw, take, deltas.data());
      for (std::size_t i = 0; i < take; ++i) {
        value = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) +
                                          static_cast<std::uint64_t>(min_delta) + deltas[i]);
        if (is_int32) value = static_cast<std::int32_t>(value);
        if (out.size() < n) out.push_back(value);
      }
      left -= take;
    }
  }
  return out;
}

void decode_values(int encoding, std::string_view data, std::size_t n, const Sink& s) {
  Cursor cur(data, s.what);
  const SchemaNode& leaf = s.leaf;
  ColumnData* out = s.out;
  switch (encoding) {
    case kPlain:
      decode_plain(cur, n, leaf, out);
      return;
    case kPlainDictionary:
    case kRleDictionary: {
      SWIFT_CHECK(s.dict,
                  "[parquet] {}: a dictionary-encoded page comes before any dictionary "
                  "page; the file is corrupt",
                  s.what);
      if (n == 0) return;
      int bw = cur.byte("dictionary indices");
      std::vector<std::uint32_t> idx(n);
      RleDecoder(data.substr(1), bw, s.what, "dictionary indices").decode(n, idx.data());
      const ColumnData& d = *s.dict;
      std::size_t size = leaf.type == PhysicalType::kBoolean || !d.ints.empty() ? d.ints.size()
                         : !d.doubles.empty()                                   ? d.doubles.size()
                                                                                : d.bytes.size();
      for (std::uint32_t i : idx) {
        SWIFT_CHECK(i < size,
                    "[parquet] {}: a dictionary index {} is past the dictionary's {} "
                    "entries; the file is corrupt",
                    s.what, i, size);
      }
      if (!d.ints.empty()) {
        for (std::uint32_t i : idx) out->ints.push_back(d.ints[i]);
      } else if (!d.doubles.empty()) {
        for (std::uint32_t i : idx) out->doubles.push_back(d.doubles[i]);
      } else {
        for (std::uint32_t i : idx) out->bytes.push_back(d.bytes[i]);
      }
      return;
    }
    case kRle: {
      SWIFT_CHECK(leaf.type == PhysicalType::kBoolean,
                  "[parquet] {}: RLE-encoded values are only valid for booleans", s.what);
      std::uint32_t len = load_u32(cur.take(4, "RLE boolean length").data());
      std::vector<std::uint8_t> v(n);
      RleDecoder(cur.take(len, "RLE booleans"), 1, s.what, "RLE booleans").decode(n, v.data());
      for (auto b : v) out->ints.push_back(b);
      return;
    }
    case kDeltaBinaryPacked: {
      SWIFT_CHECK(leaf.type == PhysicalType::kInt32 || leaf.type == PhysicalType::kInt64,
                  "[parquet] {}: DELTA_BINARY_PACKED is only valid for integers", s.what);
      auto v = decode_delta_ints(cur, n, leaf.type == PhysicalType::kInt32);
      out->ints.insert(out->ints.end(), v.begin(), v.end());
      return;
    }
    case kDeltaLengthByteArray: {
      SWIFT_CHECK(leaf.type == PhysicalType::kByteArray,
                  "[parquet] {}: DELTA_LENGTH_BYTE_ARRAY is only valid for byte arrays", s.what);
      auto lens = decode_delta_ints(cur, n, true);
      for (auto len : lens) {
        SWIFT_CHECK(len >= 0, "[parquet] {}: a negative byte-array length", s.what);
        out->bytes.push_back(cur.take(static_cast<std::size_t>(len), "byte-array values"));
      }
      return;
    }
    case kDeltaByteArray: {
      SWIFT_CHECK(
          leaf.type == PhysicalType::kByteArray || leaf.type == PhysicalType::kFixedLenByteArray,
          "[parquet] {}: DELTA_BYTE_ARRAY is only valid for byte arrays", s.what);
      auto prefix = decode_delta_ints(cur, n, true);
      auto lens = decode_delta_ints(cur, n, true);
      std::vector<std::string_view> suffixes;
      std::uint64_t total = 0;
      for (auto len : lens) {
        SWIFT_CHECK(len >= 0, "[parquet] {}: a negative byte-array length", s.what);
        suffixes.push_back(cur.take(static_cast<std::size_t>(len), "byte-array values"));
      }
      // Values are rebuilt in one buffer so their views stay valid.
      std::string_view prev;
      std::vector<std::pair<std::size_t, std::size_t>> spans;
      std::string& buf = out->storage.emplace_back();
      for (std::size_t i = 0; i < n; ++i) {
        SWIFT_CHECK(prefix[i] >= 0 && static_cast<std::uint64_t>(prefix[i]) <= prev.size(),
                    "[parquet] {}: a delta prefix of {} is longer than the previous value", s.what,
                    prefix[i]);
        total += static_cast<std::uint64_t>(prefix[i]) + suffixes[i].size();
        SWIFT_CHECK(total <= (1ull << 31), "[parquet] {}: delta-encoded strings expand past 2 GB",
                    s.what);
        std::size_t start = buf.size();
        buf.append(prev.data(), static_cast<std::size_t>(prefix[i]));
        buf.append(suffixes[i].data(), suffixes[i].size());
        spans.emplace_back(start, buf.size() - start);
        prev = std::string_view(buf).substr(start);
      }
      for (auto [a, len] : spans) out->bytes.emplace_back(buf.data() + a, len);
      return;
    }
    case kByteStreamSplit: {
      std::size_t w = value_width(leaf);
      SWIFT_CHECK(w > 0 && leaf.type != PhysicalType::kInt96,
                  "[parquet] {}: BYTE_STREAM_SPLIT is not valid for this column's type", s.what);
      SWIFT_CHECK(n <= cur.remaining() / w,
                  "[parquet] {}: the page holds fewer values than its "
                  "levels need; the file is truncated or corrupt",
                  s.what);
      std::string joined(n * w, '\0');
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t b = 0; b < w; ++b) joined[i * w + b] = data[b * n + i];
      const std::string& keep = out->storage.emplace_back(std::move(joined));
      for (std::size_t i = 0; i < n; ++i) push_fixed(leaf, keep.data() + i * w, out);
      return;
    }
    default:
      SWIFT_FAIL(
          "[parquet] {}: values use encoding {}, which cannot be read here (PLAIN, "
          "dictionary, RLE, delta and byte-stream-split can); rewrite the file with "
          "pyarrow's defaults",
          s.what, encoding);
  }
}

// Levels of one page into out[begin, begin + n); returns the number equal to `max_level`.
std::size_t decode_levels(std::string_view data,
                          int max_level,
                          std::size_t n,
                          std::vector<std::uint16_t>& out,
                          const std::string& what,
                          const char* of) {
  std::size_t begin = out.size();
  out.resize(begin + n);
  RleDecoder(data, bit_width(static_cast<std::uint32_t>(max_level)), what, of)
      .decode(n, out.data() + begin);
  std::size_t at_max = 0;
  for (std::size_t i = begin; i < begin + n; ++i) {
    SWIFT_CHECK(out[i] <= max_level, "[parquet] {}: {} hold {} where the schema allows at most {}",
                what, of, out[i], max_level);
    at_max += out[i] == max_level;
  }
  return at_max;
}

// v1 levels: a 4-byte length, then the RLE hybrid. Returns the bytes used.
std::size_t levels_v1(std::string_view page,
                      int encoding,
                      int max_level,
                      std::size_t n,
                      std::vector<std::uint16_t>& out,
                      std::size_t* at_max,
                      const std::string& what,
                      const char* of) {
  SWIFT_CHECK(encoding == kRle,
              "[parquet] {}: {} use encoding {} (only RLE can be read); "
              "rewrite the file with pyarrow",
              what, of, encoding);
  Cursor cur(page, what);
  std::uint32_t len = load_u32(cur.take(4, of).data());
  *at_max = decode_levels(cur.take(len, of), max_level, n, out, what, of);
  return 4 + static_cast<std::size_t>(len);
}

std::string read_at(int fd, std::uint64_t offset, std::uint64_t size, const std::string& path) {
  std::string buf(static_cast<std::size_t>(size), '\0');
  std::uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf.data() + done, static_cast<std::size_t>(size - done),
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    SWIFT_CHECK(n > 0, "[parquet] {}: cannot read {} bytes at offset {}: {}", path, size, offset,
                n == 0 ? "unexpected end of file" : std::strerror(errno));
    done += static_cast<std::uint64_t>(n);
  }
  return buf;
}

}  // namespace

void read_column_chunk(int fd,
                       std::uint64_t file_size,
                       const std::string& path,
                       const SchemaNode& leaf,
                       const FileMeta::Chunk& chunk,
                       const ReaderLimits& limits,
                       ColumnData* out) {
  (void)file_size;  // parse_file_meta checked the chunk against the file's data
  const std::string what = path + " column " + leaf.path;
  *out = ColumnData();
  if (chunk.num_values == 0) return;
  const std::string& raw = out->storage.emplace_back(read_at(
      fd, static_cast<std::uint64_t>(chunk.offset), static_cast<std::uint64_t>(chunk.size), path));
  ColumnData dict;
  bool have_dict = false;
  const std::uint64_t want = static_cast<std::uint64_t>(chunk.num_values);
  std::size_t pos = 0;
  std::size_t reserve = static_cast<std::size_t>(std::min<std::uint64_t>(want, 1u << 20));
  if (leaf.def > 0) out->def.reserve(reserve);
  if (leaf.rep > 0) out->rep.reserve(reserve);
  while (out->num_levels < want) {
    SWIFT_CHECK(pos < raw.size(),
                "[parquet] {}: the column chunk ends after {} of its {} values; the file is "
                "truncated or corrupt",
                what, out->num_levels, want);
    std::size_t header_len = 0;
    thrift::Struct h = thrift::decode_struct(std::string_view(raw).substr(pos), &header_len,
                                             what + " page header");
    pos += header_len;
    int type = static_cast<int>(thrift::get_int(h, 1, "PageHeader.type", what));
    std::int64_t usize = thrift::get_int(h, 2, "PageHeader.uncompressed_page_size", what);
    std::int64_t csize = thrift::get_int(h, 3, "PageHeader.compressed_page_size", what);
    SWIFT_CHECK(csize >= 0 && usize >= 0 && static_cast<std::uint64_t>(csize) <= raw.size() - pos &&
                    static_cast<std::uint64_t>(usize) <= limits.max_page_bytes,
                "[parquet] {}: a page claims {} bytes ({} uncompressed) but {} remain in the "
                "chunk; the file is truncated or corrupt",
                what, csize, usize, raw.size() - pos);
    std::string_view body(raw.data() + pos, static_cast<std::size_t>(csize));
    pos += static_cast<std::size_t>(csize);
    auto inflate = [&](std::string_view in, std::size_t usz) -> std::string_view {
      if (chunk.codec == kUncompressed) {
        SWIFT_CHECK(in.size() == usz, "[parquet] {}: an uncompressed page's sizes disagree", what);
        return in;
      }
      return out->storage.emplace_back(decompress(chunk.codec, in, usz, what));
    };
    if (type == kDictionaryPage) {
      const thrift::Struct& dh =
          thrift::get_struct(h, 7, "PageHeader.dictionary_page_header", what);
      std::int64_t n = thrift::get_int(dh, 1, "DictionaryPageHeader.num_values", what);
      int enc = static_cast<int>(thrift::int_or(dh, 2, kPlain));
      SWIFT_CHECK(!have_dict, "[parquet] {}: the chunk has two dictionary pages", what);
      SWIFT_CHECK(enc == kPlain || enc == kPlainDictionary,
                  "[parquet] {}: the dictionary uses encoding {} (only PLAIN is valid)", what, enc);
      std::string_view data = inflate(body, static_cast<std::size_t>(usize));
      SWIFT_CHECK(n >= 0 && static_cast<std::uint64_t>(n) <= 8ull * data.size() + 8,
                  "[parquet] {}: the dictionary claims {} entries in {} bytes", what, n,
                  data.size());
      Cursor cur(data, what);
      decode_plain(cur, static_cast<std::size_t>(n), leaf, &dict);
      have_dict = true;
      continue;
    }
    if (type != kDataPage && type != kDataPageV2) continue;  // index pages and unknown kinds
    std::size_t n = 0, present = 0;
    int encoding = kPlain;
    std::string_view values;
    // A page's value count (field 1 of both header versions), bounded by what the chunk has left.
    auto page_values = [&](const thrift::Struct& dh, const char* field) {
      const std::int64_t nv = thrift::get_int(dh, 1, field, what);
      SWIFT_CHECK(nv >= 0 && static_cast<std::uint64_t>(nv) <= want - out->num_levels,
                  "[parquet] {}: a page claims {} values, more than the chunk's {} left", what, nv,
                  want - out->num_levels);
      return static_cast<std::size_t>(nv);
    };
    if (type == kDataPage) {
      const thrift::Struct& dh = thrift::get_struct(h, 5, "PageHeader.data_page_header", what);
      n = page_values(dh, "DataPageHeader.num_values");
      encoding = static_cast<int>(thrift::get_int(dh, 2, "DataPageHeader.encoding", what));
      std::string_view page = inflate(body, static_cast<std::size_t>(usize));
      std::size_t used = 0;
      if (leaf.rep > 0) {
        std::size_t unused = 0;
        used += levels_v1(page, static_cast<int>(thrift::int_or(dh, 4, kRle)), leaf.rep, n,
                          out->rep, &unused, what, "repetition levels");
      }
      if (leaf.def > 0) {
        used += levels_v1(page.substr(used), static_cast<int>(thrift::int_or(dh, 3, kRle)),
                          leaf.def, n, out->def, &present, what, "definition levels");
      } else {
        present = n;
      }
      values = page.substr(used);
    } else {
      const thrift::Struct& dh = thrift::get_struct(h, 8, "PageHeader.data_page_header_v2", what);
      n = page_values(dh, "DataPageHeaderV2.num_values");
      encoding = static_cast<int>(thrift::get_int(dh, 4, "DataPageHeaderV2.encoding", what));
      std::int64_t dlen =
          thrift::get_int(dh, 5, "DataPageHeaderV2.definition_levels_byte_length", what);
      std::int64_t rlen =
          thrift::get_int(dh, 6, "DataPageHeaderV2.repetition_levels_byte_length", what);
      SWIFT_CHECK(
          dlen >= 0 && rlen >= 0 && static_cast<std::uint64_t>(dlen + rlen) <= body.size() &&
              dlen + rlen <= usize,
          "[parquet] {}: a v2 page's level lengths ({} + {}) exceed the page", what, rlen, dlen);
      if (leaf.rep > 0) {
        decode_levels(body.substr(0, static_cast<std::size_t>(rlen)), leaf.rep, n, out->rep, what,
                      "repetition levels");
      }
      if (leaf.def > 0) {
        present = decode_levels(
            body.substr(static_cast<std::size_t>(rlen), static_cast<std::size_t>(dlen)), leaf.def,
            n, out->def, what, "definition levels");
      } else {
        present = n;
      }
      std::string_view rest = body.substr(static_cast<std::size_t>(rlen + dlen));
      bool compressed = thrift::int_or(dh, 7, 1) != 0;
      std::size_t vsize = static_cast<std::size_t>(usize - rlen - dlen);
      if (compressed && chunk.codec != kUncompressed) {
        values = out->storage.emplace_back(decompress(chunk.codec, rest, vsize, what));
      } else {
        values = rest;
      }
    }
    out->num_levels += n;
    decode_values(encoding, values, present, Sink{leaf, out, have_dict ? &dict : nullptr, what});
  }
}

}  // namespace swift::parquet::detail

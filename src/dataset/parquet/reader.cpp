// The Reader: file checks (magic, footer bounds), one row group decoded at a time, and record
// assembly from repetition / definition levels back into nested JSON values (lists, structs,
// maps as [key, value] pairs, as pyarrow's to_pylist gives them).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/fs.h"
#include "dataset/parquet/internal.h"

namespace swift::parquet {

using json = nlohmann::ordered_json;
using detail::ColumnData;
using detail::FileMeta;
using detail::SchemaNode;
using detail::ValueKind;

namespace {

// Valid UTF-8 stays as it is; anything else becomes U+FFFD per bad byte (as Python's
// errors="replace" does for a lone byte), so a value can always be written back out as JSON.
std::string to_utf8(std::string_view s) {
  std::size_t i = 0, n = s.size();
  auto u = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  auto valid_at = [&](std::size_t k) -> std::size_t {
    unsigned char c = u(k);
    if (c < 0x80) return 1;
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || k + len > n) return 0;
    for (std::size_t j = 1; j < len; ++j)
      if ((u(k + j) & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && u(k + 1) < 0xA0) return 0;  // overlong
    if (c == 0xED && u(k + 1) > 0x9F) return 0;  // surrogates
    if (c == 0xF0 && u(k + 1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && u(k + 1) > 0x8F) return 0;  // > U+10FFFF
    return len;
  };
  // Fast path: all valid.
  for (; i < n; ++i) {
    if (u(i) < 0x80) continue;
    std::size_t len = valid_at(i);
    if (len == 0) break;
    i += len - 1;
  }
  if (i >= n) return std::string(s);
  std::string out(s.substr(0, i));
  while (i < n) {
    std::size_t len = valid_at(i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.data() + i, len);
      i += len;
    }
  }
  return out;
}

double half_to_double(std::uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  double v;
  if (exp == 0) {
    v = std::ldexp(frac, -24);
  } else if (exp == 31) {
    v = frac ? NAN : INFINITY;
  } else {
    v = std::ldexp(frac + 1024, exp - 25);
  }
  return sign ? -v : v;
}

class Assembler {
 public:
  Assembler(const FileMeta& m, const std::vector<ColumnData>& cols, const std::string& what)
      : m_(m), cols_(cols), li_(cols.size(), 0), vi_(cols.size(), 0), what_(what) {}

  json row() {
    for (std::size_t l = 0; l < cols_.size(); ++l) {
      SWIFT_CHECK(!at_end(static_cast<int>(l)) && rep_at(static_cast<int>(l)) == 0,
                  "[parquet] {}: column {} does not line up with the row count; the file is "
                  "corrupt",
                  what_, m_.nodes[m_.leaves[l]].path);
    }
    json r = json::object();
    for (int c : m_.nodes[0].children) r[m_.nodes[c].name] = value(c);
    return r;
  }

  void finish() {
    for (std::size_t l = 0; l < cols_.size(); ++l) {
      SWIFT_CHECK(at_end(static_cast<int>(l)),
                  "[parquet] {}: column {} holds more values than the row group's rows; the file "
                  "is corrupt",
                  what_, m_.nodes[m_.leaves[l]].path);
    }
  }

 private:
  bool at_end(int l) const { return li_[l] >= cols_[l].num_levels; }
  int def_at(int l) const {
    check_live(l);
    const auto& c = cols_[l];
    return c.def.empty() ? m_.nodes[m_.leaves[l]].def : c.def[li_[l]];
  }
  int rep_at(int l) const {
    const auto& c = cols_[l];
    return c.rep.empty() ? 0 : c.rep[li_[l]];
  }
  void check_live(int l) const {
    SWIFT_CHECK(!at_end(l),
                "[parquet] {}: column {} ends before its row group's last row; the file is "
                "corrupt",
                what_, m_.nodes[m_.leaves[l]].path);
  }

  json value(int n) {
    const SchemaNode& node = m_.nodes[n];
    if (node.repetition == detail::kRepeated) return list_of(n, [&] { return instance(n); });
    if (node.repetition == detail::kOptional && def_at(node.leaf_begin) < node.def) {
      skip(n);
      return nullptr;
    }
    return instance(n);
  }

  json instance(int n) {
    const SchemaNode& node = m_.nodes[n];
    if (node.leaf) return leaf_value(node.leaf_begin);
    if ((node.is_list || node.is_map) && node.children.size() == 1 &&
        m_.nodes[node.children[0]].repetition == detail::kRepeated) {
      int c = node.children[0];
      const SchemaNode& rep = m_.nodes[c];
      if (node.is_map && rep.children.size() == 2) {
        return list_of(c, [&] {
          json kv = json::array();
          kv.push_back(value(rep.children[0]));
          kv.push_back(value(rep.children[1]));
          return kv;
        });
      }
      bool three_level =
          !rep.leaf && rep.children.size() == 1 && rep.name != "array" &&
          !(rep.name.size() > 6 && rep.name.compare(rep.name.size() - 6, 6, "_tuple") == 0);
      if (three_level) return list_of(c, [&] { return value(rep.children[0]); });
      return list_of(c, [&] { return instance(c); });
    }
    json obj = json::object();
    for (int c : node.children) obj[m_.nodes[c].name] = value(c);
    return obj;
  }

  template <typename Fn>
  json list_of(int n, Fn elem) {
    const SchemaNode& node = m_.nodes[n];
    int first = node.leaf_begin;
    json arr = json::array();
    if (def_at(first) < node.def) {
      skip(n);
      return arr;
    }
    for (;;) {
      arr.push_back(elem());
      if (at_end(first) || rep_at(first) < node.rep) break;
      SWIFT_CHECK(rep_at(first) == node.rep,
                  "[parquet] {}: column {} has inconsistent repetition levels; the file is "
                  "corrupt",
                  what_, m_.nodes[m_.leaves[first]].path);
    }
    return arr;
  }

  void skip(int n) {
    const SchemaNode& node = m_.nodes[n];
    for (int l = node.leaf_begin; l < node.leaf_end; ++l) {
      SWIFT_CHECK(def_at(l) < node.def,
                  "[parquet] {}: column {} has inconsistent definition levels; the file is "
                  "corrupt",
                  what_, m_.nodes[m_.leaves[l]].path);
      ++li_[l];
    }
  }

  json leaf_value(int l) {
    const SchemaNode& leaf = m_.nodes[m_.leaves[l]];
    SWIFT_CHECK(def_at(l) == leaf.def,
                "[parquet] {}: column {} has inconsistent definition levels; the file is corrupt",
                what_, leaf.path);
    ++li_[l];
    const ColumnData& c = cols_[l];
    std::size_t i = vi_[l]++;
    auto missing = [&] {
      SWIFT_FAIL(
          "[parquet] {}: column {} holds fewer values than its levels say; the file is "
          "corrupt",
          what_, leaf.path);
    };
    switch (leaf.kind) {
      case ValueKind::kBool:
        if (i >= c.ints.size()) missing();
        return c.ints[i] != 0;
      case ValueKind::kSigned:
      case ValueKind::kInt96:
        if (i >= c.ints.size()) missing();
        return c.ints[i];
      case ValueKind::kUnsigned:
        if (i >= c.ints.size()) missing();
        if (leaf.type == detail::PhysicalType::kInt32) return static_cast<std::uint32_t>(c.ints[i]);
        return static_cast<std::uint64_t>(c.ints[i]);
      case ValueKind::kFloat:
      case ValueKind::kDouble:
        if (i >= c.doubles.size()) missing();
        return c.doubles[i];
      case ValueKind::kFloat16: {
        if (i >= c.bytes.size()) missing();
        const auto* p = reinterpret_cast<const unsigned char*>(c.bytes[i].data());
        return half_to_double(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
      }
      case ValueKind::kDecimal: {
        double v = 0;
        if (leaf.type == detail::PhysicalType::kInt32 ||
            leaf.type == detail::PhysicalType::kInt64) {
          if (i >= c.ints.size()) missing();
          v = static_cast<double>(c.ints[i]);
        } else {
          if (i >= c.bytes.size()) missing();
          // Big-endian two's complement.
          std::string_view b = c.bytes[i];
          bool neg = !b.empty() && (static_cast<unsigned char>(b[0]) & 0x80);
          for (char ch : b) {
            unsigned char x = static_cast<unsigned char>(ch);
            v = v * 256 + (neg ? 255 - x : x);
          }
          if (neg) v = -(v + 1);
        }
        return v / std::pow(10.0, leaf.scale);
      }
      case ValueKind::kString:
        if (i >= c.bytes.size()) missing();
        return to_utf8(c.bytes[i]);
    }
    return nullptr;
  }

  const FileMeta& m_;
  const std::vector<ColumnData>& cols_;
  std::vector<std::size_t> li_, vi_;
  const std::string& what_;
};

}  // namespace

struct Reader::Impl {
  std::string path;
  int fd = -1;
  std::uint64_t size = 0;
  std::uint64_t data_end = 0;
  ReaderLimits limits;
  FileMeta meta;
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
};

Reader::Reader(const std::string& path, const ReaderLimits& limits)
    : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.path = path;
  im.limits = limits;
  // Non-blocking, regular files only (a FIFO named .parquet never hangs us).
  im.fd = fs::open_regular(path, &im.size);
  SWIFT_CHECK(im.size >= 12,
              "[parquet] {}: {} bytes is too short for a Parquet file (truncated download?); "
              "delete it and download it again",
              path, im.size);
  char head[4], tail[8];
  SWIFT_CHECK(::pread(im.fd, head, 4, 0) == 4 &&
                  ::pread(im.fd, tail, 8, static_cast<off_t>(im.size - 8)) == 8,
              "[parquet] cannot read {}", path);
  SWIFT_CHECK(std::memcmp(tail + 4, "PARE", 4) != 0,
              "[parquet] {}: the file is encrypted, which is not supported; decrypt it first",
              path);
  SWIFT_CHECK(std::memcmp(head, "PAR1", 4) == 0 && std::memcmp(tail + 4, "PAR1", 4) == 0,
              "[parquet] {}: not a Parquet file (no PAR1 magic at both ends; truncated "
              "download?); delete it and download it again",
              path);
  std::uint32_t footer_len;
  std::memcpy(&footer_len, tail, 4);
  SWIFT_CHECK(footer_len > 0 && footer_len <= im.size - 12 && footer_len <= limits.max_footer_bytes,
              "[parquet] {}: the footer length {} does not fit the file's {} bytes; the file is "
              "truncated or corrupt",
              path, footer_len, im.size);
  std::string footer(footer_len, '\0');
  off_t at = static_cast<off_t>(im.size - 8 - footer_len);
  SWIFT_CHECK(::pread(im.fd, footer.data(), footer_len, at) == static_cast<ssize_t>(footer_len),
              "[parquet] cannot read the footer of {}", path);
  im.data_end = im.size - 8 - footer_len;
  detail::parse_file_meta(footer, im.data_end, path, limits, &im.meta);
}

Reader::~Reader() = default;

std::int64_t Reader::num_rows() const {
  return impl_->meta.num_rows;
}

std::size_t Reader::num_row_groups() const {
  return impl_->meta.row_groups.size();
}

std::int64_t Reader::row_group_num_rows(std::size_t i) const {
  SWIFT_ASSERT(i < impl_->meta.row_groups.size());  // callers iterate num_row_groups()
  return impl_->meta.row_groups[i].num_rows;
}

std::vector<std::string> Reader::column_names() const {
  std::vector<std::string> names;
  for (int c : impl_->meta.nodes[0].children) names.push_back(impl_->meta.nodes[c].name);
  return names;
}

void Reader::read_row_group(std::size_t i, const std::function<void(json&&)>& fn) const {
  const Impl& im = *impl_;
  SWIFT_ASSERT(i < im.meta.row_groups.size());  // callers iterate num_row_groups()
  const FileMeta::RowGroup& rg = im.meta.row_groups[i];
  std::vector<ColumnData> cols(im.meta.leaves.size());
  for (std::size_t l = 0; l < cols.size(); ++l) {
    detail::read_column_chunk(im.fd, im.size, im.path, im.meta.nodes[im.meta.leaves[l]],
                              rg.chunks[l], im.limits, &cols[l]);
  }
  const std::string what = fmt::format("{} row group {}", im.path, i);
  Assembler a(im.meta, cols, what);
  for (std::int64_t r = 0; r < rg.num_rows; ++r) fn(a.row());
  a.finish();
}

void Reader::for_each_row(const std::function<void(json&&)>& fn) const {
  for (std::size_t i = 0; i < num_row_groups(); ++i) read_row_group(i, fn);
}

bool looks_like_parquet(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = false;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 12) {
    char head[4], tail[4];
    ok = ::pread(fd, head, 4, 0) == 4 && ::pread(fd, tail, 4, st.st_size - 4) == 4 &&
         std::memcmp(head, "PAR1", 4) == 0 && std::memcmp(tail, "PAR1", 4) == 0;
  }
  ::close(fd);
  return ok;
}

}  // namespace swift::parquet

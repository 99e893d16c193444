// TensorBoard event files (see tensorboard.h). Field numbers from tensorboard's event.proto and
// summary.proto: Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5},
// Summary{value=1 repeated}, Summary.Value{tag=1 string, simple_value=2 float}. Zero-valued
// proto3 scalars are omitted, as Python's protobuf serializer omits them.
#include "train/tensorboard.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"

namespace swift::train {

namespace {

const std::array<std::uint32_t, 256>& crc_table() {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_tag(std::string& out, int field, int wire) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire));
}

template <typename T>
void put_fixed(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian host (x86-64, aarch64)
  out.append(b, sizeof(T));
}

void put_bytes(std::string& out, int field, std::string_view s) {
  put_tag(out, field, 2);
  put_varint(out, s.size());
  out.append(s.data(), s.size());
}

std::string event_header(double wall_time, std::int64_t step) {
  std::string e;
  if (wall_time != 0) {
    put_tag(e, 1, 1);
    put_fixed(e, wall_time);
  }
  if (step != 0) {
    put_tag(e, 2, 0);
    put_varint(e, static_cast<std::uint64_t>(step));
  }
  return e;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// A bounds-checked cursor over one Event message.
struct Reader {
  std::string_view s;
  std::size_t p = 0;
  const std::string& path;
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      SWIFT_CHECK(p < s.size(), "[train] {}: truncated event", path);
      const auto b = static_cast<unsigned char>(s[p++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    SWIFT_FAIL("[train] {}: malformed varint in an event", path);
  }
  std::string_view bytes() {
    const std::uint64_t n = varint();
    SWIFT_CHECK(n <= s.size() - p, "[train] {}: truncated event field", path);
    auto v = s.substr(p, n);
    p += n;
    return v;
  }
  template <typename T>
  T fixed() {
    SWIFT_CHECK(sizeof(T) <= s.size() - p, "[train] {}: truncated event field", path);
    T v;
    std::memcpy(&v, s.data() + p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  void skip(int wire) {
    if (wire == 0) {
      varint();
    } else if (wire == 1) {
      fixed<std::uint64_t>();
    } else if (wire == 2) {
      bytes();
    } else if (wire == 5) {
      fixed<std::uint32_t>();
    } else {
      SWIFT_FAIL("[train] {}: unsupported wire type {} in an event", path, wire);
    }
  }
};

}  // namespace

std::uint32_t crc32c(std::string_view data) {
  const auto& t = crc_table();
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = t[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t masked_crc32c(std::string_view data) {
  const std::uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string tfrecord(std::string_view payload) {
  std::string len;
  put_fixed(len, static_cast<std::uint64_t>(payload.size()));
  std::string out = len;
  put_fixed(out, masked_crc32c(len));
  out.append(payload.data(), payload.size());
  put_fixed(out, masked_crc32c(payload));
  return out;
}

std::string event_file_version(double wall_time) {
  std::string e = event_header(wall_time, 0);
  put_bytes(e, 3, "brain.Event:2");
  return e;
}

std::string event_scalar(double wall_time, std::int64_t step, const std::string& tag, float value) {
  std::string v;
  put_bytes(v, 1, tag);
  put_tag(v, 2, 5);
  put_fixed(v, value);
  std::string summary;
  put_bytes(summary, 1, v);
  std::string e = event_header(wall_time, step);
  put_bytes(e, 5, summary);
  return e;
}

EventWriter::EventWriter(const std::string& logdir) {
  std::error_code ec;
  std::filesystem::create_directories(logdir, ec);
  SWIFT_CHECK(!ec, "[train] cannot create {}: {}", logdir, ec.message());
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "localhost");
  const double t = now_seconds();
  path_ = fs::join(logdir, "events.out.tfevents." + std::to_string(static_cast<long long>(t)) +
                               "." + host + "." + std::to_string(::getpid()) + ".0");
  file_ = std::fopen(path_.c_str(), "ab");
  SWIFT_CHECK(file_ != nullptr, "[train] cannot create {}: {}", path_, std::strerror(errno));
  write(event_file_version(t));
}

EventWriter::~EventWriter() {
  if (file_) std::fclose(file_);
}

void EventWriter::write(const std::string& payload) {
  const std::string rec = tfrecord(payload);
  const bool ok =
      std::fwrite(rec.data(), 1, rec.size(), file_) == rec.size() && std::fflush(file_) == 0;
  SWIFT_CHECK(ok, "[train] writing {} failed: {}; check free disk space", path_,
              std::strerror(errno));
}

void EventWriter::scalar(const std::string& tag, float value, std::int64_t step) {
  scalar(tag, value, step, now_seconds());
}

void EventWriter::scalar(const std::string& tag, float value, std::int64_t step, double wall_time) {
  write(event_scalar(wall_time, step, tag, value));
}

std::vector<ScalarEvent> read_scalar_events(const std::string& path, std::string* file_version) {
  const std::string data = fs::read_file(path);
  std::vector<ScalarEvent> out;
  std::size_t p = 0;
  while (data.size() - p >= 12) {
    const std::string_view len(data.data() + p, 8);
    std::uint32_t len_crc = 0;
    std::memcpy(&len_crc, data.data() + p + 8, 4);
    SWIFT_CHECK(len_crc == masked_crc32c(len), "[train] {}: bad record length CRC at byte {}", path,
                p);
    std::uint64_t n = 0;
    std::memcpy(&n, len.data(), 8);
    if (n > data.size() - p - 12 || data.size() - p - 12 - n < 4) break;  // torn last record
    const std::string_view payload(data.data() + p + 12, n);
    std::uint32_t crc = 0;
    std::memcpy(&crc, data.data() + p + 12 + n, 4);
    SWIFT_CHECK(crc == masked_crc32c(payload), "[train] {}: bad record CRC at byte {}", path, p);
    p += 16 + n;
    Reader r{payload, 0, path};
    double wall = 0;
    std::int64_t step = 0;
    std::vector<std::pair<std::string, float>> values;
    while (r.p < r.s.size()) {
      const std::uint64_t key = r.varint();
      const int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
      if (field == 1 && wire == 1) {
        wall = r.fixed<double>();
      } else if (field == 2 && wire == 0) {
        step = static_cast<std::int64_t>(r.varint());
      } else if (field == 3 && wire == 2) {
        const auto v = r.bytes();
        if (file_version) *file_version = std::string(v);
      } else if (field == 5 && wire == 2) {
        Reader sum{r.bytes(), 0, path};
        while (sum.p < sum.s.size()) {
          const std::uint64_t sk = sum.varint();
          if ((sk >> 3) != 1 || (sk & 7) != 2) {
            sum.skip(static_cast<int>(sk & 7));
            continue;
          }
          Reader val{sum.bytes(), 0, path};
          std::string tag;
          float value = 0;
          bool simple = false;
          while (val.p < val.s.size()) {
            const std::uint64_t vk = val.varint();
            if (vk == ((1 << 3) | 2)) {
              tag = std::string(val.bytes());
            } else if (vk == ((2 << 3) | 5)) {
              value = val.fixed<float>();
              simple = true;
            } else {
              val.skip(static_cast<int>(vk & 7));
            }
          }
          if (simple) values.emplace_back(tag, value);
        }
      } else {
        r.skip(wire);
      }
    }
    for (auto& [tag, value] : values) out.push_back({wall, step, tag, value});
  }
  return out;
}

}  // namespace swift::train

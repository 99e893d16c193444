// A bounds-checked protobuf wire-format reader for SentencePiece's ModelProto. Field numbers
// follow google/sentencepiece src/sentencepiece_model.proto:
//   ModelProto:      1 pieces (message, repeated), 2 trainer_spec, 3 normalizer_spec
//   SentencePiece:   1 piece (string), 2 score (float), 3 type (enum)
//   TrainerSpec:     3 model_type, 4 vocab_size, 24 treat_whitespace_as_suffix, 25 split_digits,
//                    35 byte_fallback, 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id,
//                    45 unk_piece, 46 bos_piece, 47 eos_piece, 48 pad_piece
//   NormalizerSpec:  1 name, 2 precompiled_charsmap (bytes), 3 add_dummy_prefix,
//                    4 remove_extra_whitespaces, 5 escape_whitespaces
// Everything else (self-test data, denormalizer, training options) is skipped by wire type.
#include "tokenizer/sentencepiece_model.h"

#include <climits>
#include <cstring>
#include <unordered_set>

#include "core/error.h"
#include "core/fs.h"
#include "tokenizer/unicode.h"

namespace swift::tok::spm {

namespace {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

const char* wire_name(std::uint32_t w) {
  switch (w) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "fixed64";
    case kLen:
      return "length-delimited";
    case 3:
      return "start-group";
    case 4:
      return "end-group";
    case kFixed32:
      return "fixed32";
    default:
      return "invalid";
  }
}

// Reads one message's fields from [data, data + size). `path` names the message for errors
// ("ModelProto.trainer_spec", ...); `file` the file.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& file, std::string path)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()), file_(file), path_(std::move(path)) {}

  bool done() const { return p_ == end_; }

  // The next field's number and wire type.
  std::pair<std::uint32_t, std::uint32_t> tag() {
    const std::uint64_t t = varint("a field tag");
    const std::uint64_t field = t >> 3;
    const auto wire = static_cast<std::uint32_t>(t & 7);
    SWIFT_CHECK(field >= 1 && field <= 0x1FFFFFFF,
                "[tokenizer] {} is not a valid SentencePiece model: {} has field number {}; the "
                "file is corrupt",
                file_, path_, field);
    return {static_cast<std::uint32_t>(field), wire};
  }

  std::uint64_t varint(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      SWIFT_CHECK(p_ < end_, "[tokenizer] {} is truncated: {} ends inside {}; re-download the file",
                  file_, path_, what);
      const auto b = static_cast<std::uint8_t>(*p_++);
      SWIFT_CHECK(shift < 63 || (b & 0x7E) == 0,
                  "[tokenizer] {} is not a valid SentencePiece model: {} has a varint longer "
                  "than 64 bits",
                  file_, path_);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    SWIFT_FAIL(
        "[tokenizer] {} is not a valid SentencePiece model: {} has a varint longer than "
        "10 bytes",
        file_, path_);
  }

  std::string_view bytes(const char* what) {
    const std::uint64_t n = varint(what);
    SWIFT_CHECK(n <= static_cast<std::uint64_t>(end_ - p_),
                "[tokenizer] {} is truncated: {} {} claims {} bytes but only {} remain; "
                "re-download the file",
                file_, path_, what, n, end_ - p_);
    std::string_view s(p_, static_cast<std::size_t>(n));
    p_ += n;
    return s;
  }

  float fixed32_float(const char* what) {
    SWIFT_CHECK(end_ - p_ >= 4, "[tokenizer] {} is truncated: {} ends inside {}", file_, path_,
                what);
    std::uint32_t u = 0;
    for (int k = 0; k < 4; ++k)
      u |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(p_[k])) << (8 * k);
    p_ += 4;
    float f;
    static_assert(sizeof f == sizeof u);
    std::memcpy(&f, &u, sizeof f);
    return f;
  }

  void skip(std::uint32_t field, std::uint32_t wire) {
    switch (wire) {
      case kVarint:
        varint("a skipped field");
        return;
      case kLen:
        bytes("a skipped field");
        return;
      case kFixed64:
        advance(8, field);
        return;
      case kFixed32:
        advance(4, field);
        return;
      default:
        SWIFT_FAIL(
            "[tokenizer] {} is not a valid SentencePiece model: {} field {} has wire type {} ({}); "
            "the file is corrupt",
            file_, path_, field, wire, wire_name(wire));
    }
  }

  void expect(std::uint32_t field, std::uint32_t wire, std::uint32_t want, const char* name) {
    SWIFT_CHECK(wire == want,
                "[tokenizer] {} is not a valid SentencePiece model: {}.{} (field {}) has wire "
                "type {}, expected {}; the file is corrupt",
                file_, path_, name, field, wire_name(wire), wire_name(want));
  }

  // Typed field readers: check the wire type, then read.
  bool get_bool(std::uint32_t f, std::uint32_t w, const char* name) {
    expect(f, w, kVarint, name);
    return varint(name) != 0;
  }
  std::int32_t get_int32(std::uint32_t f, std::uint32_t w, const char* name) {
    expect(f, w, kVarint, name);
    // int32 and enums are sign-extended to 64 bits on the wire.
    const auto v = static_cast<std::int64_t>(varint(name));
    SWIFT_CHECK(v >= INT32_MIN && v <= INT32_MAX,
                "[tokenizer] {} is not a valid SentencePiece model: {}.{} = {} is out of range",
                file_, path_, name, v);
    return static_cast<std::int32_t>(v);
  }
  std::string_view get_bytes(std::uint32_t f, std::uint32_t w, const char* name) {
    expect(f, w, kLen, name);
    return bytes(name);
  }
  std::string get_string(std::uint32_t f, std::uint32_t w, const char* name) {
    const std::string_view s = get_bytes(f, w, name);
    SWIFT_CHECK(is_valid_utf8(s),
                "[tokenizer] {} is not a valid SentencePiece model: {}.{} is not valid UTF-8",
                file_, path_, name);
    return std::string(s);
  }
  float get_float(std::uint32_t f, std::uint32_t w, const char* name) {
    expect(f, w, kFixed32, name);
    return fixed32_float(name);
  }

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  void advance(std::size_t n, std::uint32_t field) {
    SWIFT_CHECK(static_cast<std::size_t>(end_ - p_) >= n,
                "[tokenizer] {} is truncated: {} field {} ends past the end of its message", file_,
                path_, field);
    p_ += n;
  }

  const char* p_;
  const char* end_;
  const std::string& file_;
  std::string path_;
};

SpPiece parse_piece(std::string_view msg, const std::string& file, std::size_t index) {
  Reader r(msg, file, fmt::format("ModelProto.pieces[{}]", index));
  SpPiece p;
  bool has_piece = false;
  while (!r.done()) {
    const auto [f, w] = r.tag();
    switch (f) {
      case 1: {
        const std::string_view s = r.get_bytes(f, w, "piece");
        SWIFT_CHECK(s.size() <= kMaxPieceBytes,
                    "[tokenizer] {} is not a valid SentencePiece model: {}.piece is {} bytes "
                    "(max {})",
                    file, r.path(), s.size(), kMaxPieceBytes);
        SWIFT_CHECK(is_valid_utf8(s),
                    "[tokenizer] {} is not a valid SentencePiece model: {}.piece is not valid "
                    "UTF-8",
                    file, r.path());
        p.piece.assign(s);
        has_piece = true;
        break;
      }
      case 2:
        p.score = r.get_float(f, w, "score");
        break;
      case 3: {
        const std::int32_t t = r.get_int32(f, w, "type");
        SWIFT_CHECK(t >= 1 && t <= 6,
                    "[tokenizer] {} is not a valid SentencePiece model: {}.type is {} (expected "
                    "1..6: NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE)",
                    file, r.path(), t);
        p.type = static_cast<PieceType>(t);
        break;
      }
      default:
        r.skip(f, w);
    }
  }
  SWIFT_CHECK(has_piece && !p.piece.empty(),
              "[tokenizer] {} is not a valid SentencePiece model: {} has an empty piece string",
              file, r.path());
  return p;
}

void parse_trainer(std::string_view msg, const std::string& file, TrainerSpec& t) {
  Reader r(msg, file, "ModelProto.trainer_spec");
  while (!r.done()) {
    const auto [f, w] = r.tag();
    switch (f) {
      case 3: {
        const std::int32_t m = r.get_int32(f, w, "model_type");
        SWIFT_CHECK(m >= 1 && m <= 4,
                    "[tokenizer] {} is not a valid SentencePiece model: trainer_spec.model_type "
                    "is {} (expected 1 UNIGRAM, 2 BPE, 3 WORD or 4 CHAR)",
                    file, m);
        t.model_type = static_cast<ModelType>(m);
        break;
      }
      case 4:
        t.vocab_size = r.get_int32(f, w, "vocab_size");
        break;
      case 24:
        t.treat_whitespace_as_suffix = r.get_bool(f, w, "treat_whitespace_as_suffix");
        break;
      case 25:
        t.split_digits = r.get_bool(f, w, "split_digits");
        break;
      case 35:
        t.byte_fallback = r.get_bool(f, w, "byte_fallback");
        break;
      case 40:
        t.unk_id = r.get_int32(f, w, "unk_id");
        break;
      case 41:
        t.bos_id = r.get_int32(f, w, "bos_id");
        break;
      case 42:
        t.eos_id = r.get_int32(f, w, "eos_id");
        break;
      case 43:
        t.pad_id = r.get_int32(f, w, "pad_id");
        break;
      case 45:
        t.unk_piece = r.get_string(f, w, "unk_piece");
        break;
      case 46:
        t.bos_piece = r.get_string(f, w, "bos_piece");
        break;
      case 47:
        t.eos_piece = r.get_string(f, w, "eos_piece");
        break;
      case 48:
        t.pad_piece = r.get_string(f, w, "pad_piece");
        break;
      default:
        r.skip(f, w);
    }
  }
}

void parse_normalizer(std::string_view msg, const std::string& file, NormalizerSpec& n) {
  Reader r(msg, file, "ModelProto.normalizer_spec");
  while (!r.done()) {
    const auto [f, w] = r.tag();
    switch (f) {
      case 1:
        n.name = r.get_string(f, w, "name");
        break;
      case 2:
        n.precompiled_charsmap.assign(r.get_bytes(f, w, "precompiled_charsmap"));
        break;
      case 3:
        n.add_dummy_prefix = r.get_bool(f, w, "add_dummy_prefix");
        break;
      case 4:
        n.remove_extra_whitespaces = r.get_bool(f, w, "remove_extra_whitespaces");
        break;
      case 5:
        n.escape_whitespaces = r.get_bool(f, w, "escape_whitespaces");
        break;
      default:
        r.skip(f, w);
    }
  }
}

}  // namespace

ModelProto parse_model_proto(std::string_view bytes, const std::string& where) {
  SWIFT_CHECK(bytes.size() <= kMaxModelBytes, "[tokenizer] {} is {} bytes (max {})", where,
              bytes.size(), kMaxModelBytes);
  ModelProto m;
  Reader r(bytes, where, "ModelProto");
  while (!r.done()) {
    const auto [f, w] = r.tag();
    switch (f) {
      case 1: {
        const std::string_view msg = r.get_bytes(f, w, "pieces");
        SWIFT_CHECK(m.pieces.size() < kMaxPieces,
                    "[tokenizer] {} has more than {} pieces; the file is corrupt", where,
                    kMaxPieces);
        m.pieces.push_back(parse_piece(msg, where, m.pieces.size()));
        break;
      }
      case 2:
        parse_trainer(r.get_bytes(f, w, "trainer_spec"), where, m.trainer_spec);
        break;
      case 3:
        parse_normalizer(r.get_bytes(f, w, "normalizer_spec"), where, m.normalizer_spec);
        break;
      default:
        r.skip(f, w);
    }
  }
  SWIFT_CHECK(!m.pieces.empty(),
              "[tokenizer] {} is not a SentencePiece model: it has no pieces (is it a "
              "tokenizer.model of another kind, e.g. tiktoken?)",
              where);
  std::unordered_set<std::string_view> seen;
  seen.reserve(m.pieces.size());
  for (std::size_t k = 0; k < m.pieces.size(); ++k)
    SWIFT_CHECK(seen.insert(m.pieces[k].piece).second,
                "[tokenizer] {} is not a valid SentencePiece model: piece \"{}\" (id {}) is "
                "defined twice",
                where, m.pieces[k].piece, k);
  const auto& t = m.trainer_spec;
  SWIFT_CHECK(t.unk_id >= 0 && static_cast<std::size_t>(t.unk_id) < m.pieces.size(),
              "[tokenizer] {} is not a valid SentencePiece model: trainer_spec.unk_id {} is not "
              "a piece id (the model has {} pieces)",
              where, t.unk_id, m.pieces.size());
  for (const std::int32_t id : {t.bos_id, t.eos_id, t.pad_id})
    SWIFT_CHECK(id < 0 || static_cast<std::size_t>(id) < m.pieces.size(),
                "[tokenizer] {} is not a valid SentencePiece model: special id {} is not a piece "
                "id (the model has {} pieces)",
                where, id, m.pieces.size());
  return m;
}

ModelProto read_model_proto(const std::string& path) {
  const auto size = fs::file_size(path);
  SWIFT_CHECK(size <= kMaxModelBytes, "[tokenizer] {} is {} bytes (max {})", path, size,
              kMaxModelBytes);
  return parse_model_proto(fs::read_file(path), path);
}

}  // namespace swift::tok::spm

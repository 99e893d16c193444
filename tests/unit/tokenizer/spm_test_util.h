// Test helpers for tokenizer.model folders: a minimal protobuf writer for SentencePiece's
// ModelProto (wire format only, independent of the reader under test), per-process temp folders,
// and a ModelProto laid out like the real one behind an npm tokenizer.json.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/jsonl.h"
#include "common/test_assets.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace swift_spm_test {

using nlohmann::json;
namespace stdfs = std::filesystem;

// ---- A minimal protobuf writer (wire format only; independent of the reader under test). ----

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}
inline void put_tag(std::string& out, int field, int wire) {
  put_varint(out, static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire));
}
inline void put_int(std::string& out, int field, std::int64_t v) {  // int32 / enum / bool
  put_tag(out, field, 0);
  put_varint(out, static_cast<std::uint64_t>(v));
}
inline void put_bytes(std::string& out, int field, const std::string& s) {
  put_tag(out, field, 2);
  put_varint(out, s.size());
  out += s;
}
inline void put_float(std::string& out, int field, float f) {
  put_tag(out, field, 5);
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  for (int k = 0; k < 4; ++k) out += static_cast<char>((u >> (8 * k)) & 0xFF);
}

enum Type { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct Piece {
  std::string text;
  float score;
  int type;
};

struct Spec {
  int model_type = 2;  // BPE
  bool byte_fallback = true;
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
  bool add_dummy_prefix = true;
  std::string charsmap;
};

inline std::string model_proto(const std::vector<Piece>& pieces, const Spec& spec) {
  std::string out;
  for (const auto& p : pieces) {
    std::string m;
    put_bytes(m, 1, p.text);
    put_float(m, 2, p.score);
    if (p.type != kNormal) put_int(m, 3, p.type);
    put_bytes(out, 1, m);
  }
  std::string t;  // trainer_spec, with some fields the reader skips, as real files have
  put_bytes(t, 1, "/data/corpus.txt");
  put_bytes(t, 2, "tokenizer");
  put_int(t, 3, spec.model_type);
  put_int(t, 4, static_cast<std::int64_t>(pieces.size()));
  put_float(t, 10, 0.99995f);
  put_int(t, 11, 200000000);
  put_int(t, 35, spec.byte_fallback);
  put_int(t, 40, spec.unk_id);
  put_int(t, 41, spec.bos_id);
  put_int(t, 42, spec.eos_id);
  put_int(t, 43, spec.pad_id);  // -1: a 10-byte varint
  put_bytes(t, 44, " \xE2\x81\x87 ");
  put_bytes(t, 45, spec.unk_piece);
  put_bytes(t, 46, spec.bos_piece);
  put_bytes(t, 47, spec.eos_piece);
  put_bytes(t, 48, spec.pad_piece);
  put_bytes(out, 2, t);
  std::string n;
  put_bytes(n, 1, spec.charsmap.empty() ? "identity" : "nmt_nfkc");
  if (!spec.charsmap.empty()) put_bytes(n, 2, spec.charsmap);
  put_int(n, 3, spec.add_dummy_prefix);
  put_int(n, 4, 0);
  put_int(n, 5, 1);
  put_bytes(out, 3, n);
  std::string d;  // denormalizer_spec
  put_int(d, 3, 0);
  put_bytes(out, 5, d);
  return out;
}

// ---- Temp folders ----

class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ =
        stdfs::temp_directory_path() / ("swift_spm_test_" + std::to_string(::getpid()) + "_" + tag);
    stdfs::remove_all(path_);
    stdfs::create_directories(path_);
  }
  ~TempDir() { stdfs::remove_all(path_); }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
  }
  std::string str() const { return path_.string(); }

 private:
  stdfs::path path_;
};

inline std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

using swift::testing::read_jsonl;

inline std::string data(const std::string& file) {
  return std::string(SWIFT_SOURCE_DIR) + "/tests/data/tokenizers/" + file;
}

inline bool is_byte_piece(const std::string& s) {
  return s.size() == 6 && s.compare(0, 3, "<0x") == 0 && s[5] == '>' &&
         std::isxdigit(static_cast<unsigned char>(s[3])) &&
         std::isxdigit(static_cast<unsigned char>(s[4]));
}

// tokenizer.model laid out like the real one behind an npm tokenizer.json: every vocab entry in
// id order; the unk piece UNKNOWN, special added tokens CONTROL, other added tokens
// USER_DEFINED, <0xXX> BYTE, the rest NORMAL with score -id.
inline std::string model_from_tokenizer_json(const json& tj, Spec spec) {
  const json& vocab = tj["model"]["vocab"];
  std::vector<Piece> pieces(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const auto id = it.value().get<std::size_t>();
    pieces.at(id) = Piece{it.key(), -static_cast<float>(id), kNormal};
  }
  std::map<std::string, bool> added;
  for (const auto& a : tj["added_tokens"]) added[a["content"]] = a["special"];
  for (std::size_t id = 0; id < pieces.size(); ++id) {
    Piece& p = pieces[id];
    auto a = added.find(p.text);
    if (static_cast<int>(id) == spec.unk_id) {
      p.type = kUnknown;
    } else if (a != added.end()) {
      p.type = a->second ? kControl : kUserDefined;
    } else if (is_byte_piece(p.text)) {
      p.type = kByte;
    } else {
      continue;
    }
    p.score = 0.0f;
  }
  return model_proto(pieces, spec);
}

}  // namespace swift_spm_test

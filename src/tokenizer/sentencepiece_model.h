// SentencePiece's tokenizer.model: a protobuf ModelProto (google/sentencepiece
// src/sentencepiece_model.proto), read here without libprotobuf. Only the fields a tokenizer
// needs are kept; every other field is skipped. Reading is bounds-checked: a truncated or crafted
// file fails with a swift::Error naming the file and the problem.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swift::tok::spm {

// ModelProto.SentencePiece.Type
enum class PieceType : std::int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// TrainerSpec.ModelType
enum class ModelType : std::int32_t { kUnigram = 1, kBpe = 2, kWord = 3, kChar = 4 };

struct SpPiece {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::kNormal;
};

// The TrainerSpec fields a tokenizer uses, with the .proto's defaults.
struct TrainerSpec {
  ModelType model_type = ModelType::kUnigram;
  std::int32_t vocab_size = 8000;
  bool byte_fallback = false;
  bool split_digits = false;
  bool treat_whitespace_as_suffix = false;
  std::int32_t unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
};

struct NormalizerSpec {
  std::string name;
  std::string precompiled_charsmap;  // raw bytes
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct ModelProto {
  std::vector<SpPiece> pieces;
  TrainerSpec trainer_spec;
  NormalizerSpec normalizer_spec;
};

constexpr std::size_t kMaxModelBytes = std::size_t{1} << 30;
constexpr std::size_t kMaxPieces = std::size_t{1} << 24;
constexpr std::size_t kMaxPieceBytes = std::size_t{1} << 16;

// Parses `bytes` (the content of `where`, named in errors). Checks what a tokenizer relies on:
// at least one piece, every piece a non-empty distinct UTF-8 string of a known type, unk_id
// naming a piece.
ModelProto parse_model_proto(std::string_view bytes, const std::string& where);
// Reads and parses a tokenizer.model file.
ModelProto read_model_proto(const std::string& path);

}  // namespace swift::tok::spm

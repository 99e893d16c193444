// Folders with a SentencePiece tokenizer.model and no tokenizer.json: small synthetic models
// (Llama-, T5-class) and crafted / truncated / corrupted files, which must fail with a clear
// swift::Error naming the file, never crash. Runs under ASan/UBSan too (SANITIZE).
#include <gtest/gtest.h>

#include <random>

#include "core/error.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"
#include "unit/tokenizer/spm_test_util.h"

namespace {

using namespace swift_spm_test;
using swift::tok::Tokenizer;

// ---- Synthetic models (no reference implementation here: expected values worked by hand) ----

// A small Llama-style BPE model: <unk> <s> </s>, 256 byte pieces, then normal pieces.
std::vector<Piece> small_bpe() {
  std::vector<Piece> p = {{"<unk>", 0, kUnknown}, {"<s>", 0, kControl}, {"</s>", 0, kControl}};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    p.push_back({buf, 0, kByte});
  }
  for (const char* s : {"\xE2\x96\x81", "h", "e", "l", "o", "\xE2\x96\x81h", "ll", "\xE2\x96\x81he",
                        "llo", "\xE2\x96\x81hello"})
    p.push_back({s, -static_cast<float>(p.size()), kNormal});
  return p;
}

TEST(SpmSynthetic, LlamaClassBpeWithoutConfig) {
  TempDir dir("llama_noconfig");
  const auto pieces = small_bpe();
  dir.write("tokenizer.model", model_proto(pieces, Spec{}));
  auto tok = Tokenizer::from_dir(dir.str());
  const std::int32_t hello = static_cast<std::int32_t>(pieces.size()) - 1;
  // LlamaTokenizer: Metaspace prepends U+2581; the merges come from the vocab.
  EXPECT_EQ(tok->encode("hello", false), (std::vector<std::int32_t>{hello}));
  // "x" is not a piece: byte fallback.
  // " x": U+2581 is a piece; "x" is not, so it falls back to its byte.
  EXPECT_EQ(tok->encode("hello x", false), (std::vector<std::int32_t>{hello, 259, 3 + 'x'}));
  EXPECT_EQ(tok->decode(tok->encode("hello x", false), false), "hello x");
  EXPECT_EQ(tok->token_to_id("<s>"), 1);
  EXPECT_TRUE(tok->is_special(1));
  EXPECT_EQ(tok->config().bos_token, "<s>");  // the class default
  EXPECT_EQ(tok->vocab_size(), pieces.size());
}

TEST(SpmSynthetic, UserDefinedPiecesAreAddedTokens) {
  TempDir dir("user_defined");
  auto pieces = small_bpe();
  pieces.push_back({"<tool>", 0, kUserDefined});
  dir.write("tokenizer.model", model_proto(pieces, Spec{}));
  dir.write("tokenizer_config.json",
            R"({"tokenizer_class": "LlamaTokenizer", "add_bos_token": true, "legacy": false})");
  auto tok = Tokenizer::from_dir(dir.str());
  const std::int32_t tool = static_cast<std::int32_t>(pieces.size()) - 1;
  const std::int32_t hello = tool - 1;
  // Pieces: 259 U+2581, 260 h, 261 e, 262 l, 263 o, 264 U+2581h, 265 ll, 266 U+2581he, 267 llo.
  EXPECT_EQ(tok->encode("<tool>hello", true), (std::vector<std::int32_t>{1, tool, 260, 261, 267}))
      << "legacy=false: no U+2581 after an added token";
  EXPECT_EQ(tok->encode("hello<tool>", true), (std::vector<std::int32_t>{1, hello, tool}));
  EXPECT_FALSE(tok->is_special(tool));
  EXPECT_EQ(tok->decode({1, hello, tool}, true), "hello<tool>");
}

// transformers 5: SentencePieceExtractor puts the .model's control/user-defined pieces in place
// of the config's additional_special_tokens, and the config's extra_special_tokens (when given)
// take precedence over both.
TEST(SpmSynthetic, ExtraSpecialTokensReplaceTheModelsPieces) {
  TempDir dir("extra_special");
  auto pieces = small_bpe();
  pieces.push_back({"<tool>", 0, kUserDefined});
  const std::int32_t tool = static_cast<std::int32_t>(pieces.size()) - 1;
  dir.write("tokenizer.model", model_proto(pieces, Spec{}));
  // additional_special_tokens is replaced: "<x>" is not an added token; "<tool>" is.
  dir.write("tokenizer_config.json",
            R"({"tokenizer_class": "LlamaTokenizer", "additional_special_tokens": ["<x>"]})");
  auto tok = Tokenizer::from_dir(dir.str());
  EXPECT_EQ(tok->token_to_id("<x>"), -1);
  EXPECT_EQ(tok->encode("<tool>", false), (std::vector<std::int32_t>{tool}));
  // extra_special_tokens given: "<x>" becomes a special token past the vocab, "<tool>" stays
  // plain text (the vocab's "<" ... pieces: here bytes).
  dir.write("tokenizer_config.json",
            R"({"tokenizer_class": "LlamaTokenizer", "extra_special_tokens": ["<x>"]})");
  tok = Tokenizer::from_dir(dir.str());
  EXPECT_EQ(tok->token_to_id("<x>"), tool + 1);
  EXPECT_TRUE(tok->is_special(tool + 1));
  EXPECT_EQ(tok->encode("<x>", false), (std::vector<std::int32_t>{tool + 1}));
  EXPECT_NE(tok->encode("<tool>", false), (std::vector<std::int32_t>{tool}));
}

// T5Tokenizer: Unigram over the pieces plus <extra_id_N> sentinels, WhitespaceSplit + Metaspace,
// "</s>" appended. Scores chosen so that Viterbi's best path is clear by hand.
TEST(SpmSynthetic, T5ClassUnigram) {
  std::vector<Piece> p = {{"<pad>", 0, kControl},
                          {"</s>", 0, kControl},
                          {"<unk>", 0, kUnknown},
                          {"\xE2\x96\x81", -2, kNormal},
                          {"\xE2\x96\x81hello", -4, kNormal},
                          {"\xE2\x96\x81he", -3, kNormal},
                          {"llo", -3, kNormal},
                          {"\xE2\x96\x81w", -4, kNormal},
                          {"orld", -3, kNormal},
                          {"o", -5, kNormal},
                          {"r", -5, kNormal},
                          {"l", -5, kNormal},
                          {"d", -5, kNormal}};
  Spec s;
  s.model_type = 1;
  s.byte_fallback = false;
  s.unk_id = 2, s.bos_id = -1, s.eos_id = 1, s.pad_id = 0;
  TempDir dir("t5");
  dir.write("tokenizer.model", model_proto(p, s));
  dir.write("tokenizer_config.json", R"({"tokenizer_class": "T5Tokenizer", "extra_ids": 3})");
  auto tok = Tokenizer::from_dir(dir.str());
  // "▁hello" (-4) beats "▁he" + "llo" (-6); "▁world" is "▁w" + "orld" (-7).
  EXPECT_EQ(tok->encode("hello   world", true), (std::vector<std::int32_t>{4, 7, 8, 1}));
  // Sentinels follow the pieces in reverse: <extra_id_2> = 13, ..., <extra_id_0> = 15.
  EXPECT_EQ(tok->token_to_id("<extra_id_0>"), 15);
  EXPECT_EQ(tok->token_to_id("<extra_id_2>"), 13);
  EXPECT_EQ(tok->encode("hello<extra_id_0>", false), (std::vector<std::int32_t>{4, 15}));
  EXPECT_TRUE(tok->is_special(15));
  EXPECT_EQ(tok->decode({4, 7, 8, 1}, true), "hello world");
}

// No tokenizer_config.json and a Unigram model: transformers' generic TokenizersBackend build
// (SpmConverter.build_tokenizer_from_spm_proto): spaces become U+2581, no pre-tokenizer, no
// dummy prefix, bos/eos/unk from the trainer spec, no bos added.
TEST(SpmSynthetic, GenericUnigramWithoutConfig) {
  std::vector<Piece> p = {{"<unk>", 0, kUnknown},        {"<s>", 0, kControl},
                          {"</s>", 0, kControl},         {"he", -3, kNormal},
                          {"llo", -3, kNormal},          {"hello", -4, kNormal},
                          {"\xE2\x96\x81", -2, kNormal}, {"\xE2\x96\x81world", -5, kNormal},
                          {"wor", -3, kNormal},          {"ld", -3, kNormal}};
  Spec s;
  s.model_type = 1;
  s.byte_fallback = false;
  TempDir dir("generic");
  dir.write("tokenizer.model", model_proto(p, s));
  auto tok = Tokenizer::from_dir(dir.str());
  // "hello" + "▁world" (-9) beats "he" + "llo" + "▁world" (-11) and "hello" + "▁" + "wor" +
  // "ld" (-12).
  EXPECT_EQ(tok->encode("hello world", true), (std::vector<std::int32_t>{5, 7}));
  EXPECT_EQ(tok->encode("hello</s>", true), (std::vector<std::int32_t>{5, 2}));
  EXPECT_EQ(tok->decode({5, 7, 2}, false), "hello world</s>");
  EXPECT_EQ(tok->decode({5, 7, 2}, true), "hello world");
  EXPECT_EQ(tok->config().bos_token, "<s>");
  EXPECT_EQ(tok->config().unk_token, "<unk>");

  // normalizer_spec.precompiled_charsmap becomes a Precompiled normalizer first in line. An
  // empty trie (size 0) maps nothing; one whose stated size does not fit is an error, which also
  // shows the bytes arrive intact (4 and 5 bytes: both base64 padding cases).
  s.charsmap = std::string("\0\0\0\0x", 5);
  dir.write("tokenizer.model", model_proto(p, s));
  tok = Tokenizer::from_dir(dir.str());
  EXPECT_EQ(tok->encode("hello world", true), (std::vector<std::int32_t>{5, 7}));
  for (const std::string blob : {std::string("\x40\0\0\0", 4), std::string("\x40\0\0\0x", 5)}) {
    s.charsmap = blob;
    dir.write("tokenizer.model", model_proto(p, s));
    try {
      Tokenizer::from_dir(dir.str());
      ADD_FAILURE() << "a charsmap with a trie size past its end loaded";
    } catch (const swift::Error& e) {
      EXPECT_NE(std::string(e.what()).find("trie size 64 does not fit its " +
                                           std::to_string(blob.size()) + " bytes"),
                std::string::npos)
          << e.what();
    }
  }
}

// ---- Crafted and truncated files: a clear swift::Error, never a crash ----

std::string small_model() {
  return model_proto(small_bpe(), Spec{});
}

// Loads `bytes` as `dir`'s tokenizer.model: "" when it loads, else the swift::Error's message
// (any other exception fails the test).
std::string load_error_in(const TempDir& dir, const std::string& bytes) {
  dir.write("tokenizer.model", bytes);
  try {
    Tokenizer::from_dir(dir.str());
  } catch (const swift::Error& e) {
    return e.what();
  }
  return "";
}

std::string load_error(const std::string& bytes, const std::string& config = "") {
  TempDir dir("crafted");
  if (!config.empty()) dir.write("tokenizer_config.json", config);
  return load_error_in(dir, bytes);
}

void expect_error(const std::string& bytes, const std::string& needle) {
  const std::string msg = load_error(bytes);
  EXPECT_NE(msg.find(needle), std::string::npos)
      << "wanted an error containing \"" << needle << "\", got \"" << msg << "\"";
  EXPECT_NE(msg.find("tokenizer.model"), std::string::npos) << "the error must name the file";
}

TEST(SpmCrafted, EveryTruncationFailsCleanly) {
  const std::string full = small_model();
  int failed = 0;
  TempDir dir("truncated");
  for (std::size_t n = 0; n < full.size(); ++n) {
    // Parsed in memory first; the cuts that still parse (at a message boundary) are loaded as a
    // folder too, which must then work or fail with a swift::Error.
    try {
      swift::tok::spm::parse_model_proto(std::string_view(full).substr(0, n), "tokenizer.model");
    } catch (const swift::Error& e) {
      ++failed;
      EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
      continue;
    }
    (void)load_error_in(dir, full.substr(0, n));
  }
  EXPECT_GT(failed, static_cast<int>(full.size()) / 2);
  expect_error(full.substr(0, full.size() - 3), "truncated");
}

TEST(SpmCrafted, HostileFields) {
  std::string s;
  expect_error("", "no pieces");
  // A length far past the end of the file.
  s.clear();
  put_tag(s, 1, 2);
  put_varint(s, 0xFFFFFFFFFFull);
  expect_error(s, "truncated");
  // An 11-byte varint.
  s.clear();
  put_tag(s, 9, 0);
  s += std::string(10, '\xFF') + '\x01';
  expect_error(s, "varint");
  // pieces as a varint: wrong wire type.
  s.clear();
  put_int(s, 1, 5);
  expect_error(s, "wire type");
  // Wire types 3, 4 (groups), 6, 7 do not occur in a ModelProto.
  for (int w : {3, 4, 6, 7}) {
    s.clear();
    put_tag(s, 9, w);
    expect_error(s, "wire type");
  }
  // Field number 0.
  expect_error(std::string("\x02\x00", 2), "field number");
  auto one_piece = [](const std::string& piece_msg, const std::string& rest = "") {
    std::string out;
    put_bytes(out, 1, piece_msg);
    return out + rest;
  };
  std::string m;
  put_bytes(m, 1, "");
  expect_error(one_piece(m), "empty piece");
  m.clear();
  put_bytes(m, 1, "a\xFF");
  expect_error(one_piece(m), "UTF-8");
  m.clear();
  put_bytes(m, 1, "a");
  put_int(m, 3, 9);
  expect_error(one_piece(m), "type is 9");
  m.clear();
  put_bytes(m, 1, "a");
  put_int(m, 2, 1);  // score as a varint
  expect_error(one_piece(m), "wire type");
  m.clear();
  put_bytes(m, 1, "a");
  put_tag(m, 2, 5);
  m += "\x01\x02";  // a cut float
  expect_error(one_piece(m), "truncated");
  // Duplicate pieces, unk_id out of range, bad model_type.
  auto pieces = small_bpe();
  pieces.push_back({"ll", -1, kNormal});
  expect_error(model_proto(pieces, Spec{}), "defined twice");
  Spec bad;
  bad.unk_id = 100000;
  expect_error(model_proto(small_bpe(), bad), "unk_id");
  bad = Spec{};
  bad.model_type = 7;
  expect_error(model_proto(small_bpe(), bad), "model_type");
  bad = Spec{};
  bad.eos_id = 1 << 20;
  expect_error(model_proto(small_bpe(), bad), "special id");
  // A .model the class cannot be rebuilt for.
  const std::string msg =
      load_error(small_model(), R"({"tokenizer_class": "XLMRobertaTokenizer"})");
  EXPECT_NE(msg.find("XLMRobertaTokenizer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("tokenizer.json"), std::string::npos) << msg;
  // Neither file.
  TempDir empty("empty");
  try {
    Tokenizer::from_dir(empty.str());
    ADD_FAILURE() << "an empty folder loaded";
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer.model"), std::string::npos) << e.what();
  }
}

// Random byte flips: whatever happens must be a swift::Error or a working tokenizer.
TEST(SpmCrafted, RandomCorruptionNeverCrashes) {
  const std::string full = small_model();
  std::mt19937 rng(1234);
  TempDir dir("fuzz");
  for (int k = 0; k < 300; ++k) {
    std::string s = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) s[rng() % s.size()] = static_cast<char>(rng() & 0xFF);
    dir.write("tokenizer.model", s);
    try {
      auto tok = Tokenizer::from_dir(dir.str());
      const auto ids = tok->encode("hello world <s> \xF0\x9F\x98\x80", true);
      (void)tok->decode(ids, false);
    } catch (const swift::Error&) {
    }
  }
}

}  // namespace

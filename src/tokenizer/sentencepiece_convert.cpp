// tokenizer.model -> the tokenizer.json transformers 5 builds (see sentencepiece_convert.h).
// transformers 5 (tokenization_utils_tokenizers.py, convert_to_native_format): the class named by
// tokenizer_config.json decides the model kind (LlamaTokenizer/GemmaTokenizer: BPE,
// T5Tokenizer: Unigram, TokenizersBackend: the .model's own model_type). SentencePieceExtractor
// gives the vocab in piece order; for BPE, generate_merges(vocab) lists, for every piece in id
// order, each split into two vocab pieces by increasing length of the left part (the merged
// piece's id is the sort key, so piece scores play no part). Control pieces become special added
// tokens, user-defined pieces non-special ones. The class's __init__ then supplies normalizer,
// pre-tokenizer and decoder; the post-processor adds bos/eos as add_bos_token/add_eos_token ask.
#include "tokenizer/sentencepiece_convert.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

using nlohmann::json;

namespace {

const char* const kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's whitespace mark

enum class SpmClass { kLlama, kGemma, kT5, kGeneric };

std::string base64_encode(std::string_view in) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint8_t>(in[i]) << 16 |
                            static_cast<std::uint8_t>(in[i + 1]) << 8 |
                            static_cast<std::uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<std::uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<std::uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

SpmClass class_of(const std::string& name, const spm::ModelProto& proto, const std::string& path) {
  std::string c = name;
  if (c.size() > 4 && c.compare(c.size() - 4, 4, "Fast") == 0) c.resize(c.size() - 4);
  if (c == "LlamaTokenizer") return SpmClass::kLlama;
  if (c == "GemmaTokenizer") return SpmClass::kGemma;
  if (c == "T5Tokenizer") return SpmClass::kT5;
  if (c == "TokenizersBackend" || c == "PreTrainedTokenizer") return SpmClass::kGeneric;
  if (c.empty())
    return proto.trainer_spec.model_type == spm::ModelType::kUnigram ? SpmClass::kGeneric
                                                                     : SpmClass::kLlama;
  SWIFT_FAIL(
      "[tokenizer] {} is a SentencePiece model for tokenizer_class \"{}\", which swift cannot "
      "rebuild from tokenizer.model alone (supported: LlamaTokenizer, GemmaTokenizer, "
      "T5Tokenizer, TokenizersBackend); add the folder's tokenizer.json",
      path, name);
}

json replace(const std::string& from, const std::string& to) {
  return {{"type", "Replace"}, {"pattern", {{"String", from}}}, {"content", to}};
}

json byte_fallback_decoder(bool strip_prefix) {
  json d = {{"type", "Sequence"},
            {"decoders", {replace(kSpace, " "), {{"type", "ByteFallback"}}, {{"type", "Fuse"}}}}};
  if (strip_prefix)
    d["decoders"].push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  return d;
}

// The vocab (piece -> id: the .model's pieces, then `extra` entries) and the added tokens as they
// are being assembled.
class Vocab {
 public:
  Vocab(const spm::ModelProto& proto, const std::vector<std::string>& extra) {
    tokens_.reserve(proto.pieces.size() + extra.size());
    for (const auto& p : proto.pieces) tokens_.push_back(p.piece);
    for (const auto& t : extra) tokens_.push_back(t);
    std::vector<std::uint8_t> has_id(tokens_.size(), 1);
    index_.build(tokens_, has_id);
  }
  std::int32_t vocab_id(std::string_view t) const { return index_.find(t, tokens_); }
  bool in_vocab(std::string_view t) const { return vocab_id(t) >= 0; }
  std::int32_t id(std::string_view t) const {
    const std::int32_t v = vocab_id(t);
    if (v >= 0) return v;
    auto a = added_ids_.find(std::string(t));
    return a == added_ids_.end() ? -1 : a->second;
  }

  // Adds an added token unless one with that content exists: the vocab's id when the token is a
  // vocab entry, else `t.id` when given (added_tokens_decoder), else the next free id.
  void add(AddedToken t) {
    if (t.content.empty() || added_ids_.count(t.content)) return;
    const std::int32_t v = vocab_id(t.content);
    if (v >= 0) {
      t.id = v;
    } else if (t.id < 0) {
      t.id = static_cast<std::int32_t>(tokens_.size());
      while (taken_.count(t.id)) ++t.id;
    }
    added_ids_.emplace(t.content, t.id);
    taken_.insert(t.id);
    added_.push_back({{"id", t.id},
                      {"content", t.content},
                      {"single_word", t.single_word},
                      {"lstrip", t.lstrip},
                      {"rstrip", t.rstrip},
                      {"normalized", t.normalized},
                      {"special", t.special}});
  }
  json& added() { return added_; }

 private:
  std::vector<std::string> tokens_;
  TokenIndex index_;
  std::unordered_map<std::string, std::int32_t> added_ids_;
  std::unordered_set<std::int32_t> taken_;
  json added_ = json::array();
};

// generate_merges(vocab) of transformers: for each piece in id order, its splits into two vocab
// pieces, shortest left part first. Views into the pieces' strings.
void generate_merges(const spm::ModelProto& proto, const Vocab& vocab, BpeSource& out) {
  for (const auto& p : proto.pieces) {
    const std::string_view s = p.piece;
    std::size_t i = std::max<std::size_t>(1, utf8_seq_len(s, 0));
    while (i < s.size()) {
      const std::string_view l = s.substr(0, i), r = s.substr(i);
      if (vocab.in_vocab(l) && vocab.in_vocab(r)) out.merges.emplace_back(l, r);
      i += std::max<std::size_t>(1, utf8_seq_len(s, i));
    }
  }
}

json template_post(const ConfigDetails& d, const Vocab& vocab, bool bos, bool eos) {
  json single = json::array();
  json specials = json::object();
  auto special = [&](const std::string& tok) {
    const std::int32_t id = vocab.id(tok);
    if (tok.empty() || id < 0) return;
    single.push_back({{"SpecialToken", {{"id", tok}, {"type_id", 0}}}});
    specials[tok] = {{"id", tok}, {"ids", {id}}, {"tokens", {tok}}};
  };
  if (bos) special(d.config.bos_token);
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (eos) special(d.config.eos_token);
  return {{"type", "TemplateProcessing"}, {"single", single}, {"special_tokens", specials}};
}

void default_token(std::string& slot, const char* value, ConfigDetails& d) {
  if (!slot.empty() || !value) return;
  slot = value;
  AddedToken t;
  t.content = value;
  t.special = true;
  const std::size_t at = std::min(d.named_special_count, d.special_tokens.size());
  d.special_tokens.insert(d.special_tokens.begin() + static_cast<std::ptrdiff_t>(at), std::move(t));
  d.named_special_count = at + 1;
}

}  // namespace

SpmTokenizerJson sentencepiece_to_tokenizer_json(std::shared_ptr<const spm::ModelProto> proto_ptr,
                                                 ConfigDetails& d,
                                                 const std::string& path) {
  const spm::ModelProto& proto = *proto_ptr;
  const spm::TrainerSpec& ts = proto.trainer_spec;
  const SpmClass cls = class_of(d.tokenizer_class, proto, path);
  TokenizerConfig& c = d.config;

  // The class's default special tokens, where the config names none.
  switch (cls) {
    case SpmClass::kLlama:
      default_token(c.unk_token, "<unk>", d);
      default_token(c.bos_token, "<s>", d);
      default_token(c.eos_token, "</s>", d);
      break;
    case SpmClass::kGemma:
      default_token(c.unk_token, "<unk>", d);
      default_token(c.bos_token, "<bos>", d);
      default_token(c.eos_token, "<eos>", d);
      default_token(c.pad_token, "<pad>", d);
      break;
    case SpmClass::kT5:
      default_token(c.eos_token, "</s>", d);
      default_token(c.unk_token, "<unk>", d);
      default_token(c.pad_token, "<pad>", d);
      break;
    case SpmClass::kGeneric:
      // TokenizersBackend takes them from the trainer spec.
      if (ts.bos_id >= 0) default_token(c.bos_token, ts.bos_piece.c_str(), d);
      if (ts.eos_id >= 0) default_token(c.eos_token, ts.eos_piece.c_str(), d);
      default_token(c.unk_token, ts.unk_piece.c_str(), d);
      break;
  }

  // T5Converter.convert_from_spm: <extra_id_{n-1}> .. <extra_id_0> follow the pieces.
  std::vector<std::string> extra;
  if (cls == SpmClass::kT5) {
    const int n = d.extra_ids.value_or(100);
    for (int k = n - 1; k >= 0; --k) extra.push_back(fmt::format("<extra_id_{}>", k));
  }
  SpmTokenizerJson out;
  if (!extra.empty()) {
    std::unordered_set<std::string_view> pieces;
    for (const auto& p : proto.pieces) pieces.insert(p.piece);
    for (const auto& t : extra)
      SWIFT_CHECK(!pieces.count(t),
                  "[tokenizer] {} already has a piece \"{}\", which T5Tokenizer appends as a "
                  "sentinel; add the folder's tokenizer.json",
                  path, t);
  }
  Vocab vocab(proto, extra);
  const bool bpe = cls == SpmClass::kLlama || cls == SpmClass::kGemma ||
                   (cls == SpmClass::kGeneric && ts.model_type != spm::ModelType::kUnigram);
  json model;
  if (bpe) {
    out.is_bpe = true;
    out.bpe.vocab.reserve(proto.pieces.size());
    for (std::size_t k = 0; k < proto.pieces.size(); ++k)
      out.bpe.vocab.emplace_back(proto.pieces[k].piece, static_cast<std::int64_t>(k));
    generate_merges(proto, vocab, out.bpe);
    model = {{"type", "BPE"}, {"fuse_unk", true}, {"byte_fallback", true}};
    if (cls == SpmClass::kGemma) model["unk_token"] = c.unk_token;
    if (cls == SpmClass::kGeneric) {
      model["unk_token"] = ts.unk_piece;
      model["byte_fallback"] = ts.byte_fallback;
    }
  } else {
    json list = json::array();
    for (const auto& p : proto.pieces) list.push_back({p.piece, p.score});
    std::int32_t unk_id = ts.unk_id;
    bool fallback = ts.byte_fallback;
    if (cls == SpmClass::kT5) {
      for (const auto& t : extra) list.push_back({t, 0.0});
      unk_id = 2;  // T5Tokenizer's fixed layout: <pad>, </s>, <unk>
      fallback = false;
      SWIFT_CHECK(list.size() > 2, "[tokenizer] {} has too few pieces for a T5 tokenizer", path);
    }
    model = {{"type", "Unigram"},
             {"unk_id", unk_id},
             {"byte_fallback", fallback},
             {"vocab", std::move(list)}};
  }
  json& root = out.root;
  root["model"] = std::move(model);

  const bool prefix = d.add_prefix_space.value_or(true);
  switch (cls) {
    case SpmClass::kLlama: {
      const bool legacy = d.legacy.value_or(false);
      root["normalizer"] = nullptr;
      root["pre_tokenizer"] = {{"type", "Metaspace"},
                               {"replacement", kSpace},
                               {"prepend_scheme", prefix ? (legacy ? "always" : "first") : "never"},
                               {"split", false}};
      root["decoder"] = byte_fallback_decoder(prefix);
      break;
    }
    case SpmClass::kGemma:
      root["normalizer"] = replace(" ", kSpace);
      root["pre_tokenizer"] = {{"type", "Split"},
                               {"pattern", {{"String", " "}}},
                               {"behavior", "MergedWithPrevious"},
                               {"invert", false}};
      root["decoder"] = byte_fallback_decoder(false);
      break;
    case SpmClass::kT5: {
      json meta = {{"type", "Metaspace"},
                   {"replacement", kSpace},
                   {"prepend_scheme", "always"},
                   {"split", true}};
      root["normalizer"] = nullptr;
      root["pre_tokenizer"] = {{"type", "Sequence"},
                               {"pretokenizers", {{{"type", "WhitespaceSplit"}}, meta}}};
      root["decoder"] = meta;
      break;
    }
    case SpmClass::kGeneric: {
      json norms = json::array({replace(" ", kSpace)});
      const std::string& charsmap = proto.normalizer_spec.precompiled_charsmap;
      if (!charsmap.empty()) {
        json pre = {{"type", "Precompiled"}, {"precompiled_charsmap", base64_encode(charsmap)}};
        norms.insert(norms.begin(), std::move(pre));
      }
      root["normalizer"] = {{"type", "Sequence"}, {"normalizers", std::move(norms)}};
      root["pre_tokenizer"] = nullptr;
      root["decoder"] = ts.byte_fallback ? byte_fallback_decoder(false)
                                         : json{{"type", "Sequence"},
                                                {"decoders", json::array({replace(kSpace, " ")})}};
      break;
    }
  }

  // Added tokens: the config's added_tokens_decoder, the named special tokens, then the extra
  // special tokens. SentencePieceExtractor replaces the config's additional_special_tokens with
  // the .model's control (special) and user-defined (not special) pieces; transformers 5 takes
  // that list as extra_special_tokens only when the config has no extra_special_tokens of its own
  // (which then win).
  for (const auto& t : d.added_tokens_decoder) vocab.add(t);
  for (std::size_t k = 0; k < d.named_special_count && k < d.special_tokens.size(); ++k) {
    AddedToken t = d.special_tokens[k];
    t.special = true;
    vocab.add(std::move(t));
  }
  if (d.extra_special_tokens) {
    for (const auto& t : *d.extra_special_tokens) vocab.add(t);
  } else {
    for (const auto& p : proto.pieces) {
      if (p.type != spm::PieceType::kControl && p.type != spm::PieceType::kUserDefined) continue;
      AddedToken t;
      t.content = p.piece;
      t.special = p.type == spm::PieceType::kControl;
      vocab.add(std::move(t));
    }
  }
  if (cls == SpmClass::kT5) {
    for (int k = 0; k < d.extra_ids.value_or(100); ++k) {
      AddedToken t;
      t.content = fmt::format("<extra_id_{}>", k);
      t.special = true;
      vocab.add(std::move(t));
    }
  }
  root["added_tokens"] = std::move(vocab.added());

  if (cls == SpmClass::kT5) {
    root["post_processor"] = template_post(d, vocab, false, true);
  } else {
    root["post_processor"] =
        template_post(d, vocab, c.add_bos_token.value_or(false), c.add_eos_token.value_or(false));
  }
  out.proto = std::move(proto_ptr);
  return out;
}

}  // namespace swift::tok

// Text in, token ids out, exactly as Hugging Face tokenizers does it: tokenizer.json (normalizer,
// pre-tokenizer, BPE/Unigram/WordPiece model, post-processor, decoder, added tokens) plus
// tokenizer_config.json (special tokens, add_bos/eos, chat_template).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace swift::tok {

// What tokenizer_config.json (and special_tokens_map.json) say; tokens as strings, "" if unset.
struct TokenizerConfig {
  std::string bos_token, eos_token, pad_token, unk_token;
  std::optional<bool> add_bos_token, add_eos_token;
  std::string chat_template;  // the default template ("" if none)
  std::vector<std::pair<std::string, std::string>> named_chat_templates;  // [name, source]
  std::int64_t model_max_length = 0;
  bool clean_up_tokenization_spaces = false;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Loads tokenizer.json + tokenizer_config.json from a folder (or tokenizer.model when there
  // is no tokenizer.json). Throws swift::Error with a specific reason on malformed files.
  static std::shared_ptr<Tokenizer> from_dir(const std::string& dir);

  virtual std::vector<std::int32_t> encode(std::string_view text,
                                           bool add_special_tokens = false) const = 0;
  virtual std::string decode(const std::vector<std::int32_t>& ids,
                             bool skip_special_tokens = false) const = 0;
  virtual std::int32_t token_to_id(std::string_view token) const = 0;  // -1 if unknown
  virtual std::string id_to_token(std::int32_t id) const = 0;          // "" if out of range
  virtual std::size_t vocab_size() const = 0;                          // including added tokens
  virtual bool is_special(std::int32_t id) const = 0;
  virtual const TokenizerConfig& config() const = 0;

  // Many texts at once over `threads` worker threads (0 = hardware concurrency); results in
  // input order, each as encode() would give it.
  virtual std::vector<std::vector<std::int32_t>> encode_batch(const std::vector<std::string>& texts,
                                                              bool add_special_tokens = false,
                                                              int threads = 0) const;
  // What transformers' AutoTokenizer(text, add_special_tokens=...) gives. It differs from encode()
  // only where transformers 5 rebuilds the tokenizer from its class instead of using
  // tokenizer.json as is (LlamaTokenizer/LlamaTokenizerFast: Metaspace + byte fallback).
  virtual std::vector<std::int32_t> encode_like_transformers(std::string_view text,
                                                             bool add_special_tokens = true) const {
    return encode(text, add_special_tokens);
  }
  // What transformers' tokenizer.decode(ids, skip_special_tokens=...) gives: decode() except for
  // LlamaTokenizer-class folders (transformers 5 uses its rebuilt decoder) and, for non-BPE models,
  // clean_up_tokenization_spaces as tokenizer_config.json asks (transformers 5 skips it for BPE).
  virtual std::string decode_like_transformers(const std::vector<std::int32_t>& ids,
                                               bool skip_special_tokens = false) const {
    return decode(ids, skip_special_tokens);
  }
  // All token strings (model vocab + added tokens) by id; "" where an id is unused.
  virtual std::vector<std::string> id_to_token_table() const;
};

}  // namespace swift::tok

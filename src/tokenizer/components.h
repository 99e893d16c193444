// The pipeline stages of a tokenizer.json (normalizer, pre-tokenizer, model, post-processor,
// decoder) as small polymorphic objects built from their JSON, plus the factories that build
// them. Each stage works on plain UTF-8 strings: swift needs ids, not character offsets.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace swift::tok {

// One pre-tokenized piece. `at_origin` is true while the piece starts at offset 0 of the
// caller's text (Metaspace's prepend_scheme "first" only prepends there).
struct Piece {
  std::string text;
  bool at_origin = false;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& s) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(std::vector<Piece>& pieces) const = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual void tokenize(std::string_view piece, std::vector<std::int32_t>& out) const = 0;
  virtual std::int32_t token_to_id(std::string_view token) const = 0;  // -1 if unknown
  virtual const std::string* id_to_token(std::int32_t id) const = 0;   // nullptr if unknown
  virtual std::size_t size() const = 0;
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<std::int32_t>& ids) const = 0;  // add_special_tokens=true
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Factories: `j` is the stage's JSON object (null -> nullptr). Throw swift::Error on bad input.
std::unique_ptr<Normalizer> make_normalizer(const nlohmann::json& j);
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const nlohmann::json& j);
std::unique_ptr<Decoder> make_decoder(const nlohmann::json& j);
// Post-processors name their special tokens by string; `lookup` resolves a token to its id.
std::unique_ptr<PostProcessor> make_post_processor(
    const nlohmann::json& j, const std::function<std::int32_t(const std::string&)>& lookup);

// Metaspace pre-tokenizer built directly (transformers' Llama tokenizer class builds one).
std::unique_ptr<PreTokenizer> make_metaspace(const std::string& replacement,
                                             const std::string& prepend_scheme,
                                             bool split);

}  // namespace swift::tok

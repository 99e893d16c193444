// Fast reading of a BPE tokenizer.json: model.vocab and model.merges (most of the file) are
// scanned straight into a BpeSource, everything else goes through nlohmann's DOM parser.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

#include "tokenizer/bpe.h"

namespace swift::tok {

struct SplitTokenizerJson {
  nlohmann::json root;  // the document without model.vocab and model.merges
  BpeSource bpe;        // those two, as views into the text passed to split_tokenizer_json
  bool has_merges = false;
};

// Splits `text` when it is a well-formed tokenizer.json object with a BPE model whose vocab is
// an object of integer ids and whose merges are "a b" strings or ["a", "b"] pairs. Returns nullopt
// for anything else (other models, unusual values, invalid JSON): the caller then parses the whole
// file with nlohmann, which accepts or rejects it as before. Whatever this accepts, nlohmann
// accepts with the same content.
std::optional<SplitTokenizerJson> split_tokenizer_json(std::string_view text);

}  // namespace swift::tok

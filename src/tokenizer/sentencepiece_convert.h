// A folder with a SentencePiece tokenizer.model and no tokenizer.json, turned into the tokenizer
// transformers 5 builds for it: the vocab (and, for BPE classes, merges generated from the vocab
// as SentencePieceExtractor does) wrapped in the pipeline of the class tokenizer_config.json
// names (LlamaTokenizer, GemmaTokenizer, T5Tokenizer, or the generic TokenizersBackend one).
// The result is the equivalent tokenizer.json document, fed to the ordinary loading path.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include "tokenizer/bpe.h"
#include "tokenizer/config.h"
#include "tokenizer/sentencepiece_model.h"

namespace swift::tok {

struct SpmTokenizerJson {
  // tokenizer.json equivalent. For a BPE model, model.vocab and model.merges are in `bpe` (views
  // into `proto`'s piece strings) instead of in `root`.
  nlohmann::json root;
  BpeSource bpe;
  bool is_bpe = false;
  std::shared_ptr<const spm::ModelProto> proto;  // keeps the strings `bpe` views alive
};

// `details` is tokenizer_config.json's; the special tokens the class defaults to (and transformers
// then reports) are filled in where the config leaves them unset. `path` names the file in errors.
SpmTokenizerJson sentencepiece_to_tokenizer_json(std::shared_ptr<const spm::ModelProto> proto,
                                                 ConfigDetails& details,
                                                 const std::string& path);

}  // namespace swift::tok

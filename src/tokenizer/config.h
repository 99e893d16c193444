// tokenizer_config.json (+ special_tokens_map.json) parsing. Beyond the public TokenizerConfig it
// keeps the few fields that decide how transformers rebuilds a tokenizer (tokenizer_class,
// legacy, add_prefix_space, added_tokens_decoder).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "tokenizer/added_vocabulary.h"
#include "tokenizer/tokenizer.h"

namespace swift::tok {

struct ConfigDetails {
  TokenizerConfig config;
  std::string tokenizer_class;
  std::optional<bool> legacy, add_prefix_space;
  std::optional<int> extra_ids;  // T5Tokenizer's sentinel count
  std::vector<std::string> additional_special_tokens;
  std::vector<AddedToken> added_tokens_decoder;  // ids as the config states them
  // The special tokens as AddedToken (their flags when given as {content: ...} objects): the
  // named ones (bos/eos/pad/unk) first, `named_special_count` of them, then the additional ones.
  std::vector<AddedToken> special_tokens;
  std::size_t named_special_count = 0;
  // "extra_special_tokens" (transformers 5's name; a list, or a dict whose values are tokens),
  // when the config has that key.
  std::optional<std::vector<AddedToken>> extra_special_tokens;
};

// `dir` may lack both files: every field then keeps its default.
ConfigDetails load_tokenizer_config(const std::string& dir);

}  // namespace swift::tok

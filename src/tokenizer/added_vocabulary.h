// Added tokens of tokenizer.json ("added_tokens"): matched in the text before anything else,
// leftmost-longest, honouring special/normalized/lstrip/rstrip/single_word as HF's
// added_vocabulary.rs does. Non-normalized tokens are matched on the raw text, normalized ones on
// each normalized piece.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/components.h"

namespace swift::tok {

struct AddedToken {
  std::string content;
  std::int32_t id = -1;
  bool special = false, normalized = false, lstrip = false, rstrip = false, single_word = false;
};

// A piece of the input after added-token extraction: either text still to tokenize (id < 0) or
// one added token.
struct Segment {
  std::string text;
  std::int32_t id = -1;
  bool at_origin = false;
};

class AddedVocabulary {
 public:
  static constexpr std::size_t kMaxAddedTokens = 1u << 18;
  static constexpr std::size_t kMaxTokenBytes = 4096;

  void add(AddedToken t);
  // Builds the matchers; `normalizer` (may be null) normalizes the normalized tokens' content.
  void build(const Normalizer* normalizer);

  // Splits `text` on added tokens and normalizes the rest (HF extract_and_normalize).
  std::vector<Segment> extract_and_normalize(std::string_view text,
                                             const Normalizer* normalizer) const;

  const AddedToken* by_id(std::int32_t id) const;
  std::int32_t id_of(std::string_view content) const;  // -1 if not an added token
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Trie {
    std::unordered_map<std::uint64_t, std::int32_t> edges;  // (node << 8 | byte) -> node
    std::vector<std::int32_t> token_at;                     // node -> token index or -1
    std::array<std::int32_t, 256> root;  // the root's edges, without hashing (-1: none)
    Trie() : token_at(1, -1) { root.fill(-1); }
    void insert(std::string_view s, std::int32_t token);
    // Longest token starting at `pos`; returns its length (0 if none) and index.
    std::size_t longest_at(std::string_view s, std::size_t pos, std::int32_t& token) const;
    bool empty() const { return token_at.size() == 1; }
  };
  void split(const Segment& seg, const Trie& trie, std::vector<Segment>& out) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::string, std::size_t> by_content_;
  std::unordered_map<std::int32_t, std::size_t> by_id_;
  Trie raw_trie_, normalized_trie_;
};

}  // namespace swift::tok

// The BPE model of tokenizer.json: vocab + ranked merges, applied per pre-tokenized piece with a
// priority queue (O(n log n) in the piece length) and a bounded, thread-safe word cache.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/components.h"

namespace swift::tok {

struct BpeOptions {
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
  std::string unk_token;  // "" = none
  std::string continuing_subword_prefix;
  std::string end_of_word_suffix;
};

// Vocabulary and merges, shareable between two BPE views of one tokenizer.json.
struct BpeTables {
  std::unordered_map<std::string, std::int32_t> vocab;
  std::vector<std::string> id_to_token;  // "" for ids the vocab does not use
  std::vector<std::uint8_t> has_id;
  // (left id << 32 | right id) -> (rank, merged id)
  std::unordered_map<std::uint64_t, std::pair<std::int32_t, std::int32_t>> merges;
};

class Bpe : public Model {
 public:
  // Parses model.{vocab, merges, ...} of tokenizer.json.
  static std::unique_ptr<Bpe> from_json(const nlohmann::json& model);
  Bpe(std::shared_ptr<const BpeTables> tables, BpeOptions opts);

  void tokenize(std::string_view piece, std::vector<std::int32_t>& out) const override;
  std::int32_t token_to_id(std::string_view token) const override;
  const std::string* id_to_token(std::int32_t id) const override;
  std::size_t size() const override { return tables_->vocab.size(); }

  const std::shared_ptr<const BpeTables>& tables() const { return tables_; }
  const BpeOptions& options() const { return opts_; }

 private:
  void merge_word(std::string_view w, std::vector<std::int32_t>& out) const;

  std::shared_ptr<const BpeTables> tables_;
  BpeOptions opts_;
  std::int32_t unk_id_ = -1;
  std::array<std::int32_t, 256> byte_ids_{};  // id of "<0xXX>" or -1
  // Ids of single-code-point tokens: the common case of merge_word's first step, looked up
  // without building a string.
  std::unordered_map<char32_t, std::int32_t> cp_ids_;

  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kShardCapacity = 4096;
  static constexpr std::size_t kMaxCachedBytes = 256;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<std::int32_t>> map;
  };
  mutable std::array<Shard, kShards> cache_;
};

}  // namespace swift::tok

// The BPE model of tokenizer.json: vocab + ranked merges, applied per pre-tokenized piece with a
// priority queue over a linked list of symbols (O(n log n) in the piece length) and a bounded,
// thread-safe word cache. Vocab and merges live in flat open-addressing tables: no allocation per
// entry when loading, none per lookup when encoding.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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

// model.vocab and model.merges as read from tokenizer.json, before any check: views into the
// file's text (or into `owned` for strings that had escapes).
struct BpeSource {
  std::vector<std::pair<std::string_view, std::int64_t>> vocab;  // a later duplicate key wins
  std::vector<std::pair<std::string_view, std::string_view>> merges;
  std::deque<std::string> owned;
};

// token -> id over a dense id -> token table (open addressing; no per-entry allocation).
class TokenIndex {
 public:
  // Indexes `tokens`; ids with has_id[id] == 0 are skipped. Tokens must be distinct.
  void build(const std::vector<std::string>& tokens, const std::vector<std::uint8_t>& has_id);
  std::int32_t find(std::string_view s, const std::vector<std::string>& tokens) const {
    return find(s, hash(s), tokens);
  }
  // The same in steps, so that a batch of lookups can overlap their memory loads.
  static std::uint64_t hash(std::string_view s);
  void prefetch(std::uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }
  std::int32_t find(std::string_view s,
                    std::uint64_t hash,
                    const std::vector<std::string>& tokens) const;

 private:
  struct Slot {
    std::uint32_t hash;
    std::int32_t id;  // -1 = empty
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

// (left id, right id) -> (rank, merged id), open addressing keyed by left << 32 | right. Pairs of
// two ids below kSmall (the byte-level alphabet of GPT-2 style vocabs: the first merges of every
// word) also sit in a dense table that stays in cache.
class PairMap {
 public:
  struct Merge {
    std::int32_t rank, id;  // rank < 0: none (dense table only)
  };
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static constexpr std::uint32_t kSmall = 256;

  void reserve(std::size_t n);
  void assign(std::uint64_t key, std::int32_t rank, std::int32_t id);  // insert or overwrite
  const Merge* find(std::uint64_t key) const {
    if (slots_.empty()) return nullptr;
    if (key < (std::uint64_t{kSmall} << 32) && (key & 0xFFFFFFFFu) < kSmall) {
      const Merge& m = small_[(key >> 24) | (key & 0xFFu)];
      return m.rank >= 0 ? &m : nullptr;
    }
    for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.key == key) return &e.merge;
      if (e.key == kEmpty) return nullptr;
    }
  }
  void prefetch(std::uint64_t key) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[slot_of(key)]);
  }
  std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::uint64_t key;  // kEmpty = free slot
    Merge merge;
  };
  std::size_t slot_of(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  std::vector<Entry> slots_;
  std::vector<Merge> small_;  // kSmall * kSmall, by left << 8 | right
  std::size_t mask_ = 0, size_ = 0;
  int shift_ = 64;
};

// Vocabulary and merges, shareable between two BPE views of one tokenizer.json.
struct BpeTables {
  std::vector<std::string> id_to_token;  // "" for ids the vocab does not use
  std::vector<std::uint8_t> has_id;
  std::size_t vocab_size = 0;
  TokenIndex vocab;
  PairMap merges;
  std::int32_t find(std::string_view token) const { return vocab.find(token, id_to_token); }
};

class Bpe : public Model {
 public:
  // Parses model.{vocab, merges, ...} of tokenizer.json.
  static std::unique_ptr<Bpe> from_json(const nlohmann::json& model);
  // The same from a model object whose vocab and merges were read into `src` (the rest of the
  // model object, options included, is in `model`).
  static std::unique_ptr<Bpe> from_source(const nlohmann::json& model, const BpeSource& src);
  Bpe(std::shared_ptr<const BpeTables> tables, BpeOptions opts);

  void tokenize(std::string_view piece, std::vector<std::int32_t>& out) const override;
  std::int32_t token_to_id(std::string_view token) const override;
  const std::string* id_to_token(std::int32_t id) const override;
  std::size_t size() const override { return tables_->vocab_size; }

  const std::shared_ptr<const BpeTables>& tables() const { return tables_; }
  const BpeOptions& options() const { return opts_; }

 private:
  void merge_word(std::string_view w, std::vector<std::int32_t>& out) const;
  std::int32_t cp_id(char32_t cp) const;

  std::shared_ptr<const BpeTables> tables_;
  BpeOptions opts_;
  std::int32_t unk_id_ = -1;
  std::array<std::int32_t, 256> byte_ids_{};  // id of "<0xXX>" or -1
  // Ids of single-code-point tokens: the common case of merge_word's first step, looked up
  // without building a string. Dense below kDenseCps, hashed above.
  static constexpr char32_t kDenseCps = 0x3400;
  std::vector<std::int32_t> cp_dense_;
  std::unordered_map<char32_t, std::int32_t> cp_ids_;

  // Word cache: kShards shards (one lock each), each a kWays-way set-associative table of
  // kShardSlots words whose bytes and ids live in two arenas. A new word takes a free way of its
  // set, else evicts one; a shard whose arenas are full starts over empty. Allocated on first use.
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kShardSlots = 4096;
  static constexpr std::size_t kWays = 4;
  static constexpr std::size_t kKeyArenaBytes = kShardSlots * 64;
  static constexpr std::size_t kIdArenaSize = kShardSlots * 16;
  static constexpr std::size_t kMaxCachedBytes = 256;
  struct CacheSlot {
    std::uint64_t hash = 0;  // 0 = empty (stored hashes are odd)
    std::uint32_t key_at = 0, ids_at = 0;
    std::uint16_t key_len = 0, n_ids = 0;
  };
  struct Shard {
    std::mutex mu;
    std::vector<CacheSlot> slots;
    std::string keys;
    std::vector<std::int32_t> ids;
  };
  mutable std::array<Shard, kShards> cache_;
  // Each thread first looks in its own direct-mapped cache (no lock, no shared cache line);
  // entries carry this model's serial number, so one thread can use several models.
  std::uint64_t serial_ = 0;
};

}  // namespace swift::tok

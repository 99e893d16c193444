// BPE model (see bpe.h). Semantics follow HF tokenizers' models/bpe/{model,word}.rs: unknown
// characters go to byte fallback "<0xXX>" tokens, else to the (optionally fused) unk token, else
// are dropped; merges apply lowest rank first, ties to the leftmost pair.
#include "tokenizer/bpe.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>

#include "tokenizer/json_util.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

using json_util::get_bool;
using json_util::get_string;
using nlohmann::json;

namespace {

// Vocab ids index a dense table; anything above this is a corrupt or hostile file.
constexpr std::int64_t kMaxVocabId = 1 << 24;

std::uint64_t pair_key(std::int32_t a, std::int32_t b) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) |
         static_cast<std::uint32_t>(b);
}

std::uint64_t hash_bytes(std::string_view s) {
  return std::hash<std::string_view>()(s);
}

// Smallest power of two >= 4n/3 (load factor <= 3/4), at least 16.
std::size_t table_size(std::size_t n) {
  std::size_t cap = 16;
  while (3 * cap < 4 * n) cap <<= 1;
  return cap;
}

// Open-addressing set of distinct keys -> index into `keys`, used once while loading to resolve
// duplicate vocab keys the way a JSON object does (the later one wins).
class KeyDedup {
 public:
  explicit KeyDedup(std::size_t n) : slots_(table_size(n), -1), mask_(slots_.size() - 1) {}
  // Returns the index `key` had before (and now maps to `index`), or -1.
  std::int64_t insert(std::string_view key,
                      std::int64_t index,
                      const std::vector<std::pair<std::string_view, std::int64_t>>& keys) {
    for (std::size_t i = hash_bytes(key) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] < 0) {
        slots_[i] = index;
        return -1;
      }
      if (keys[slots_[i]].first == key) return std::exchange(slots_[i], index);
    }
  }

 private:
  std::vector<std::int64_t> slots_;
  std::size_t mask_;
};

BpeOptions options_from_json(const json& model) {
  const char* w = "model";
  BpeOptions o;
  o.byte_fallback = get_bool(model, "byte_fallback", w, false);
  o.fuse_unk = get_bool(model, "fuse_unk", w, false);
  o.ignore_merges = get_bool(model, "ignore_merges", w, false);
  o.unk_token = get_string(model, "unk_token", w);
  o.continuing_subword_prefix = get_string(model, "continuing_subword_prefix", w);
  o.end_of_word_suffix = get_string(model, "end_of_word_suffix", w);
  SWIFT_CHECK(model.value("dropout", json()).is_null() || model["dropout"].is_number(),
              "[tokenizer] model.dropout must be a number or null");
  return o;
}

// Builds the tables from the raw vocab and merges, with every check of the file's consistency.
std::shared_ptr<BpeTables> build_tables(const BpeSource& src, const BpeOptions& o) {
  auto tables = std::make_shared<BpeTables>();
  const auto& vocab = src.vocab;
  std::vector<std::uint8_t> live(vocab.size(), 1);
  {
    KeyDedup dedup(vocab.size());
    for (std::size_t k = 0; k < vocab.size(); ++k) {
      const std::int64_t before = dedup.insert(vocab[k].first, static_cast<std::int64_t>(k), vocab);
      if (before >= 0) live[before] = 0;
    }
  }
  std::int64_t max_id = -1;
  for (std::size_t k = 0; k < vocab.size(); ++k) {
    if (!live[k]) continue;
    const auto& [tok, id] = vocab[k];
    SWIFT_CHECK(id >= 0 && id < kMaxVocabId,
                "[tokenizer] model.vocab[\"{}\"] has id {} outside [0, {}); the file is corrupt",
                tok, id, kMaxVocabId);
    max_id = std::max(max_id, id);
    ++tables->vocab_size;
  }
  tables->id_to_token.resize(static_cast<std::size_t>(max_id + 1));
  tables->has_id.assign(static_cast<std::size_t>(max_id + 1), 0);
  for (std::size_t k = 0; k < vocab.size(); ++k) {
    if (!live[k]) continue;
    const auto& [tok, id] = vocab[k];
    SWIFT_CHECK(!tables->has_id[id],
                "[tokenizer] model.vocab gives id {} to both \"{}\" and \"{}\"", id,
                tables->id_to_token[id], tok);
    tables->id_to_token[id].assign(tok);
    tables->has_id[id] = 1;
  }
  tables->vocab.build(tables->id_to_token, tables->has_id);

  tables->merges.reserve(src.merges.size());
  const std::size_t prefix_len = o.continuing_subword_prefix.size();
  const TokenIndex& index = tables->vocab;
  const auto& tokens = tables->id_to_token;
  std::string merged;
  auto merged_of = [&](std::string_view a, std::string_view b) -> const std::string& {
    merged.assign(a);
    merged.append(b.size() >= prefix_len ? b.substr(prefix_len) : b);
    return merged;
  };
  // Merge `rank` with every check, in the order the messages name the first problem.
  auto checked = [&](std::size_t rank) {
    const auto& [a, b] = src.merges[rank];
    const std::int32_t ia = tables->find(a);
    const std::int32_t ib = tables->find(b);
    SWIFT_CHECK(ia >= 0,
                "[tokenizer] merge #{} uses \"{}\", which is not in the vocab; the merges do not "
                "belong to this vocab",
                rank, a);
    SWIFT_CHECK(ib >= 0,
                "[tokenizer] merge #{} uses \"{}\", which is not in the vocab; the merges do not "
                "belong to this vocab",
                rank, b);
    const std::int32_t im = tables->find(merged_of(a, b));
    SWIFT_CHECK(im >= 0, "[tokenizer] merge #{} makes \"{}\", which is not in the vocab", rank,
                merged);
    tables->merges.assign(pair_key(ia, ib), static_cast<std::int32_t>(rank), im);
  };
  // Merges go in blocks: hash and prefetch a block's lookups, then resolve them. Each lookup is a
  // cache miss in a table of several MB; this overlaps them. A block with a problem is redone
  // one merge at a time by `checked`, which reports the first problem.
  constexpr std::size_t kBlock = 16;
  std::array<std::uint64_t, kBlock> ha{}, hb{}, keys{};
  std::array<std::int32_t, kBlock> ids{};
  for (std::size_t base = 0; base < src.merges.size(); base += kBlock) {
    const std::size_t n = std::min(kBlock, src.merges.size() - base);
    for (std::size_t k = 0; k < n; ++k) {
      const auto& [a, b] = src.merges[base + k];
      ha[k] = TokenIndex::hash(a);
      hb[k] = TokenIndex::hash(b);
      index.prefetch(ha[k]);
      index.prefetch(hb[k]);
    }
    bool ok = true;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& [a, b] = src.merges[base + k];
      const std::int32_t ia = index.find(a, ha[k], tokens);
      const std::int32_t ib = index.find(b, hb[k], tokens);
      ok &= ia >= 0 && ib >= 0;
      keys[k] = pair_key(ia, ib);
      ha[k] = TokenIndex::hash(merged_of(a, b));
      index.prefetch(ha[k]);
      tables->merges.prefetch(keys[k]);
    }
    for (std::size_t k = 0; k < n && ok; ++k) {
      const auto& [a, b] = src.merges[base + k];
      ids[k] = index.find(merged_of(a, b), ha[k], tokens);
      ok &= ids[k] >= 0;
    }
    if (!ok) {
      for (std::size_t k = 0; k < n; ++k) checked(base + k);
      continue;
    }
    for (std::size_t k = 0; k < n; ++k)
      tables->merges.assign(keys[k], static_cast<std::int32_t>(base + k), ids[k]);
  }
  return tables;
}

}  // namespace

void TokenIndex::build(const std::vector<std::string>& tokens,
                       const std::vector<std::uint8_t>& has_id) {
  std::size_t n = 0;
  for (auto h : has_id) n += h;
  slots_.assign(table_size(n), Slot{0, -1});
  mask_ = slots_.size() - 1;
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    if (!has_id[id]) continue;
    const std::uint64_t h = hash_bytes(tokens[id]);
    std::size_t i = h & mask_;
    while (slots_[i].id >= 0) i = (i + 1) & mask_;
    slots_[i] = Slot{static_cast<std::uint32_t>(h >> 32), static_cast<std::int32_t>(id)};
  }
}

std::uint64_t TokenIndex::hash(std::string_view s) {
  return hash_bytes(s);
}

std::int32_t TokenIndex::find(std::string_view s,
                              std::uint64_t h,
                              const std::vector<std::string>& tokens) const {
  if (slots_.empty()) return -1;
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id < 0) return -1;
    if (slot.hash == tag && tokens[slot.id] == s) return slot.id;
  }
}

void PairMap::reserve(std::size_t n) {
  const std::size_t cap = table_size(n);
  if (cap <= slots_.size()) return;
  std::vector<Entry> old;
  old.swap(slots_);
  slots_.assign(cap, Entry{kEmpty, {0, 0}});
  if (small_.empty()) small_.assign(std::size_t{kSmall} * kSmall, Merge{-1, -1});
  mask_ = cap - 1;
  shift_ = 64;
  for (std::size_t c = cap; c > 1; c >>= 1) --shift_;
  size_ = 0;
  for (const Entry& e : old)
    if (e.key != kEmpty) assign(e.key, e.merge.rank, e.merge.id);
}

void PairMap::assign(std::uint64_t key, std::int32_t rank, std::int32_t id) {
  if (4 * (size_ + 1) > 3 * slots_.size()) reserve(2 * (size_ + 1));
  if (key < (std::uint64_t{kSmall} << 32) && (key & 0xFFFFFFFFu) < kSmall)
    small_[(key >> 24) | (key & 0xFFu)] = Merge{rank, id};
  for (std::size_t i = slot_of(key);; i = (i + 1) & mask_) {
    Entry& e = slots_[i];
    if (e.key == kEmpty) {
      e = Entry{key, {rank, id}};
      ++size_;
      return;
    }
    if (e.key == key) {  // a repeated merge: the later rank wins, as in HF's merge map
      e.merge = Merge{rank, id};
      return;
    }
  }
}

std::unique_ptr<Bpe> Bpe::from_json(const json& model) {
  BpeSource src;
  const json& vocab = json_util::field(model, "vocab", "model");
  SWIFT_CHECK(vocab.is_object(), "[tokenizer] model.vocab must be an object token -> id, got {}",
              vocab.type_name());
  src.vocab.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    SWIFT_CHECK(it.value().is_number_integer(),
                "[tokenizer] model.vocab[\"{}\"] must be an integer id, got {}", it.key(),
                it.value().type_name());
    src.vocab.emplace_back(it.key(), it.value().get<std::int64_t>());
  }
  BpeOptions o = options_from_json(model);
  const json* merges = json_util::get_array(model, "merges", "model");
  if (merges) {
    src.merges.reserve(merges->size());
    std::size_t rank = 0;
    for (const auto& m : *merges) {
      if (m.is_string()) {
        const std::string& s = m.get_ref<const std::string&>();
        const auto sp = s.find(' ');
        SWIFT_CHECK(sp != std::string::npos && s.find(' ', sp + 1) == std::string::npos,
                    "[tokenizer] merge #{} \"{}\" must be two tokens separated by one space", rank,
                    s);
        const std::string_view v = s;
        src.merges.emplace_back(v.substr(0, sp), v.substr(sp + 1));
      } else {
        SWIFT_CHECK(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(),
                    "[tokenizer] merge #{} must be \"a b\" or [\"a\", \"b\"], got {}", rank,
                    m.dump().substr(0, 100));
        src.merges.emplace_back(m[0].get_ref<const std::string&>(),
                                m[1].get_ref<const std::string&>());
      }
      ++rank;
    }
  }
  return std::make_unique<Bpe>(build_tables(src, o), std::move(o));
}

std::unique_ptr<Bpe> Bpe::from_source(const json& model, const BpeSource& src) {
  BpeOptions o = options_from_json(model);
  return std::make_unique<Bpe>(build_tables(src, o), std::move(o));
}

namespace {
std::atomic<std::uint64_t> g_bpe_serial{0};  // Bpe::serial_: tags per-thread cache entries
}  // namespace

Bpe::Bpe(std::shared_ptr<const BpeTables> tables, BpeOptions opts)
    : tables_(std::move(tables)), opts_(std::move(opts)), serial_(++g_bpe_serial) {
  if (!opts_.unk_token.empty()) unk_id_ = token_to_id(opts_.unk_token);
  for (int b = 0; b < 256; ++b) byte_ids_[b] = token_to_id(fmt::format("<0x{:02X}>", b));
  cp_dense_.assign(kDenseCps, -1);
  const auto& tokens = tables_->id_to_token;
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const std::string& tok = tokens[id];
    if (!tables_->has_id[id] || tok.empty() || cp_len_at(tok, 0) != tok.size()) continue;
    std::size_t i = 0;
    const char32_t cp = next_cp(tok, i);
    if (cp < kDenseCps) {
      cp_dense_[cp] = static_cast<std::int32_t>(id);
    } else {
      cp_ids_.emplace(cp, static_cast<std::int32_t>(id));
    }
  }
}

std::int32_t Bpe::cp_id(char32_t cp) const {
  if (cp < kDenseCps) return cp_dense_[cp];
  auto it = cp_ids_.find(cp);
  return it == cp_ids_.end() ? -1 : it->second;
}

std::int32_t Bpe::token_to_id(std::string_view token) const {
  return tables_->find(token);
}

const std::string* Bpe::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tables_->id_to_token.size() || !tables_->has_id[id])
    return nullptr;
  return &tables_->id_to_token[id];
}

namespace {

struct Symbol {
  std::int32_t id;
  std::int32_t prev, next;
  bool alive;
};

// A queued merge of the symbol at `pos` with its right neighbour, made when that pair was
// (left, right). `order` is rank << 32 | pos: lowest rank first, then leftmost (HF's Merge
// ordering). One rank belongs to one pair, so equal orders are equal entries.
struct Cand {
  std::uint64_t order;
  std::int32_t new_id, left, right;
  std::int32_t pos() const { return static_cast<std::int32_t>(order & 0xFFFFFFFFu); }
};

struct CandAfter {  // std heaps are max-heaps: "after" puts the smallest order on top
  bool operator()(const Cand& a, const Cand& b) const { return a.order > b.order; }
};

// Per-thread scratch space, so merging a word allocates nothing once warm.
struct Scratch {
  std::vector<Symbol> sym;
  std::vector<Cand> heap;
  std::string s;
};

Scratch& scratch() {
  thread_local Scratch st;
  return st;
}

}  // namespace

void Bpe::merge_word(std::string_view w, std::vector<std::int32_t>& out) const {
  Scratch& st = scratch();
  std::vector<Symbol>& sym = st.sym;
  sym.clear();
  auto add = [&sym](std::int32_t id) {
    const auto n = static_cast<std::int32_t>(sym.size());
    sym.push_back({id, n - 1, -1, true});
    if (n > 0) sym[n - 1].next = n;
  };
  // A pending unknown run, flushed before the next known character (HF keeps it pending across
  // byte-fallback characters, which we reproduce).
  bool pending_unk = false;
  std::string& s = st.s;
  const bool affixes =
      !opts_.continuing_subword_prefix.empty() || !opts_.end_of_word_suffix.empty();
  for (std::size_t i = 0; i < w.size();) {
    const std::size_t a = i;
    std::int32_t id = -1;
    std::string_view piece;
    const auto b0 = static_cast<unsigned char>(w[i]);
    const bool plain =
        !affixes || ((a == 0 || opts_.continuing_subword_prefix.empty()) &&
                     (a + cp_len_at(w, a) != w.size() || opts_.end_of_word_suffix.empty()));
    if (b0 < 0x80 && plain) {
      i += 1;
      id = cp_dense_[b0];
      piece = w.substr(a, 1);
    } else if (plain) {
      const char32_t cp = next_cp(w, i);
      // A valid code point is found in the table; an invalid byte (U+FFFD) is looked up as is.
      if (!(cp == 0xFFFD && i - a != 3)) id = cp_id(cp);
      piece = w.substr(a, i - a);
    } else {
      i += cp_len_at(w, i);
      s.assign(w.substr(a, i - a));
      if (a > 0 && !opts_.continuing_subword_prefix.empty())
        s.insert(0, opts_.continuing_subword_prefix);
      if (i == w.size() && !opts_.end_of_word_suffix.empty()) s += opts_.end_of_word_suffix;
      id = token_to_id(s);
      piece = s;
    }
    if (id >= 0) {
      if (pending_unk) add(unk_id_), pending_unk = false;
      add(id);
      continue;
    }
    if (opts_.byte_fallback) {
      bool all = true;
      for (unsigned char b : piece) all &= byte_ids_[b] >= 0;
      if (all) {
        for (unsigned char b : piece) add(byte_ids_[b]);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (pending_unk && !opts_.fuse_unk) add(unk_id_);
      pending_unk = true;
    }
  }
  if (pending_unk) add(unk_id_);

  // HF's merge loop (word.rs merge_all): pop the best candidate, skip it when its left symbol is
  // gone or its pair no longer makes the same token, merge, and queue the two new pairs.
  const PairMap& merges = tables_->merges;
  std::vector<Cand>& heap = st.heap;
  heap.clear();
  const CandAfter after;
  auto cand = [](const PairMap::Merge& e, std::int32_t pos, std::int32_t left, std::int32_t right) {
    return Cand{(static_cast<std::uint64_t>(static_cast<std::uint32_t>(e.rank)) << 32) |
                    static_cast<std::uint32_t>(pos),
                e.id, left, right};
  };
  // The first lookups are independent: start all their memory loads before using any.
  const std::size_t n_pairs = sym.size() > 0 ? sym.size() - 1 : 0;
  for (std::size_t k = 0; k < n_pairs; ++k) merges.prefetch(pair_key(sym[k].id, sym[k + 1].id));
  for (std::size_t k = 0; k < n_pairs; ++k) {
    if (const PairMap::Merge* e = merges.find(pair_key(sym[k].id, sym[k + 1].id)))
      heap.push_back(cand(*e, static_cast<std::int32_t>(k), sym[k].id, sym[k + 1].id));
  }
  std::make_heap(heap.begin(), heap.end(), after);
  auto push = [&heap, &after](Cand c) {
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end(), after);
  };
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    const Cand top = heap.back();
    heap.pop_back();
    const std::int32_t pos = top.pos();
    Symbol& cur = sym[pos];
    if (!cur.alive || cur.next < 0) continue;
    const std::int32_t right_pos = cur.next;
    const Symbol right = sym[right_pos];
    if (cur.id != top.left || right.id != top.right) {
      // The pair changed since it was queued: HF still merges if the new pair makes the same
      // token (a stale entry), so look it up as HF does.
      const PairMap::Merge* e = merges.find(pair_key(cur.id, right.id));
      if (!e || e->id != top.new_id) continue;
    }
    cur.id = top.new_id;
    cur.next = right.next;
    sym[right_pos].alive = false;
    if (right.next >= 0) sym[right.next].prev = pos;
    if (cur.prev >= 0) {
      const std::int32_t left_id = sym[cur.prev].id;
      if (const PairMap::Merge* ep = merges.find(pair_key(left_id, cur.id)))
        push(cand(*ep, cur.prev, left_id, cur.id));
    }
    if (cur.next >= 0) {
      const std::int32_t right_id = sym[cur.next].id;
      if (const PairMap::Merge* en = merges.find(pair_key(cur.id, right_id)))
        push(cand(*en, pos, cur.id, right_id));
    }
  }
  for (const auto& x : sym)
    if (x.alive) out.push_back(x.id);
}

namespace {

// The per-thread first-level word cache: direct-mapped, arenas reset when full.
struct ThreadCache {
  static constexpr std::size_t kSlots = 8192;
  static constexpr std::size_t kKeyBytes = kSlots * 32;
  static constexpr std::size_t kIds = kSlots * 8;
  struct Slot {
    std::uint64_t hash = 0, owner = 0;
    std::uint32_t key_at = 0, ids_at = 0;
    std::uint16_t key_len = 0, n_ids = 0;
  };
  std::vector<Slot> slots;
  std::string keys;
  std::vector<std::int32_t> ids;

  const Slot* find(std::uint64_t hash, std::uint64_t owner, std::string_view piece) const {
    if (slots.empty()) return nullptr;
    const Slot& c = slots[(hash >> 8) & (kSlots - 1)];
    if (c.hash == hash && c.owner == owner && c.key_len == piece.size() &&
        piece.compare(0, piece.size(), keys.data() + c.key_at, c.key_len) == 0)
      return &c;
    return nullptr;
  }
  void add(std::uint64_t hash,
           std::uint64_t owner,
           std::string_view piece,
           const std::int32_t* first,
           std::size_t n) {
    if (n > 0xFFFF || n > kIds) return;
    if (slots.empty()) {
      slots.resize(kSlots);
      keys.reserve(kKeyBytes);
      ids.reserve(kIds);
    }
    if (keys.size() + piece.size() > kKeyBytes || ids.size() + n > kIds) {
      std::fill(slots.begin(), slots.end(), Slot{});
      keys.clear();
      ids.clear();
    }
    slots[(hash >> 8) & (kSlots - 1)] = Slot{hash,
                                             owner,
                                             static_cast<std::uint32_t>(keys.size()),
                                             static_cast<std::uint32_t>(ids.size()),
                                             static_cast<std::uint16_t>(piece.size()),
                                             static_cast<std::uint16_t>(n)};
    keys.append(piece);
    ids.insert(ids.end(), first, first + n);
  }
};

thread_local ThreadCache t_cache;

}  // namespace

void Bpe::tokenize(std::string_view piece, std::vector<std::int32_t>& out) const {
  if (piece.empty()) return;
  if (opts_.ignore_merges) {
    const std::int32_t id = token_to_id(piece);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  if (piece.size() > kMaxCachedBytes) return merge_word(piece, out);
  const std::uint64_t hash = hash_bytes(piece) | 1;
  if (const ThreadCache::Slot* c = t_cache.find(hash, serial_, piece)) {
    const auto first = t_cache.ids.begin() + c->ids_at;
    out.insert(out.end(), first, first + c->n_ids);
    return;
  }
  Shard& shard = cache_[hash % kShards];
  const std::size_t set = ((hash >> 8) % (kShardSlots / kWays)) * kWays;
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    if (!shard.slots.empty()) {
      for (std::size_t w = set; w < set + kWays; ++w) {
        const CacheSlot& c = shard.slots[w];
        if (c.hash == hash && c.key_len == piece.size() &&
            piece.compare(0, piece.size(), shard.keys.data() + c.key_at, c.key_len) == 0) {
          const auto first = shard.ids.begin() + c.ids_at;
          const std::size_t start = out.size();
          out.insert(out.end(), first, first + c.n_ids);
          t_cache.add(hash, serial_, piece, out.data() + start, c.n_ids);
          return;
        }
      }
    }
  }
  const std::size_t start = out.size();
  merge_word(piece, out);
  const std::size_t n = out.size() - start;
  t_cache.add(hash, serial_, piece, out.data() + start, n);
  if (n > kIdArenaSize) return;
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.slots.empty()) {
    shard.slots.resize(kShardSlots);
    shard.keys.reserve(kKeyArenaBytes);
    shard.ids.reserve(kIdArenaSize);
  }
  if (shard.keys.size() + piece.size() > kKeyArenaBytes || shard.ids.size() + n > kIdArenaSize) {
    std::fill(shard.slots.begin(), shard.slots.end(), CacheSlot{});
    shard.keys.clear();
    shard.ids.clear();
  }
  // An empty way of the set, else the one the hash picks (another thread may have added the
  // word meanwhile: a second copy is harmless).
  std::size_t at = set + (hash >> 40) % kWays;
  for (std::size_t w = set; w < set + kWays; ++w) {
    if (shard.slots[w].hash == 0) {
      at = w;
      break;
    }
  }
  shard.slots[at] =
      CacheSlot{hash, static_cast<std::uint32_t>(shard.keys.size()),
                static_cast<std::uint32_t>(shard.ids.size()),
                static_cast<std::uint16_t>(piece.size()), static_cast<std::uint16_t>(n)};
  shard.keys.append(piece);
  shard.ids.insert(shard.ids.end(), out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
}

}  // namespace swift::tok

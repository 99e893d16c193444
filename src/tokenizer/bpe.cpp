// BPE model (see bpe.h). Semantics follow HF tokenizers' models/bpe/{model,word}.rs: unknown
// characters go to byte fallback "<0xXX>" tokens, else to the (optionally fused) unk token, else
// are dropped; merges apply lowest rank first, ties to the leftmost pair.
#include "tokenizer/bpe.h"

#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <queue>

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

}  // namespace

std::unique_ptr<Bpe> Bpe::from_json(const json& model) {
  const char* w = "model";
  auto tables = std::make_shared<BpeTables>();
  const json& vocab = json_util::field(model, "vocab", "model");
  SWIFT_CHECK(vocab.is_object(), "[tokenizer] model.vocab must be an object token -> id, got {}",
              vocab.type_name());
  std::int64_t max_id = -1;
  tables->vocab.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    SWIFT_CHECK(it.value().is_number_integer(),
                "[tokenizer] model.vocab[\"{}\"] must be an integer id, got {}", it.key(),
                it.value().type_name());
    const std::int64_t id = it.value().get<std::int64_t>();
    SWIFT_CHECK(id >= 0 && id < kMaxVocabId,
                "[tokenizer] model.vocab[\"{}\"] has id {} outside [0, {}); the file is corrupt",
                it.key(), id, kMaxVocabId);
    tables->vocab.emplace(it.key(), static_cast<std::int32_t>(id));
    max_id = std::max(max_id, id);
  }
  tables->id_to_token.resize(static_cast<std::size_t>(max_id + 1));
  tables->has_id.assign(static_cast<std::size_t>(max_id + 1), 0);
  for (const auto& [tok, id] : tables->vocab) {
    SWIFT_CHECK(!tables->has_id[id],
                "[tokenizer] model.vocab gives id {} to both \"{}\" and \"{}\"", id,
                tables->id_to_token[id], tok);
    tables->id_to_token[id] = tok;
    tables->has_id[id] = 1;
  }

  BpeOptions o;
  o.byte_fallback = get_bool(model, "byte_fallback", w, false);
  o.fuse_unk = get_bool(model, "fuse_unk", w, false);
  o.ignore_merges = get_bool(model, "ignore_merges", w, false);
  o.unk_token = get_string(model, "unk_token", w);
  o.continuing_subword_prefix = get_string(model, "continuing_subword_prefix", w);
  o.end_of_word_suffix = get_string(model, "end_of_word_suffix", w);
  SWIFT_CHECK(model.value("dropout", json()).is_null() || model["dropout"].is_number(),
              "[tokenizer] model.dropout must be a number or null");

  const json* merges = json_util::get_array(model, "merges", "model");
  if (merges) {
    tables->merges.reserve(merges->size());
    const std::size_t prefix_len = o.continuing_subword_prefix.size();
    std::int32_t rank = 0;
    for (const auto& m : *merges) {
      std::string a, b;
      if (m.is_string()) {
        const std::string& s = m.get_ref<const std::string&>();
        const auto sp = s.find(' ');
        SWIFT_CHECK(sp != std::string::npos && s.find(' ', sp + 1) == std::string::npos,
                    "[tokenizer] merge #{} \"{}\" must be two tokens separated by one space", rank,
                    s);
        a = s.substr(0, sp);
        b = s.substr(sp + 1);
      } else {
        SWIFT_CHECK(m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string(),
                    "[tokenizer] merge #{} must be \"a b\" or [\"a\", \"b\"], got {}", rank,
                    m.dump().substr(0, 100));
        a = m[0].get<std::string>();
        b = m[1].get<std::string>();
      }
      auto ia = tables->vocab.find(a);
      auto ib = tables->vocab.find(b);
      SWIFT_CHECK(ia != tables->vocab.end(),
                  "[tokenizer] merge #{} uses \"{}\", which is not in the vocab; the merges do not "
                  "belong to this vocab",
                  rank, a);
      SWIFT_CHECK(ib != tables->vocab.end(),
                  "[tokenizer] merge #{} uses \"{}\", which is not in the vocab; the merges do not "
                  "belong to this vocab",
                  rank, b);
      const std::string merged = a + (b.size() >= prefix_len ? b.substr(prefix_len) : b);
      auto im = tables->vocab.find(merged);
      SWIFT_CHECK(im != tables->vocab.end(),
                  "[tokenizer] merge #{} makes \"{}\", which is not in the vocab", rank, merged);
      tables->merges[pair_key(ia->second, ib->second)] = {rank, im->second};
      ++rank;
    }
  }
  return std::make_unique<Bpe>(std::move(tables), std::move(o));
}

Bpe::Bpe(std::shared_ptr<const BpeTables> tables, BpeOptions opts)
    : tables_(std::move(tables)), opts_(std::move(opts)) {
  if (!opts_.unk_token.empty()) unk_id_ = token_to_id(opts_.unk_token);
  for (int b = 0; b < 256; ++b) byte_ids_[b] = token_to_id(fmt::format("<0x{:02X}>", b));
  for (const auto& [tok, id] : tables_->vocab) {
    if (tok.empty() || cp_len_at(tok, 0) != tok.size()) continue;
    std::size_t i = 0;
    cp_ids_.emplace(next_cp(tok, i), id);
  }
}

std::int32_t Bpe::token_to_id(std::string_view token) const {
  auto it = tables_->vocab.find(std::string(token));
  return it == tables_->vocab.end() ? -1 : it->second;
}

const std::string* Bpe::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tables_->id_to_token.size() || !tables_->has_id[id])
    return nullptr;
  return &tables_->id_to_token[id];
}

void Bpe::merge_word(std::string_view w, std::vector<std::int32_t>& out) const {
  struct Symbol {
    std::int32_t id;
    std::int32_t prev, next;
    bool alive;
  };
  std::vector<Symbol> sym;
  sym.reserve(w.size());
  auto add = [&sym](std::int32_t id) {
    const auto n = static_cast<std::int32_t>(sym.size());
    sym.push_back({id, n - 1, -1, true});
    if (n > 0) sym[n - 1].next = n;
  };
  // A pending unknown run, flushed before the next known character (HF keeps it pending across
  // byte-fallback characters, which we reproduce).
  bool pending_unk = false;
  std::string s;
  for (std::size_t i = 0; i < w.size();) {
    const std::size_t a = i;
    i += cp_len_at(w, i);
    const bool plain = (a == 0 || opts_.continuing_subword_prefix.empty()) &&
                       (i != w.size() || opts_.end_of_word_suffix.empty());
    std::int32_t id = -1;
    if (plain) {
      std::size_t q = a;
      const char32_t cp = next_cp(w, q);
      auto it = cp_ids_.find(cp);
      // A valid code point is found in the table; an invalid byte (U+FFFD) is looked up as is.
      if (it != cp_ids_.end() && !(cp == 0xFFFD && i - a != 3)) id = it->second;
      s.assign(w.substr(a, i - a));
    } else {
      s.assign(w.substr(a, i - a));
      if (a > 0 && !opts_.continuing_subword_prefix.empty())
        s.insert(0, opts_.continuing_subword_prefix);
      if (i == w.size() && !opts_.end_of_word_suffix.empty()) s += opts_.end_of_word_suffix;
      id = token_to_id(s);
    }
    if (id >= 0) {
      if (pending_unk) add(unk_id_), pending_unk = false;
      add(id);
      continue;
    }
    if (opts_.byte_fallback) {
      bool all = true;
      for (unsigned char b : s) all &= byte_ids_[b] >= 0;
      if (all) {
        for (unsigned char b : s) add(byte_ids_[b]);
        continue;
      }
    }
    if (unk_id_ >= 0) {
      if (pending_unk && !opts_.fuse_unk) add(unk_id_);
      pending_unk = true;
    }
  }
  if (pending_unk) add(unk_id_);

  struct Cand {
    std::int32_t rank, pos, new_id;
    bool operator<(const Cand& o) const {  // max-heap: lowest rank, then leftmost, on top
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  const auto& merges = tables_->merges;
  std::vector<Cand> heap_storage;
  heap_storage.reserve(sym.size());
  std::priority_queue<Cand> queue(std::less<Cand>(), std::move(heap_storage));
  for (std::size_t k = 0; k + 1 < sym.size(); ++k) {
    auto it = merges.find(pair_key(sym[k].id, sym[k + 1].id));
    if (it != merges.end())
      queue.push({it->second.first, static_cast<std::int32_t>(k), it->second.second});
  }
  while (!queue.empty()) {
    const Cand top = queue.top();
    queue.pop();
    Symbol& cur = sym[top.pos];
    if (!cur.alive || cur.next < 0) continue;
    const std::int32_t right_pos = cur.next;
    const Symbol right = sym[right_pos];
    auto it = merges.find(pair_key(cur.id, right.id));
    if (it == merges.end() || it->second.second != top.new_id) continue;  // stale entry
    cur.id = top.new_id;
    cur.next = right.next;
    sym[right_pos].alive = false;
    if (right.next >= 0) sym[right.next].prev = top.pos;
    if (cur.prev >= 0) {
      auto ip = merges.find(pair_key(sym[cur.prev].id, cur.id));
      if (ip != merges.end()) queue.push({ip->second.first, cur.prev, ip->second.second});
    }
    if (cur.next >= 0) {
      auto in = merges.find(pair_key(cur.id, sym[cur.next].id));
      if (in != merges.end()) queue.push({in->second.first, top.pos, in->second.second});
    }
  }
  for (const auto& x : sym)
    if (x.alive) out.push_back(x.id);
}

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
  const std::string key(piece);
  Shard& shard = cache_[std::hash<std::string>()(key) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<std::int32_t> ids;
  merge_word(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.map.size() >= kShardCapacity) shard.map.clear();
  shard.map.emplace(key, std::move(ids));
}

}  // namespace swift::tok

// Unigram, WordPiece and WordLevel models (see models.h). Semantics follow HF tokenizers'
// models/{unigram,wordpiece,wordlevel}: Unigram scores unknown characters at min_score - 10 and
// fuses adjacent unknowns; WordPiece maps a word it cannot cover (or one over
// max_input_chars_per_word characters) to the unk token.
#include "tokenizer/models.h"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "tokenizer/json_util.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

using json_util::get_bool;
using json_util::get_int;
using json_util::get_string;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxVocab = 1 << 24;

// token -> id and back for dense ids 0..n-1.
struct Vocab {
  std::unordered_map<std::string, std::int32_t> ids;
  std::vector<std::string> tokens;
  std::int32_t find(std::string_view t) const {
    auto it = ids.find(std::string(t));
    return it == ids.end() ? -1 : it->second;
  }
  const std::string* at(std::int32_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < tokens.size() ? &tokens[id] : nullptr;
  }
};

Vocab vocab_from_object(const json& v, const char* where) {
  SWIFT_CHECK(v.is_object(), "[tokenizer] {}.vocab must be an object token -> id, got {}", where,
              v.type_name());
  Vocab out;
  std::int64_t max_id = -1;
  for (auto it = v.begin(); it != v.end(); ++it) {
    SWIFT_CHECK(it.value().is_number_integer(), "[tokenizer] {}.vocab[\"{}\"] must be an integer",
                where, it.key());
    const auto id = it.value().get<std::int64_t>();
    SWIFT_CHECK(id >= 0 && id < static_cast<std::int64_t>(kMaxVocab),
                "[tokenizer] {}.vocab[\"{}\"] has id {} outside [0, {})", where, it.key(), id,
                kMaxVocab);
    out.ids.emplace(it.key(), static_cast<std::int32_t>(id));
    max_id = std::max(max_id, id);
  }
  out.tokens.resize(static_cast<std::size_t>(max_id + 1));
  for (const auto& [t, id] : out.ids) {
    SWIFT_CHECK(out.tokens[id].empty(), "[tokenizer] {}.vocab gives id {} to two tokens", where,
                id);
    out.tokens[id] = t;
  }
  return out;
}

class Unigram : public Model {
 public:
  explicit Unigram(const json& m) {
    const char* w = "Unigram model";
    const json* list = json_util::get_array(m, "vocab", w);
    SWIFT_CHECK(list, "[tokenizer] Unigram model has no vocab list");
    SWIFT_CHECK(list->size() < kMaxVocab, "[tokenizer] Unigram vocab is too large");
    min_score_ = std::numeric_limits<double>::infinity();
    for (const auto& e : *list) {
      SWIFT_CHECK(e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_number(),
                  "[tokenizer] Unigram vocab entries must be [piece, score], got {}",
                  e.dump().substr(0, 100));
      const auto id = static_cast<std::int32_t>(vocab_.tokens.size());
      std::string piece = e[0].get<std::string>();
      const double score = e[1].get<double>();
      vocab_.ids.emplace(piece, id);  // HF keeps the first id of a duplicated piece
      vocab_.tokens.push_back(piece);
      scores_.push_back(score);
      min_score_ = std::min(min_score_, score);
      if (!piece.empty()) insert(piece, id);
    }
    const auto unk = get_int(m, "unk_id", w, -1);
    SWIFT_CHECK(unk >= -1 && unk < static_cast<std::int64_t>(vocab_.tokens.size()),
                "[tokenizer] Unigram unk_id {} is outside the vocab", unk);
    unk_id_ = static_cast<std::int32_t>(unk);
    byte_fallback_ = get_bool(m, "byte_fallback", w, false);
    for (int b = 0; b < 256; ++b) byte_ids_[b] = vocab_.find(fmt::format("<0x{:02X}>", b));
  }

  void tokenize(std::string_view s, std::vector<std::int32_t>& out) const override {
    if (s.empty()) return;
    constexpr double kUnkPenalty = 10.0;
    const double unk_score = min_score_ - kUnkPenalty;
    struct Node {
      std::int32_t id = -1;
      double score = 0;
      std::int64_t start = -1;
    };
    std::vector<Node> best(s.size() + 1);
    for (std::size_t pos = 0; pos < s.size();) {
      const double base = best[pos].score;
      const std::size_t mblen = cp_len_at(s, pos);
      bool single = false;
      std::int32_t node = 0;
      for (std::size_t i = pos; i < s.size(); ++i) {
        auto it =
            edges_.find((static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(s[i]));
        if (it == edges_.end()) break;
        node = it->second;
        const std::int32_t id = token_at_[node];
        if (id < 0) continue;
        Node& t = best[i + 1];
        const double cand = base + scores_[id];
        if (t.start < 0 || cand > t.score) t = {id, cand, static_cast<std::int64_t>(pos)};
        if (i + 1 - pos == mblen) single = true;
      }
      if (!single) {
        SWIFT_CHECK(unk_id_ >= 0,
                    "[tokenizer] Unigram model cannot encode this text: it has no unk_id");
        Node& t = best[pos + mblen];
        const double cand = base + unk_score;
        if (t.start < 0 || cand > t.score) t = {unk_id_, cand, static_cast<std::int64_t>(pos)};
      }
      pos += mblen;
    }
    // Walk back, fusing runs of unknowns into one piece.
    std::vector<std::pair<std::size_t, std::size_t>> pieces;
    bool prev_unk = false;
    for (std::size_t end = s.size(); end > 0;) {
      const Node& n = best[end];
      const auto start = static_cast<std::size_t>(n.start);
      const bool unk = unk_id_ >= 0 && n.id == unk_id_;
      if (unk && prev_unk) {
        pieces.back().first = start;
      } else {
        pieces.push_back({start, end});
      }
      prev_unk = unk;
      end = start;
    }
    for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
      const std::string_view piece = s.substr(it->first, it->second - it->first);
      const std::int32_t id = vocab_.find(piece);
      if (id >= 0) {
        out.push_back(id);
        continue;
      }
      if (byte_fallback_) {
        bool all = true;
        for (unsigned char b : piece) all &= byte_ids_[b] >= 0;
        if (all) {
          for (unsigned char b : piece) out.push_back(byte_ids_[b]);
          continue;
        }
      }
      SWIFT_CHECK(unk_id_ >= 0, "[tokenizer] Unigram model has no unk_id for an unknown piece");
      out.push_back(unk_id_);
    }
  }
  std::int32_t token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(std::int32_t id) const override { return vocab_.at(id); }
  std::size_t size() const override { return vocab_.tokens.size(); }

 private:
  void insert(const std::string& s, std::int32_t id) {
    std::int32_t node = 0;
    for (unsigned char c : s) {
      const std::uint64_t key = (static_cast<std::uint64_t>(node) << 8) | c;
      auto it = edges_.find(key);
      if (it == edges_.end()) {
        const auto next = static_cast<std::int32_t>(token_at_.size());
        token_at_.push_back(-1);
        edges_.emplace(key, next);
        node = next;
      } else {
        node = it->second;
      }
    }
    if (token_at_[node] < 0) token_at_[node] = id;
  }

  Vocab vocab_;
  std::vector<double> scores_;
  double min_score_ = 0;
  std::int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  std::array<std::int32_t, 256> byte_ids_{};
  std::unordered_map<std::uint64_t, std::int32_t> edges_;
  std::vector<std::int32_t> token_at_{-1};
};

class WordPiece : public Model {
 public:
  explicit WordPiece(const json& m)
      : vocab_(
            vocab_from_object(json_util::field(m, "vocab", "WordPiece model"), "WordPiece model")) {
    const char* w = "WordPiece model";
    unk_ = get_string(m, "unk_token", w, "[UNK]");
    prefix_ = get_string(m, "continuing_subword_prefix", w, "##");
    max_chars_ = get_int(m, "max_input_chars_per_word", w, 100);
    unk_id_ = vocab_.find(unk_);
    SWIFT_CHECK(unk_id_ >= 0, "[tokenizer] WordPiece unk_token \"{}\" is not in the vocab", unk_);
  }
  void tokenize(std::string_view s, std::vector<std::int32_t>& out) const override {
    if (s.empty()) return;
    std::int64_t chars = 0;
    for (std::size_t i = 0; i < s.size(); i += cp_len_at(s, i)) ++chars;
    if (chars > max_chars_) {
      out.push_back(unk_id_);
      return;
    }
    std::vector<std::int32_t> sub;
    std::string probe;
    for (std::size_t start = 0; start < s.size();) {
      std::size_t end = s.size();
      std::int32_t found = -1;
      while (start < end) {
        probe.assign(start > 0 ? prefix_ : std::string());
        probe.append(s.substr(start, end - start));
        found = vocab_.find(probe);
        if (found >= 0) break;
        std::size_t b = end - 1;  // step back one code point
        while (b > start && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
        end = b;
      }
      if (found < 0) {
        out.push_back(unk_id_);
        return;
      }
      sub.push_back(found);
      start = end;
    }
    out.insert(out.end(), sub.begin(), sub.end());
  }
  std::int32_t token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(std::int32_t id) const override { return vocab_.at(id); }
  std::size_t size() const override { return vocab_.ids.size(); }

 private:
  Vocab vocab_;
  std::string unk_, prefix_;
  std::int64_t max_chars_ = 100;
  std::int32_t unk_id_ = -1;
};

class WordLevel : public Model {
 public:
  explicit WordLevel(const json& m)
      : vocab_(
            vocab_from_object(json_util::field(m, "vocab", "WordLevel model"), "WordLevel model")) {
    unk_id_ = vocab_.find(get_string(m, "unk_token", "WordLevel model", "<unk>"));
  }
  void tokenize(std::string_view s, std::vector<std::int32_t>& out) const override {
    if (s.empty()) return;
    const std::int32_t id = vocab_.find(s);
    SWIFT_CHECK(id >= 0 || unk_id_ >= 0,
                "[tokenizer] WordLevel model: \"{}\" is not in the vocab and there is no unk_token",
                std::string(s.substr(0, 50)));
    out.push_back(id >= 0 ? id : unk_id_);
  }
  std::int32_t token_to_id(std::string_view t) const override { return vocab_.find(t); }
  const std::string* id_to_token(std::int32_t id) const override { return vocab_.at(id); }
  std::size_t size() const override { return vocab_.ids.size(); }

 private:
  Vocab vocab_;
  std::int32_t unk_id_ = -1;
};

}  // namespace

std::unique_ptr<Model> make_unigram(const json& model) {
  return std::make_unique<Unigram>(model);
}
std::unique_ptr<Model> make_wordpiece(const json& model) {
  return std::make_unique<WordPiece>(model);
}
std::unique_ptr<Model> make_wordlevel(const json& model) {
  return std::make_unique<WordLevel>(model);
}

}  // namespace swift::tok

// Added-token matching (see added_vocabulary.h). A byte trie scanned from each position gives
// leftmost-longest matches in O(text * longest token), independent of the number of tokens.
#include "tokenizer/added_vocabulary.h"

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace swift::tok {

void AddedVocabulary::Trie::insert(std::string_view s, std::int32_t token) {
  std::int32_t node = 0;
  for (unsigned char c : s) {
    const std::uint64_t key = (static_cast<std::uint64_t>(node) << 8) | c;
    auto it = edges.find(key);
    if (it == edges.end()) {
      const auto next = static_cast<std::int32_t>(token_at.size());
      token_at.push_back(-1);
      edges.emplace(key, next);
      if (node == 0) root[c] = next;
      node = next;
    } else {
      node = it->second;
    }
  }
  if (token_at[node] < 0) token_at[node] = token;  // first declaration wins on duplicates
}

std::size_t AddedVocabulary::Trie::longest_at(std::string_view s,
                                              std::size_t pos,
                                              std::int32_t& token) const {
  if (pos >= s.size()) return 0;
  std::int32_t node = root[static_cast<unsigned char>(s[pos])];
  if (node < 0) return 0;  // the common case: no added token starts with this byte
  std::size_t best = 0;
  if (token_at[node] >= 0) {
    best = 1;
    token = token_at[node];
  }
  for (std::size_t i = pos + 1; i < s.size(); ++i) {
    auto it =
        edges.find((static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(s[i]));
    if (it == edges.end()) break;
    node = it->second;
    if (token_at[node] >= 0) {
      best = i + 1 - pos;
      token = token_at[node];
    }
  }
  return best;
}

void AddedVocabulary::add(AddedToken t) {
  SWIFT_CHECK(tokens_.size() < kMaxAddedTokens,
              "[tokenizer] more than {} added tokens; the file is corrupt or hostile",
              kMaxAddedTokens);
  SWIFT_CHECK(!t.content.empty(), "[tokenizer] added token id {} has empty content", t.id);
  SWIFT_CHECK(t.content.size() <= kMaxTokenBytes,
              "[tokenizer] added token id {} is {} bytes (max {})", t.id, t.content.size(),
              kMaxTokenBytes);
  SWIFT_CHECK(is_valid_utf8(t.content), "[tokenizer] added token id {} is not valid UTF-8", t.id);
  SWIFT_CHECK(t.id >= 0, "[tokenizer] added token \"{}\" has negative id {}", t.content, t.id);
  auto prev = by_id_.find(t.id);
  SWIFT_CHECK(prev == by_id_.end() || tokens_[prev->second].content == t.content,
              "[tokenizer] added tokens \"{}\" and \"{}\" both claim id {}; fix added_tokens",
              tokens_[prev == by_id_.end() ? 0 : prev->second].content, t.content, t.id);
  auto same = by_content_.find(t.content);
  if (same != by_content_.end()) {
    SWIFT_CHECK(tokens_[same->second].id == t.id,
                "[tokenizer] added token \"{}\" is declared with ids {} and {}", t.content,
                tokens_[same->second].id, t.id);
    return;
  }
  by_content_.emplace(t.content, tokens_.size());
  by_id_.emplace(t.id, tokens_.size());
  tokens_.push_back(std::move(t));
}

void AddedVocabulary::build(const Normalizer* normalizer) {
  raw_trie_ = Trie();
  normalized_trie_ = Trie();
  for (std::size_t k = 0; k < tokens_.size(); ++k) {
    const auto& t = tokens_[k];
    if (t.normalized && normalizer) {
      std::string c = t.content;
      normalizer->normalize(c);
      if (!c.empty()) normalized_trie_.insert(c, static_cast<std::int32_t>(k));
    } else if (t.normalized) {
      normalized_trie_.insert(t.content, static_cast<std::int32_t>(k));
    } else {
      raw_trie_.insert(t.content, static_cast<std::int32_t>(k));
    }
  }
}

const AddedToken* AddedVocabulary::by_id(std::int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

std::int32_t AddedVocabulary::id_of(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? -1 : tokens_[it->second].id;
}

namespace {

char32_t last_cp(std::string_view s, std::size_t end) {
  if (end == 0) return 0;
  std::size_t b = end - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  std::size_t i = b;
  return next_cp(s, i);
}

}  // namespace

void AddedVocabulary::split(const Segment& seg, const Trie& trie, std::vector<Segment>& out) const {
  const std::string& s = seg.text;
  if (trie.empty()) {
    if (!s.empty()) out.push_back(seg);
    return;
  }
  std::size_t emitted = 0;  // end of what is already in `out`
  auto emit_text = [&](std::size_t a, std::size_t b) {
    if (b > a) out.push_back(Segment{s.substr(a, b - a), -1, seg.at_origin && a == 0});
  };
  for (std::size_t pos = 0; pos < s.size();) {
    std::int32_t k = -1;
    const std::size_t len = trie.longest_at(s, pos, k);
    if (len == 0) {
      pos += cp_len_at(s, pos);
      continue;
    }
    const AddedToken& t = tokens_[k];
    std::size_t start = pos, stop = pos + len;
    if (t.single_word) {
      const bool left_ok = start == 0 || !is_alphanumeric(last_cp(s, start));
      std::size_t q = stop;
      const bool right_ok = stop == s.size() || !is_alphanumeric(next_cp(s, q));
      if (!left_ok || !right_ok) {
        pos += cp_len_at(s, pos);
        continue;
      }
    }
    if (t.lstrip) {
      while (start > emitted) {
        std::size_t b = start - 1;
        while (b > emitted && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
        std::size_t q = b;
        if (!is_whitespace(next_cp(s, q))) break;
        start = b;
      }
    }
    if (t.rstrip) {
      while (stop < s.size()) {
        std::size_t q = stop;
        if (!is_whitespace(next_cp(s, q))) break;
        stop = q;
      }
    }
    emit_text(emitted, start);
    out.push_back(Segment{s.substr(start, stop - start), t.id, false});
    emitted = stop;
    pos = stop;
  }
  emit_text(emitted, s.size());
}

std::vector<Segment> AddedVocabulary::extract_and_normalize(std::string_view text,
                                                            const Normalizer* normalizer) const {
  std::vector<Segment> first, out;
  split(Segment{std::string(text), -1, true}, raw_trie_, first);
  for (auto& seg : first) {
    if (seg.id >= 0) {
      out.push_back(std::move(seg));
      continue;
    }
    if (normalizer) normalizer->normalize(seg.text);
    split(seg, normalized_trie_, out);
  }
  return out;
}

}  // namespace swift::tok

// <think> ... </think> splitting; see reasoning.h.
#include "serve/reasoning.h"

namespace swift::serve {

namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
std::size_t partial_tag(std::string_view s, std::string_view tag) {
  for (std::size_t k = std::min(s.size(), tag.size() - 1); k > 0; --k)
    if (s.substr(s.size() - k) == tag.substr(0, k)) return k;
  return 0;
}

}  // namespace

ReasoningSplitter::ReasoningSplitter(bool starts_inside)
    : state_(starts_inside ? State::kThinking : State::kStart) {}

ReasoningSplitter::Piece ReasoningSplitter::push(std::string_view text) {
  Piece out;
  held_.append(text);
  while (true) {
    switch (state_) {
      case State::kStart: {
        const std::size_t b = held_.find_first_not_of(" \t\r\n");
        if (b == std::string::npos) return out;  // only whitespace so far
        std::string_view rest = std::string_view(held_).substr(b);
        if (rest.size() < kOpen.size() && kOpen.substr(0, rest.size()) == rest) return out;
        if (rest.substr(0, kOpen.size()) == kOpen) {
          held_ = std::string(rest.substr(kOpen.size()));
          state_ = State::kThinking;
        } else {
          state_ = State::kContent;
        }
        continue;
      }
      case State::kThinking: {
        const std::size_t e = held_.find(kClose);
        if (e == std::string::npos) {
          const std::size_t keep = partial_tag(held_, kClose);
          out.reasoning += held_.substr(0, held_.size() - keep);
          held_.erase(0, held_.size() - keep);
          return out;
        }
        out.reasoning += held_.substr(0, e);
        held_.erase(0, e + kClose.size());
        state_ = State::kAfter;
        continue;
      }
      case State::kAfter: {
        const std::size_t b = held_.find_first_not_of("\r\n");
        if (b == std::string::npos) {
          held_.clear();
          return out;
        }
        held_.erase(0, b);
        state_ = State::kContent;
        continue;
      }
      case State::kContent:
        out.content += held_;
        held_.clear();
        return out;
    }
  }
}

ReasoningSplitter::Piece ReasoningSplitter::finish() {
  Piece out;
  if (state_ == State::kThinking)
    out.reasoning = std::move(held_);  // the block never closed
  else if (state_ == State::kStart || state_ == State::kContent)
    out.content = std::move(held_);
  held_.clear();
  return out;
}

ReasoningSplitter::Piece ReasoningSplitter::split(std::string_view text, bool starts_inside) {
  ReasoningSplitter s(starts_inside);
  Piece a = s.push(text);
  Piece b = s.finish();
  a.reasoning += b.reasoning;
  a.content += b.content;
  return a;
}

}  // namespace swift::serve

#include "infer/text_stream.h"

#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace swift::infer {

namespace {
const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
}

std::size_t complete_utf8_prefix(const std::string& text) {
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  std::size_t n = text.size();
  std::size_t i = n;
  int cont = 0;
  while (i > 0 && cont < 4) {
    unsigned char c = static_cast<unsigned char>(text[i - 1]);
    if ((c & 0xC0) != 0x80) break;
    --i;
    ++cont;
  }
  if (i == 0) return n;
  unsigned char lead = static_cast<unsigned char>(text[i - 1]);
  std::size_t need = 1;
  if ((lead & 0xE0) == 0xC0)
    need = 2;
  else if ((lead & 0xF0) == 0xE0)
    need = 3;
  else if ((lead & 0xF8) == 0xF0)
    need = 4;
  std::size_t have = n - (i - 1);
  return have < need ? i - 1 : n;
}

std::size_t held_stop_prefix(const std::string& text, const std::vector<std::string>& stops) {
  std::size_t best = 0;
  for (const auto& s : stops) {
    for (std::size_t len = std::min(s.size() - (s.empty() ? 0 : 1), text.size()); len > best;
         --len) {
      if (text.compare(text.size() - len, len, s, 0, len) == 0) {
        best = len;
        break;
      }
    }
  }
  return best;
}

TextStream::TextStream(std::shared_ptr<const tok::Tokenizer> tokenizer,
                       std::vector<std::string> stop_words,
                       bool skip_special_tokens)
    : tokenizer_(std::move(tokenizer)),
      stop_words_(std::move(stop_words)),
      skip_special_(skip_special_tokens) {
  SWIFT_CHECK(tokenizer_ != nullptr, "[infer] TextStream needs a tokenizer");
  std::vector<std::string> kept;
  for (auto& s : stop_words_)
    if (!s.empty()) kept.push_back(s);
  stop_words_ = std::move(kept);
}

std::string TextStream::decoded() const {
  return tokenizer_->decode(ids_, skip_special_);
}

std::string TextStream::push(std::int32_t token) {
  if (stopped_) return "";
  ids_.push_back(token);
  std::string full = decoded();
  // An incomplete character decodes to U+FFFD at the end: hold it back until it completes.
  std::size_t end = full.size();
  while (end >= 3 && full.compare(end - 3, 3, kReplacement) == 0) end -= 3;
  end = std::min(end, complete_utf8_prefix(full.substr(0, end)));
  std::string candidate = full.substr(0, end);
  if (candidate.size() < emitted_.size() || candidate.compare(0, emitted_.size(), emitted_) != 0) {
    // Decoding is not always prefix-stable (e.g. cleanup of spaces); never retract, wait.
    return "";
  }
  for (const auto& s : stop_words_) {
    auto pos = candidate.find(s, emitted_.size() >= s.size() ? emitted_.size() - s.size() + 1 : 0);
    if (pos != std::string::npos) {
      stopped_ = true;
      matched_ = s;
      std::string delta =
          pos > emitted_.size() ? candidate.substr(emitted_.size(), pos - emitted_.size()) : "";
      emitted_ += delta;
      return delta;
    }
  }
  std::size_t hold = held_stop_prefix(candidate, stop_words_);
  std::size_t final_end = candidate.size() - hold;
  if (final_end <= emitted_.size()) return "";
  std::string delta = candidate.substr(emitted_.size(), final_end - emitted_.size());
  emitted_ += delta;
  return delta;
}

std::string TextStream::finish() {
  if (stopped_) return "";
  std::string full = decoded();
  if (full.size() < emitted_.size() || full.compare(0, emitted_.size(), emitted_) != 0) return "";
  std::string delta = full.substr(emitted_.size());
  emitted_ += delta;
  return delta;
}

}  // namespace swift::infer

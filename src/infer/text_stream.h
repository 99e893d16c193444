// Streaming text out of generated token ids: each new token yields only the text that is final,
// never a broken UTF-8 sequence (a token that ends inside a multi-byte character is held back
// until the character completes) and never a piece of a stop word (text that could still grow
// into a stop string is held back until it cannot). The concatenation of every delta plus
// finish() equals the non-streamed decode of the same ids, truncated at the first stop string.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace swift::tok {
class Tokenizer;
}

namespace swift::infer {

class TextStream {
 public:
  TextStream(std::shared_ptr<const tok::Tokenizer> tokenizer,
             std::vector<std::string> stop_words,
             bool skip_special_tokens = true);

  // Adds one generated token; returns the text that became final (possibly empty).
  std::string push(std::int32_t token);
  // True once a stop string has been produced; the text is cut before it (ms-swift strips the
  // EOS from output and keeps other stop words; callers choose by what they pass here).
  bool stopped() const { return stopped_; }
  // Flushes what was held back (a trailing incomplete character becomes U+FFFD, as HF decode
  // does) and returns it.
  std::string finish();
  const std::string& text() const { return emitted_; }
  // The stop string that ended the stream ("" while not stopped).
  const std::string& matched_stop() const { return matched_; }

 private:
  std::string decoded() const;
  std::shared_ptr<const tok::Tokenizer> tokenizer_;
  std::vector<std::string> stop_words_;
  bool skip_special_;
  std::vector<std::int32_t> ids_;
  std::string emitted_;
  bool stopped_ = false;
  std::string matched_;
};

// Length of the longest suffix of `text` that is a proper prefix of some stop word.
std::size_t held_stop_prefix(const std::string& text, const std::vector<std::string>& stops);
// Byte length of `text` without a trailing incomplete UTF-8 sequence.
std::size_t complete_utf8_prefix(const std::string& text);

}  // namespace swift::infer

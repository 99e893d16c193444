// Splits a thinking model's answer into reasoning_content (what is inside <think> ... </think>)
// and content (what follows, leading newlines dropped), as text streams in: a partial tag at
// the end of a piece is held back until the next piece decides it. An answer whose prompt
// already opened the block (qwen3 with enable_thinking) starts inside it; otherwise only an
// answer that begins with <think> (after whitespace) has reasoning.
//
//   ReasoningSplitter split(/*starts_inside=*/false);
//   auto a = split.push("<think>hmm</thi");   // a.reasoning == "hmm", a.content == ""
//   auto b = split.push("nk>\n\nHello");      // b.content == "Hello"
//   auto c = split.finish();
#pragma once

#include <string>
#include <string_view>

namespace swift::serve {

class ReasoningSplitter {
 public:
  struct Piece {
    std::string reasoning;
    std::string content;
  };
  explicit ReasoningSplitter(bool starts_inside);
  Piece push(std::string_view text);
  Piece finish();  // what was held back
  // The whole answer at once.
  static Piece split(std::string_view text, bool starts_inside);

 private:
  enum class State { kStart, kThinking, kAfter, kContent };
  State state_;
  std::string held_;
};

}  // namespace swift::serve

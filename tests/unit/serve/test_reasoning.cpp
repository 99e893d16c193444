// ReasoningSplitter: <think> ... </think> split out of an answer however the text is cut into
// stream pieces, equal to splitting the whole answer at once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serve/reasoning.h"

namespace {

using swift::serve::ReasoningSplitter;

ReasoningSplitter::Piece streamed(const std::string& text, bool inside, std::size_t step) {
  ReasoningSplitter s(inside);
  ReasoningSplitter::Piece all;
  for (std::size_t i = 0; i < text.size(); i += step) {
    auto p = s.push(text.substr(i, step));
    all.reasoning += p.reasoning;
    all.content += p.content;
  }
  auto f = s.finish();
  all.reasoning += f.reasoning;
  all.content += f.content;
  return all;
}

TEST(Reasoning, SplitsThinkBlocks) {
  auto p = ReasoningSplitter::split("<think>\nlet me see\n</think>\n\nHello", false);
  EXPECT_EQ(p.reasoning, "\nlet me see\n");
  EXPECT_EQ(p.content, "Hello");
  p = ReasoningSplitter::split("plain answer <think>not reasoning</think>", false);
  EXPECT_EQ(p.reasoning, "");
  EXPECT_EQ(p.content, "plain answer <think>not reasoning</think>");
  // The prompt opened the block (qwen3 thinking): everything up to </think> is reasoning.
  p = ReasoningSplitter::split("hmm</think>\n\nYes", true);
  EXPECT_EQ(p.reasoning, "hmm");
  EXPECT_EQ(p.content, "Yes");
  // A block that never closes is all reasoning; an empty one gives empty reasoning.
  p = ReasoningSplitter::split("<think>still thinking", false);
  EXPECT_EQ(p.reasoning, "still thinking");
  EXPECT_EQ(p.content, "");
  p = ReasoningSplitter::split("<think>\n\n</think>\n\nA", false);
  EXPECT_EQ(p.reasoning, "\n\n");
  EXPECT_EQ(p.content, "A");
  p = ReasoningSplitter::split("<thi", false);  // a prefix of the tag only
  EXPECT_EQ(p.content, "<thi");
}

TEST(Reasoning, AnyStreamCutGivesTheSameSplit) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"<think>\nlet me see\n</think>\n\nHello there", false},
      {"  <think>a</think>b", false},
      {"x</think>y", true},
      {"no thinking at all", false},
      {"<think>unclosed </thin", false},
      {"<|im_end|> text with </ and < signs", false},
  };
  for (const auto& [text, inside] : cases) {
    const auto whole = ReasoningSplitter::split(text, inside);
    for (std::size_t step = 1; step <= text.size(); ++step) {
      const auto s = streamed(text, inside, step);
      EXPECT_EQ(s.reasoning, whole.reasoning) << text << " step " << step;
      EXPECT_EQ(s.content, whole.content) << text << " step " << step;
    }
  }
}

}  // namespace

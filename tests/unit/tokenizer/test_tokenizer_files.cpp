// Crafted and hostile tokenizer.json / tokenizer_config.json files: each must fail with a
// specific swift::Error (never crash, hang or allocate unboundedly). Runs under ASan/UBSan too.
#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/error.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_json.h"
#include "tokenizer/unicode.h"

namespace {

using nlohmann::json;
using swift::tok::Tokenizer;
namespace stdfs = std::filesystem;

class TokenizerFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("swift_tok_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::create_directories(dir_);
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  // A small valid byte-level BPE tokenizer the tests then break one field at a time.
  static json base() {
    json vocab = json::object();
    int id = 0;
    for (int b = 0; b < 256; ++b) {
      std::string s;
      swift::tok::append_utf8(s, swift::tok::byte_to_char(static_cast<std::uint8_t>(b)));
      vocab[s] = id++;
    }
    vocab["ab"] = id++;
    vocab["abc"] = id++;
    return json{
        {"version", "1.0"},
        {"added_tokens", json::array({{{"id", id},
                                       {"content", "<|end|>"},
                                       {"special", true},
                                       {"normalized", false},
                                       {"lstrip", false},
                                       {"rstrip", false},
                                       {"single_word", false}}})},
        {"normalizer", nullptr},
        {"pre_tokenizer",
         {{"type", "Sequence"},
          {"pretokenizers",
           json::array(
               {{{"type", "Split"},
                 {"pattern", {{"Regex", "\\s+|\\S+"}}},
                 {"behavior", "Isolated"},
                 {"invert", false}},
                {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}})}}},
        {"post_processor", nullptr},
        {"decoder", {{"type", "ByteLevel"}}},
        {"model",
         {{"type", "BPE"},
          {"vocab", vocab},
          {"merges", json::array({"a b", json::array({"ab", "c"})})}}}};
  }
  std::shared_ptr<Tokenizer> load(const json& j) {
    write("tokenizer.json", j.dump());
    return Tokenizer::from_dir(dir_.string());
  }
  // Loading must throw swift::Error whose message contains `needle`.
  void expect_error(const json& j, const std::string& needle) {
    write("tokenizer.json", j.dump());
    expect_error_file(needle);
  }
  void expect_error_file(const std::string& needle) {
    try {
      Tokenizer::from_dir(dir_.string());
      ADD_FAILURE() << "expected an error containing \"" << needle << "\"";
    } catch (const swift::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("[tokenizer]"), std::string::npos) << e.what();
    }
  }
  stdfs::path dir_;
};

TEST_F(TokenizerFiles, BaseLoadsAndRoundTrips) {
  auto tok = load(base());
  EXPECT_EQ(tok->encode("abc", false), (std::vector<std::int32_t>{257}));
  EXPECT_EQ(tok->encode("x<|end|>", false).back(), 258);
  EXPECT_TRUE(tok->is_special(258));
  EXPECT_EQ(tok->decode(tok->encode("héllo <|end|> wörld", false), true), "héllo  wörld");
}

TEST_F(TokenizerFiles, MissingFilesAndNonJson) {
  expect_error_file("no tokenizer.json");
  write("tokenizer.json", "{ this is not json");
  expect_error_file("not valid JSON");
  write("tokenizer.json", "[1, 2, 3]");
  expect_error_file("JSON object");
  write("tokenizer.json", base().dump());
  write("tokenizer_config.json", "{\"bos_token\": ");
  expect_error_file("not valid JSON");
  write("tokenizer_config.json", "{\"bos_token\": 7}");
  expect_error_file("bos_token must be a string");
  write("tokenizer_config.json", "{\"chat_template\": 3}");
  expect_error_file("chat_template must be a string or a list");
}

TEST_F(TokenizerFiles, MergesWithUnknownTokens) {
  json j = base();
  j["model"]["merges"].push_back("a zz");
  expect_error(j, "\"zz\", which is not in the vocab");
  j = base();
  j["model"]["merges"] = json::array({"b c"});  // "bc" is not in the vocab
  expect_error(j, "makes \"bc\"");
  j = base();
  j["model"]["merges"] = json::array({"a b c"});
  expect_error(j, "two tokens separated by one space");
  j = base();
  j["model"]["merges"] = json::array({json::array({"a"})});
  expect_error(j, "merge #0");
}

TEST_F(TokenizerFiles, BadIds) {
  json j = base();
  j["model"]["vocab"]["neg"] = -1;
  expect_error(j, "has id -1 outside");
  j = base();
  j["model"]["vocab"]["huge"] = 1ll << 40;
  expect_error(j, "outside");
  j = base();
  j["model"]["vocab"]["dup"] = 3;
  expect_error(j, "gives id 3 to both");
  j = base();
  j["added_tokens"][0]["id"] = -4;
  expect_error(j, "out of range");
  j = base();
  j["added_tokens"][0]["id"] = 5;  // id of a byte token in the vocab
  expect_error(j, "takes id 5");
  j = base();
  j["added_tokens"].push_back(j["added_tokens"][0]);
  j["added_tokens"][1]["content"] = "<|other|>";
  expect_error(j, "both claim id 258");
  j = base();
  j["added_tokens"][0]["content"] = "";
  expect_error(j, "empty content");
}

TEST_F(TokenizerFiles, WrongTypes) {
  json j = base();
  j["model"]["vocab"] = json::array({"a", "b"});
  expect_error(j, "model.vocab must be an object");
  j = base();
  j["model"]["merges"] = 3;
  expect_error(j, "merges must be a list");
  j = base();
  j["model"]["vocab"]["x"] = "7";
  expect_error(j, "must be an integer id");
  j = base();
  j["model"]["type"] = "Mystery";
  expect_error(j, "\"Mystery\" is not supported");
  j = base();
  j["normalizer"] = {{"type", "Nope"}};
  expect_error(j, "unsupported normalizer type \"Nope\"");
  j = base();
  j["decoder"] = {{"type", "Sequence"}, {"decoders", 5}};
  expect_error(j, "must be a list");
  j = base();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "("}}}, {"behavior", "Isolated"}};
  expect_error(j, "invalid regex");
  j = base();
  j["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "Sideways"}};
  expect_error(j, "unknown split behavior \"Sideways\"");
  j = base();
  j["added_tokens"][0]["special"] = "yes";
  expect_error(j, "must be true/false");
  j = base();
  j["post_processor"] = {{"type", "TemplateProcessing"},
                         {"single", json::array({{{"SpecialToken", {{"id", "<nope>"}}}}})}};
  expect_error(j, "\"<nope>\", which is not a known token");
}

// "<0x-1>" looks like a byte token but is not one: byte fallback and the ByteFallback decoder
// must treat it as an ordinary token, as HF does, without misreading memory.
TEST_F(TokenizerFiles, MalformedByteTokens) {
  json j = base();
  j["model"]["vocab"]["<0x-1>"] = 300;
  j["model"]["vocab"]["<0xZZ>"] = 301;
  j["model"]["vocab"]["<0x"] = 302;
  j["model"]["byte_fallback"] = true;
  j["decoder"] = {{"type", "Sequence"},
                  {"decoders", json::array({{{"type", "ByteFallback"}}, {{"type", "Fuse"}}})}};
  auto tok = load(j);
  EXPECT_EQ(tok->decode({300, 301, 302}, false), "<0x-1><0xZZ><0x");
  EXPECT_EQ(tok->decode({999999, -1}, false), "");  // unknown ids are skipped
}

TEST_F(TokenizerFiles, CatastrophicRegexIsAnErrorNotAHang) {
  json j = base();
  j["pre_tokenizer"] = {{"type", "Split"},
                        {"pattern", {{"Regex", "(a+)+$"}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  auto tok = load(j);
  const auto t0 = std::chrono::steady_clock::now();
  try {
    tok->encode(std::string(40, 'a') + "!", false);
    ADD_FAILURE() << "a catastrophic pattern must hit the match limit";
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("backtracks catastrophically"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20.0);
}

TEST_F(TokenizerFiles, TooManyAddedTokensIsBounded) {
  json j = base();
  json added = json::array();
  for (int k = 0; k < 300000; ++k)
    added.push_back({{"id", 1000 + k}, {"content", "t" + std::to_string(k)}});
  j["added_tokens"] = std::move(added);
  expect_error(j, "added tokens (max");
}

TEST_F(TokenizerFiles, ChatTemplateListAndTokenObjects) {
  write("tokenizer_config.json",
        json{{"bos_token", {{"content", "<|end|>"}, {"lstrip", false}}},
             {"eos_token", "<|end|>"},
             {"add_bos_token", true},
             {"model_max_length", 1e30},
             {"chat_template", json::array({{{"name", "default"}, {"template", "A"}},
                                            {{"name", "tool_use"}, {"template", "B"}}})}}
            .dump());
  auto tok = load(base());
  EXPECT_EQ(tok->config().bos_token, "<|end|>");
  EXPECT_EQ(tok->config().chat_template, "A");
  ASSERT_EQ(tok->config().named_chat_templates.size(), 2u);
  EXPECT_EQ(tok->config().named_chat_templates[1].first, "tool_use");
  EXPECT_EQ(tok->config().model_max_length, std::numeric_limits<std::int64_t>::max());
}

// Arbitrary bytes (invalid UTF-8 included) never crash encode or decode.
TEST_F(TokenizerFiles, RandomBytesAreSafe) {
  auto tok = load(base());
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    const auto ids = tok->encode(s, true);
    (void)tok->decode(ids, false);
    std::vector<std::int32_t> junk(rng() % 16);
    for (auto& id : junk) id = static_cast<std::int32_t>(rng() % 400) - 50;
    (void)tok->decode(junk, true);
  }
}

// The WordPiece example of the HF tokenizers / BERT documentation: "unaffable" ->
// un ##aff ##able; a word it cannot cover becomes [UNK] as a whole.
TEST_F(TokenizerFiles, WordPieceModel) {
  json j = {{"normalizer", {{"type", "BertNormalizer"}, {"lowercase", true}}},
            {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
            {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}}},
            {"model",
             {{"type", "WordPiece"},
              {"unk_token", "[UNK]"},
              {"vocab", {{"[UNK]", 0}, {"un", 1}, {"##aff", 2}, {"##able", 3}, {"!", 4}}}}}};
  auto tok = load(j);
  EXPECT_EQ(tok->encode("UNaffable!", false), (std::vector<std::int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(tok->encode("unaffablex", false), (std::vector<std::int32_t>{0}));
  EXPECT_EQ(tok->decode({1, 2, 3}, false), "unaffable");
  j["model"]["unk_token"] = "[MISSING]";
  expect_error(j, "unk_token \"[MISSING]\" is not in the vocab");
}

// Unigram picks the highest-scoring segmentation; unknown characters score min_score - 10 and
// adjacent unknowns fuse into one unk token.
TEST_F(TokenizerFiles, UnigramModel) {
  json j = {
      {"pre_tokenizer",
       {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}}},
      {"decoder", {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}}},
      {"model",
       {{"type", "Unigram"},
        {"unk_id", 0},
        {"vocab", json::array({json::array({"<unk>", 0.0}), json::array({"\xE2\x96\x81", -2.0}),
                               json::array({"a", -1.0}), json::array({"b", -2.0}),
                               json::array({"ab", -1.5})})}}}};
  auto tok = load(j);
  EXPECT_EQ(tok->encode("ab", false), (std::vector<std::int32_t>{1, 4}));
  EXPECT_EQ(tok->encode("acdb", false), (std::vector<std::int32_t>{1, 2, 0, 3}));
  EXPECT_EQ(tok->decode({1, 4, 1, 2}, false), "ab a");
  j["model"]["vocab"][0] = json::array({"<unk>", "high"});
  expect_error(j, "[piece, score]");
}

// A hostile precompiled_charsmap (random trie units pointing anywhere) must never read out of
// bounds; a truncated one is an error.
TEST_F(TokenizerFiles, PrecompiledCharsmapIsBoundsChecked) {
  std::mt19937 rng(7);
  const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int round = 0; round < 20; ++round) {
    // 4-byte little-endian trie size (64 bytes), then trie units and a replacement blob.
    std::string raw = std::string("\x40\0\0\0", 4);
    for (int k = 0; k < 96; ++k) raw += static_cast<char>(rng());
    std::string enc;
    for (std::size_t k = 0; k + 2 < raw.size(); k += 3) {
      const std::uint32_t v = (static_cast<unsigned char>(raw[k]) << 16) |
                              (static_cast<unsigned char>(raw[k + 1]) << 8) |
                              static_cast<unsigned char>(raw[k + 2]);
      for (int s = 18; s >= 0; s -= 6) enc += b64[(v >> s) & 63];
    }
    json j = base();
    j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", enc}};
    auto tok = load(j);
    (void)tok->encode("h\xC3\xA9llo w\xC3\xB6rld \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD abc", false);
  }
  json j = base();
  j["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "QAAAAA=="}};
  expect_error(j, "does not fit");
}

// The fast tokenizer.json reader must accept only what nlohmann accepts, with the same content:
// mutate valid files byte by byte and compare the two readings of every mutant.
TEST_F(TokenizerFiles, FastReaderAgreesWithJsonParser) {
  json j = base();
  j["model"]["vocab"]["q\"\\/\b\f\n\r\t\u00e9\U0001F600"] = 300;
  j["model"]["vocab"]["\xF0\x9F\x98\x80 a"] = 301;
  j["model"]["merges"].push_back(json::array({"a", "b c"}));
  // Hand-written escapes, a repeated vocab key (the later wins) and a repeated top-level key.
  const std::string extra =
      "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\\u0062\": 1, \"\\ud83d\\ude00\": "
      "2, "
      "\"a\": 3, \"\\/x\": -0}, \"merges\": [\"a bb\", [\"\\ud83d\\ude00\", \"/x\"]]}";
  const std::vector<std::string> seeds = {j.dump(), j.dump(2),
                                          "{\"version\": \"1.0\", \"version\": 2, " + extra + "}",
                                          "\t{ " + extra + " , \"decoder\" : null }\n"};
  // What nlohmann reads, in the splitter's terms: vocab with the later duplicate winning.
  auto compare = [](const std::string& text, const swift::tok::SplitTokenizerJson& fast) {
    json full = json::parse(text, nullptr, false);
    ASSERT_FALSE(full.is_discarded()) << text;
    json& model = full["model"];
    std::map<std::string, std::int64_t> vocab, fast_vocab;
    for (auto& [k, v] : model["vocab"].items()) {
      ASSERT_TRUE(v.is_number_integer()) << text;
      vocab[k] = v.get<std::int64_t>();
    }
    for (const auto& [k, v] : fast.bpe.vocab) fast_vocab[std::string(k)] = v;
    EXPECT_EQ(vocab, fast_vocab) << text;
    std::vector<std::pair<std::string, std::string>> merges, fast_merges;
    if (model.contains("merges")) {
      for (const auto& m : model["merges"]) {
        if (m.is_string()) {
          const std::string s = m.get<std::string>();
          merges.emplace_back(s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1));
        } else {
          merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
        }
      }
    }
    for (const auto& [a, b] : fast.bpe.merges) fast_merges.emplace_back(a, b);
    EXPECT_EQ(merges, fast_merges) << text;
    model.erase("vocab");
    model.erase("merges");
    EXPECT_EQ(full, fast.root) << text;
  };
  const std::string alphabet =
      "{}[]\",:\\/ ubnt0123456789-.eEaAfF\x80\xbf\xc3\xa9\xed\xa0\xf0\x01\x7f";
  std::mt19937 rng(99);
  int accepted = 0, total = 0;
  for (const auto& seed : seeds) {
    auto fast = swift::tok::split_tokenizer_json(seed);
    ASSERT_TRUE(fast) << seed;
    compare(seed, *fast);
    for (int round = 0; round < 3000; ++round) {
      std::string text = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % text.size();
        const char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0:
            text[at] = c;
            break;
          case 1:
            text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          default:
            text.erase(at, 1);
            break;
        }
      }
      ++total;
      auto split = swift::tok::split_tokenizer_json(text);
      if (!split) continue;
      ++accepted;
      compare(text, *split);
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(accepted, total / 10);  // the mutants exercise the accepting paths too
}

// The example of "U+FFFD substitution of maximal subparts" in the Unicode Standard (ch. 3.9),
// which Rust's String::from_utf8_lossy (and so HF's decoders) follows.
TEST(Utf8Lossy, MaximalSubparts) {
  const std::string in = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(swift::tok::utf8_lossy(in), "a" + r + r + r + "b" + r + "c" + r + r + "d");
  // Rust's documentation example for from_utf8_lossy.
  EXPECT_EQ(swift::tok::utf8_lossy("Hello \xF0\x90\x80World"), "Hello " + r + "World");
}

}  // namespace

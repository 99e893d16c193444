// The training data pipeline (src/train/data.h) against ms-swift 4.6. The expected splits,
// orders, packing bins and length-statistics strings were computed once in the reference venv
// (/work/wt-ref/.venv-ref: ms-swift 4.6.0, datasets 4.8.4, numpy 2.4.6, binpacking 2.0.1):
//   - numpy: np.random.default_rng(s).permutation(n); get_seed(np.random.RandomState(42)) x4;
//     np.random.RandomState(7).permutation(12) then .permutation(5);
//   - splits: swift.dataset.load_dataset(words, split_dataset_ratio=r, shuffle=s, seed=d) on
//     a.jsonl (23 rows "aq0".."aq22") and b.jsonl (7 rows "bq0".."bq6"), each row
//     {"messages": [{"role": "user", "content": "aqI"}, {"role": "assistant", "content": "arI"}]},
//     listing each returned row's user content;
//   - packing: PackingDataset.create_packed_idx (calculate_matched_group per 1000-row batch,
//     binpacking.to_constant_volume) on the length lists below, over split_list chunks for
//     packing_num_proc > 1; the 2500-row case as a checksum (see pack_checksum);
//   - swift.utils.stat_array([3, 5, 10]) and ([7]);
//   - torch 2.13 torch.randperm(n, generator=torch.Generator().manual_seed(s)) and
//     swift.dataloader.shard.BatchSamplerShard(10, 3, True, drop_last, 42) (+ set_epoch(1)).
// Nothing here needs the venv. Encoding uses a small character-level tokenizer (below) with the
// chatml template, so every expected token sequence is visible in the test.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "common/test_assets.h"
#include "common/test_util.h"
#include "train/data.h"

namespace {

using swift::train::Batch;
using swift::train::DataOptions;
using swift::train::Sample;
using OJson = nlohmann::ordered_json;
namespace np = swift::train::np;
namespace tmpl = swift::tmpl;

// One token per byte (id = byte + 16) plus whole special tokens; BOS with add_special_tokens.
class CharTokenizer : public swift::tok::Tokenizer {
 public:
  CharTokenizer() {
    cfg_.bos_token = "<s>";
    cfg_.eos_token = "</s>";
  }
  std::vector<std::int32_t> encode(std::string_view text, bool add_special) const override {
    std::vector<std::int32_t> ids;
    if (add_special) ids.push_back(1);
    for (std::size_t i = 0; i < text.size();) {
      bool hit = false;
      for (std::size_t s = 0; s < specials().size(); ++s) {
        const std::string& sp = specials()[s];
        if (text.compare(i, sp.size(), sp) == 0) {
          ids.push_back(static_cast<std::int32_t>(s + 1));
          i += sp.size();
          hit = true;
          break;
        }
      }
      if (!hit) ids.push_back(static_cast<unsigned char>(text[i++]) + 16);
    }
    return ids;
  }
  std::string decode(const std::vector<std::int32_t>& ids, bool skip) const override {
    std::string out;
    for (auto id : ids) {
      if (id >= 16) {
        out += static_cast<char>(id - 16);
      } else if (!skip && id >= 1 && id <= static_cast<int>(specials().size())) {
        out += specials()[id - 1];
      }
    }
    return out;
  }
  std::int32_t token_to_id(std::string_view t) const override {
    for (std::size_t s = 0; s < specials().size(); ++s)
      if (specials()[s] == t) return static_cast<std::int32_t>(s + 1);
    return t.size() == 1 ? static_cast<unsigned char>(t[0]) + 16 : -1;
  }
  std::string id_to_token(std::int32_t id) const override { return decode({id}, false); }
  std::size_t vocab_size() const override { return 16 + 256; }
  bool is_special(std::int32_t id) const override { return id < 16; }
  const swift::tok::TokenizerConfig& config() const override { return cfg_; }

 private:
  static const std::vector<std::string>& specials() {
    static const std::vector<std::string> s = {"<s>", "</s>", "<|im_start|>", "<|im_end|>",
                                               "<|endoftext|>"};
    return s;
  }
  swift::tok::TokenizerConfig cfg_;
};

std::shared_ptr<CharTokenizer> tokenizer() {
  return std::make_shared<CharTokenizer>();
}

tmpl::SwiftTemplate chatml() {
  return tmpl::SwiftTemplate(tmpl::get_template_meta("chatml"), tokenizer());
}

OJson chat_row(const std::string& q, const std::string& r) {
  return OJson{{"messages", OJson::array({OJson{{"role", "user"}, {"content", q}},
                                          OJson{{"role", "assistant"}, {"content", r}}})}};
}

// a.jsonl: aq0..aq22, b.jsonl: bq0..bq6, as the reference run had them.
struct Files {
  std::string dir, a, b;
  Files() {
    dir = swift::testing::fresh_dir("swift_train_data", "files");
    a = dir + "/a.jsonl";
    b = dir + "/b.jsonl";
    std::string ta, tb;
    for (int i = 0; i < 23; ++i)
      ta += chat_row("aq" + std::to_string(i), "ar" + std::to_string(i)).dump() + "\n";
    for (int i = 0; i < 7; ++i)
      tb += chat_row("bq" + std::to_string(i), "br" + std::to_string(i)).dump() + "\n";
    swift::testing::write_file(a, ta);
    swift::testing::write_file(b, tb);
  }
};

// The user content ("aq7") each encoded sample came from, in order.
std::vector<std::string> queries(const std::vector<Sample>& samples) {
  CharTokenizer t;
  static const std::regex kQuery("([ab]q[0-9]+)");
  std::vector<std::string> out;
  for (const auto& s : samples) {
    std::string text = t.decode(s.input_ids, false);
    std::smatch m;
    out.push_back(std::regex_search(text, m, kQuery) ? m[1].str() : "?");
  }
  return out;
}

using Names = std::vector<std::string>;

TEST(NumpyRandom, DefaultRngPermutationEqualsNumpy) {
  EXPECT_EQ(np::default_rng_permutation(0, 10),
            (std::vector<std::int64_t>{4, 6, 2, 7, 3, 5, 9, 0, 8, 1}));
  EXPECT_EQ(np::default_rng_permutation(42, 10),
            (std::vector<std::int64_t>{5, 6, 0, 7, 3, 2, 4, 9, 1, 8}));
  EXPECT_EQ(np::default_rng_permutation(12345, 7),
            (std::vector<std::int64_t>{4, 3, 0, 2, 1, 6, 5}));
  EXPECT_EQ(np::default_rng_permutation(2147483646, 20),
            (std::vector<std::int64_t>{0, 17, 5,  3, 16, 15, 7, 6,  12, 11,
                                       2, 13, 10, 1, 19, 4,  8, 18, 9,  14}));
}

TEST(NumpyRandom, RandomStateEqualsNumpy) {
  np::RandomState rs(42);
  std::vector<std::uint32_t> seeds;
  for (int i = 0; i < 4; ++i) seeds.push_back(np::get_seed(rs));
  EXPECT_EQ(seeds, (std::vector<std::uint32_t>{1608637542, 1273642419, 1935803228, 787846414}));
  np::RandomState r7(7);
  EXPECT_EQ(r7.permutation(12), (std::vector<std::int64_t>{7, 10, 2, 5, 0, 1, 11, 8, 3, 6, 9, 4}));
  EXPECT_EQ(r7.permutation(5), (std::vector<std::int64_t>{1, 3, 4, 0, 2}));
}

DataOptions base_options(const std::vector<std::string>& words,
                         double ratio,
                         bool shuffle,
                         std::uint64_t seed) {
  DataOptions o;
  o.dataset = words;
  o.split_dataset_ratio = ratio;
  o.dataset_shuffle = shuffle;
  o.data_seed = seed;
  return o;
}

TEST(PrepareData, SplitAndShuffleEqualMsSwift) {
  Files f;
  auto t = chatml();
  {
    auto d = swift::train::prepare_data(base_options({f.a}, 0.2, true, 42), t, "");
    EXPECT_EQ(queries(d.train),
              (Names{"aq7", "aq4", "aq18", "aq16", "aq22", "aq9", "aq15", "aq1", "aq19", "aq2",
                     "aq5", "aq11", "aq13", "aq6", "aq14", "aq10", "aq20", "aq17", "aq8"}));
    EXPECT_EQ(queries(d.val), (Names{"aq21", "aq0", "aq12", "aq3"}));
  }
  {
    auto d = swift::train::prepare_data(base_options({f.a}, 0.2, false, 42), t, "");
    Names train;
    for (int i = 0; i < 19; ++i) train.push_back("aq" + std::to_string(i));
    EXPECT_EQ(queries(d.train), train);
    EXPECT_EQ(queries(d.val), (Names{"aq19", "aq20", "aq21", "aq22"}));
  }
  {
    auto d = swift::train::prepare_data(base_options({f.a, f.b}, 0.1, true, 3), t, "");
    EXPECT_EQ(queries(d.train),
              (Names{"bq5",  "aq14", "bq0",  "aq1",  "aq12", "aq11", "aq16", "aq10", "bq4",
                     "aq4",  "aq8",  "aq20", "aq15", "aq2",  "aq19", "bq6",  "aq5",  "aq0",
                     "aq21", "bq2",  "aq17", "aq13", "aq6",  "aq7",  "aq3",  "aq22", "bq3"}));
    EXPECT_EQ(queries(d.val), (Names{"bq1", "aq9", "aq18"}));
  }
  {
    // #N below and above the row count (repeats), no split.
    auto d =
        swift::train::prepare_data(base_options({f.a + "#10", f.b + "#12"}, 0.0, true, 42), t, "");
    EXPECT_EQ(queries(d.train), (Names{"bq6",  "bq2",  "bq6", "bq4", "aq21", "aq16", "aq5", "aq0",
                                       "aq13", "bq2",  "aq9", "bq1", "bq4",  "aq11", "aq8", "bq0",
                                       "bq5",  "aq18", "bq3", "bq3", "aq1",  "bq0"}));
    EXPECT_TRUE(d.val.empty());
  }
  {
    auto d = swift::train::prepare_data(base_options({f.a + "#30"}, 0.25, true, 42), t, "");
    EXPECT_EQ(queries(d.train),
              (Names{"aq20", "aq1",  "aq11", "aq17", "aq6",  "aq5",  "aq7",  "aq11", "aq15",
                     "aq17", "aq16", "aq22", "aq6",  "aq14", "aq4",  "aq20", "aq13", "aq8",
                     "aq18", "aq10", "aq1",  "aq7",  "aq2",  "aq19", "aq19"}));
    EXPECT_EQ(queries(d.val), (Names{"aq3", "aq0", "aq9", "aq12", "aq21"}));
  }
  {
    auto d = swift::train::prepare_data(base_options({f.a, f.b}, 0.0, true, 42), t, "");
    EXPECT_EQ(
        queries(d.train),
        (Names{"aq3",  "aq2", "aq7",  "aq16", "aq10", "aq17", "bq0",  "aq21", "bq3",  "aq13",
               "bq4",  "aq0", "aq18", "aq22", "aq4",  "aq6",  "bq2",  "bq6",  "aq15", "aq1",
               "aq12", "aq5", "aq14", "aq11", "bq1",  "bq5",  "aq19", "aq20", "aq9",  "aq8"}));
  }
  {
    // --val_dataset: ratio 1, not shuffled by default; #N takes the first rows.
    DataOptions o = base_options({f.a}, 0.0, false, 42);
    o.val_dataset = {f.b + "#5"};
    auto d = swift::train::prepare_data(o, t, "");
    EXPECT_EQ(queries(d.val), (Names{"bq0", "bq1", "bq2", "bq3", "bq4"}));
    EXPECT_EQ(d.train.size(), 23u);
  }
}

TEST(PrepareData, ShuffleIsReproducibleBySeed) {
  Files f;
  auto t = chatml();
  auto q1 = queries(swift::train::prepare_data(base_options({f.a}, 0.0, true, 7), t, "").train);
  auto q2 = queries(swift::train::prepare_data(base_options({f.a}, 0.0, true, 7), t, "").train);
  auto q3 = queries(swift::train::prepare_data(base_options({f.a}, 0.0, true, 8), t, "").train);
  EXPECT_EQ(q1, q2);
  EXPECT_NE(q1, q3);
  Names sorted1 = q1, sorted3 = q3;
  std::sort(sorted1.begin(), sorted1.end());
  std::sort(sorted3.begin(), sorted3.end());
  EXPECT_EQ(sorted1, sorted3);  // the same rows, another order
}

TEST(PrepareData, WritesValDatasetJsonl) {
  Files f;
  auto t = chatml();
  std::string out = swift::testing::fresh_dir("swift_train_data", "out") + "/run";
  auto d = swift::train::prepare_data(base_options({f.b}, 0.3, true, 1), t, out);
  EXPECT_EQ(queries(d.val), (Names{"bq2", "bq4"}));
  EXPECT_EQ(queries(d.train), (Names{"bq6", "bq3", "bq1", "bq0", "bq5"}));
  ASSERT_EQ(d.val_dataset_path, out + "/val_dataset.jsonl");
  std::string text = swift::testing::read_file(d.val_dataset_path);
  std::vector<OJson> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    lines.push_back(OJson::parse(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["messages"][0]["content"], "bq2");
  EXPECT_EQ(lines[1]["messages"][1]["content"], "br4");
  EXPECT_EQ(lines[0]["dataset"], f.b);
  EXPECT_NE(d.report.find("The split dataset from the training set will be saved at"),
            std::string::npos);
  std::vector<std::int64_t> train_len, val_len;
  for (const auto& s : d.train) train_len.push_back(static_cast<std::int64_t>(s.input_ids.size()));
  for (const auto& s : d.val) val_len.push_back(static_cast<std::int64_t>(s.input_ids.size()));
  EXPECT_EQ(d.train_length_stat, swift::train::length_stats(train_len).text);
  EXPECT_EQ(d.val_length_stat, swift::train::length_stats(val_len).text);
  EXPECT_NE(d.report.find("Dataset Token Length: " + d.train_length_stat + "\n"),
            std::string::npos);

  // No split, no file.
  std::string out2 = swift::testing::fresh_dir("swift_train_data", "out2");
  auto d2 = swift::train::prepare_data(base_options({f.b}, 0.0, true, 1), t, out2);
  EXPECT_TRUE(d2.val_dataset_path.empty());
  EXPECT_FALSE(std::filesystem::exists(out2 + "/val_dataset.jsonl"));
}

TEST(PrepareData, EncodesWithTemplateLabels) {
  Files f;
  auto t = chatml();
  auto d = swift::train::prepare_data(base_options({f.b + "#1"}, 0.0, false, 42), t, "");
  ASSERT_EQ(d.train.size(), 1u);
  const Sample& s = d.train[0];
  // What the template itself gives for the row.
  auto e = t.encode(chat_row("bq0", "br0")["messages"], tmpl::EncodeOptions{});
  EXPECT_EQ(s.input_ids, e.input_ids);
  EXPECT_EQ(s.labels, e.labels);
  EXPECT_TRUE(s.loss_scale.empty());
  CharTokenizer tok;
  std::string trained;
  for (std::size_t i = 0; i < s.labels.size(); ++i)
    if (s.labels[i] != -100) trained += tok.decode({s.labels[i]}, false);
  EXPECT_EQ(trained, "br0<|im_end|>\n");
}

TEST(PrepareData, TruncationStrategies) {
  std::string dir = swift::testing::fresh_dir("swift_train_data", "trunc");
  std::string path = dir + "/d.jsonl";
  std::string text;
  for (int i = 0; i < 200; ++i) text += chat_row("q" + std::to_string(i), "ok").dump() + "\n";
  // 34 prompt tokens (chatml pieces + the question), then 44 + 2 answer tokens.
  const OJson long_row = chat_row("a long question", "and an answer that is long enough to be cut");
  text += long_row.dump() + "\n";
  swift::testing::write_file(path, text);
  auto t = chatml();
  const std::int64_t max_len = 40;
  {
    DataOptions o = base_options({path}, 0.0, false, 42);
    o.max_length = max_len;
    auto d = swift::train::prepare_data(o, t, "");
    EXPECT_EQ(d.train.size(), 200u);  // the long row is deleted (1 of 201 < 1%)
    EXPECT_EQ(d.train_stats.dropped.at("longer than max_length"), 1u);
    EXPECT_NE(d.report.find("Dataset filtered, origin length: 201, filtered dataset length: 200"),
              std::string::npos);
  }
  for (const char* strategy : {"left", "right"}) {
    DataOptions o = base_options({path}, 0.0, false, 42);
    o.max_length = max_len;
    o.truncation_strategy = strategy;
    auto d = swift::train::prepare_data(o, t, "");
    ASSERT_EQ(d.train.size(), 201u) << strategy;
    const Sample& s = d.train.back();
    EXPECT_EQ(s.input_ids.size(), static_cast<std::size_t>(max_len)) << strategy;
    EXPECT_EQ(s.labels[0], -100);
    auto full = t.encode(long_row["messages"], tmpl::EncodeOptions{});
    if (std::string(strategy) == "left")
      EXPECT_TRUE(
          std::equal(s.input_ids.begin(), s.input_ids.end(), full.input_ids.end() - max_len));
    else
      EXPECT_TRUE(std::equal(s.input_ids.begin(), s.input_ids.end(), full.input_ids.begin()));
  }
  {
    // "split" is pre-training only.
    DataOptions o = base_options({path}, 0.0, false, 42);
    o.max_length = max_len;
    o.truncation_strategy = "split";
    swift::testing::expect_error([&] { swift::train::prepare_data(o, t, ""); },
                                 {"split", "pre-training"});
  }
}

TEST(PrepareData, DropRatioAbortsAndStrictNamesTheRow) {
  std::string dir = swift::testing::fresh_dir("swift_train_data", "drop");
  std::string path = dir + "/d.jsonl";
  std::string text;
  for (int i = 0; i < 3; ++i) text += chat_row("q" + std::to_string(i), "ok").dump() + "\n";
  text += chat_row("a long question that does not fit", "and an answer").dump() + "\n";
  swift::testing::write_file(path, text);
  auto t = chatml();
  DataOptions o = base_options({path}, 0.0, false, 42);
  o.max_length = 32;
  swift::testing::expect_error([&] { swift::train::prepare_data(o, t, ""); },
                               {"1 of 4 train rows could not be used", "longer than max_length 1",
                                "--max_length", "train row 4"});
  o.load.max_drop_ratio = 0.5;
  EXPECT_EQ(swift::train::prepare_data(o, t, "").train.size(), 3u);
  o.strict = true;
  swift::testing::expect_error([&] { swift::train::prepare_data(o, t, ""); },
                               {"train row 4", "longer than max_length", "--strict"});
  // A row whose answer is cut off entirely (right truncation) has nothing to train on.
  o.strict = false;
  o.truncation_strategy = "right";
  auto d = swift::train::prepare_data(o, t, "");
  EXPECT_EQ(d.train.size(), 3u);
  EXPECT_EQ(d.train_stats.dropped.at("no trainable token"), 1u);
}

TEST(PrepareData, PretrainTrainsEveryToken) {
  std::string dir = swift::testing::fresh_dir("swift_train_data", "pt");
  std::string path = dir + "/d.jsonl", chat_path = dir + "/c.jsonl";
  swift::testing::write_file(path, OJson{{"text", "hello world"}}.dump() + "\n");
  swift::testing::write_file(chat_path, chat_row("question", "answer").dump() + "\n");
  tmpl::SwiftTemplate t(swift::train::generation_template_meta(tmpl::get_template_meta("chatml")),
                        tokenizer());
  DataOptions o = base_options({path, chat_path}, 0.0, false, 42);
  o.pretrain = true;
  o.use_chat_template = false;
  o.encode.loss_scale = "all";
  auto d = swift::train::prepare_data(o, t, "");
  ASSERT_EQ(d.train.size(), 2u);
  CharTokenizer tok;
  EXPECT_EQ(tok.decode(d.train[0].input_ids, false), "<s>hello world</s>");
  EXPECT_EQ(tok.decode(d.train[1].input_ids, false), "<s>questionanswer</s>");
  for (const auto& s : d.train) {
    EXPECT_EQ(s.labels[0], -100);
    for (std::size_t i = 1; i < s.labels.size(); ++i) EXPECT_EQ(s.labels[i], s.input_ids[i]);
  }
  // truncation "split": max_length pieces, each starting untrained.
  o.max_length = 5;
  o.truncation_strategy = "split";
  auto sp = swift::train::prepare_data(o, t, "");
  // 13 tokens -> 5 + 5 + 3; 16 tokens -> 5 + 5 + 5 + 1.
  std::vector<std::size_t> sizes;
  for (const auto& s : sp.train) {
    sizes.push_back(s.input_ids.size());
    EXPECT_EQ(s.labels[0], -100);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 5, 3, 5, 5, 5, 1}));
}

// Real tokenizers (scripts/fetch-test-assets.sh; skipped without them). Expected ids: ms-swift
// 4.6's Template.encode in train mode on the same tokenizer folders (AutoTokenizer), built with
// use_chat_template=False + loss_scale='all' (swift pt) and True + 'default+ignore_empty_think'
// (swift sft on a hybrid thinking template: TemplateArguments._set_loss_scale appends it, as
// prepare_data does through resolve_loss_scale). A lone assistant turn gets an empty user turn.
TEST(PrepareData, PretrainEncodingEqualsMsSwift) {
  struct Case {
    const char* tok;
    const char* tmpl;
    bool chat;
    OJson row;
    std::vector<std::int32_t> ids, labels;
  };
  const OJson text{{"text", "hello world"}};
  const OJson sft{
      {"messages", OJson::array({OJson{{"role", "system"}, {"content", "sys"}},
                                 OJson{{"role", "user"}, {"content", "question"}},
                                 OJson{{"role", "assistant"}, {"content", "answer"}}})}};
  const std::vector<Case> cases = {
      {"qwen3", "qwen3", false, text, {14990, 1879, 151645}, {-100, 1879, 151645}},
      {"qwen3", "qwen3", false, sft, {7841, 9217, 151645}, {-100, 9217, 151645}},
      {"qwen3",
       "qwen3",
       true,
       text,
       {151644, 872, 198, 151645, 198, 151644, 77091, 198, 151667, 271, 151668, 271, 14990, 1879,
        151645, 198},
       {-100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, -100, 14990, 1879, 151645,
        198}},
      {"llama3", "llama3", false, text, {15339, 1917, 128001}, {-100, 1917, 128001}},
      {"llama3", "llama3", false, sft, {7998, 9399, 128001}, {-100, 9399, 128001}},
  };
  int ran = 0;
  for (const auto& c : cases) {
    std::string dir = swift::testing::tokenizer_asset_dir(c.tok);
    if (!std::filesystem::exists(dir + "/tokenizer.json")) continue;
    auto tok = swift::tok::Tokenizer::from_dir(dir);
    const auto& chat_meta = tmpl::get_template_meta(c.tmpl);
    tmpl::SwiftTemplate t(c.chat ? chat_meta : swift::train::generation_template_meta(chat_meta),
                          tok);
    std::string data_dir = swift::testing::fresh_dir("swift_train_data", "real");
    swift::testing::write_file(data_dir + "/d.jsonl", c.row.dump() + "\n");
    DataOptions o = base_options({data_dir + "/d.jsonl"}, 0.0, false, 42);
    o.pretrain = !c.chat;
    o.use_chat_template = c.chat;
    o.encode.loss_scale = c.chat ? "default" : "all";
    auto d = swift::train::prepare_data(o, t, "");
    ASSERT_EQ(d.train.size(), 1u);
    EXPECT_EQ(d.train[0].input_ids, c.ids) << c.tok << " " << c.row.dump();
    EXPECT_EQ(d.train[0].labels, c.labels) << c.tok << " " << c.row.dump();
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "tokenizer assets not downloaded";
}

TEST(PrepareData, ThreadsGiveTheSameSamples) {
  Files f;
  auto t = chatml();
  DataOptions o = base_options({f.a, f.b}, 0.2, true, 5);
  auto one = swift::train::prepare_data(o, t, "");
  o.num_proc = 3;
  auto three = swift::train::prepare_data(o, t, "");
  ASSERT_EQ(one.train.size(), three.train.size());
  for (std::size_t i = 0; i < one.train.size(); ++i)
    EXPECT_EQ(one.train[i].input_ids, three.train[i].input_ids);
  EXPECT_EQ(queries(one.val), queries(three.val));
  EXPECT_EQ(one.report, three.report);
}

TEST(DataOptions, FromPtArguments) {
  auto p = swift::args::parse_args("pt", {"--model", "m", "--dataset", "a.jsonl", "b.jsonl#5",
                                          "--max_length", "128", "--data_seed", "3"});
  DataOptions o = swift::train::data_options_from_args(*p, true);
  EXPECT_EQ(o.dataset, (std::vector<std::string>{"a.jsonl", "b.jsonl#5"}));
  EXPECT_EQ(o.encode.loss_scale, "all");
  EXPECT_FALSE(o.use_chat_template);
  EXPECT_EQ(o.max_length, 128);
  EXPECT_EQ(o.data_seed, 3u);
  EXPECT_EQ(o.truncation_strategy, "delete");
  auto s = swift::args::parse_args("sft", {"--model", "m", "--dataset", "a.jsonl"});
  DataOptions so = swift::train::data_options_from_args(*s, false);
  EXPECT_EQ(so.encode.loss_scale, "default");
  EXPECT_TRUE(so.use_chat_template);
  EXPECT_EQ(so.max_length, 0);
  auto p2 = swift::args::parse_args("pt", {"--model", "m", "--loss_scale", "default"});
  EXPECT_EQ(swift::train::data_options_from_args(*p2, true).encode.loss_scale, "default");
}

// sum over packs k (1-based) of k * sum over positions j (1-based) of j * (index + 1), mod 2^64.
std::uint64_t pack_checksum(const std::vector<std::vector<std::size_t>>& packs) {
  std::uint64_t h = 0;
  for (std::size_t k = 0; k < packs.size(); ++k) {
    std::uint64_t inner = 0;
    for (std::size_t j = 0; j < packs[k].size(); ++j) inner += (j + 1) * (packs[k][j] + 1);
    h += (k + 1) * inner;
  }
  return h;
}

using Packs = std::vector<std::vector<std::size_t>>;

TEST(Packing, BinsEqualMsSwift) {
  using swift::train::pack_samples;
  EXPECT_EQ(pack_samples({5, 3, 8, 2, 7, 1}, 10), (Packs{{2, 5}, {4, 3}, {0, 1}}));
  EXPECT_EQ(pack_samples({5, 3, 8, 2, 7, 1}, 10, "sequential"), (Packs{{0, 1}, {2, 3}, {4, 5}}));
  EXPECT_EQ(pack_samples({4, 4, 4, 4}, 8), (Packs{{0, 1}, {2, 3}}));
  EXPECT_EQ(pack_samples({12, 3, 9, 3, 1, 10, 2}, 10), (Packs{{0}, {5}, {2}, {1, 3, 6, 4}}));
  EXPECT_EQ(pack_samples({12, 3, 9, 3, 1, 10, 2}, 10, "sequential"),
            (Packs{{0}, {1}, {2}, {3, 4}, {5}, {6}}));
  EXPECT_EQ(pack_samples({6, 6, 6, 5, 5, 5, 1, 1}, 12), (Packs{{0, 1}, {2, 3, 7}, {4, 5, 6}}));
  EXPECT_EQ(pack_samples({6, 6, 6, 5, 5, 5, 1, 1}, 12, "sequential"),
            (Packs{{0, 1}, {2, 3}, {4, 5, 6, 7}}));
  // 2500 rows: three batches of 1000 with the last bin carried over; two packing processes.
  std::vector<std::int64_t> big;
  for (int i = 0; i < 2500; ++i) big.push_back((i * 37) % 101 + 1);
  auto b1 = pack_samples(big, 256);
  EXPECT_EQ(b1.size(), 499u);
  EXPECT_EQ(pack_checksum(b1), 6908658642u);
  EXPECT_EQ(b1.front(), (std::vector<std::size_t>{30, 131, 228}));
  auto s1 = pack_samples(big, 256, "sequential");
  EXPECT_EQ(s1.size(), 582u);
  EXPECT_EQ(pack_checksum(s1), 3283954533u);
  EXPECT_EQ(s1.back(), (std::vector<std::size_t>{2497, 2498, 2499}));
  auto b2 = pack_samples(big, 256, "binpack", 2);
  EXPECT_EQ(b2.size(), 500u);
  EXPECT_EQ(pack_checksum(b2), 5521976745u);
  EXPECT_EQ(b2.back().size(), 33u);
  EXPECT_EQ(b2.back().front(), 1758u);
  EXPECT_EQ(b2.back().back(), 2424u);
}

TEST(PrepareData, PacksTrainAndVal) {
  Files f;
  auto t = chatml();
  DataOptions o = base_options({f.a, f.b}, 0.2, true, 42);
  o.packing = true;
  swift::testing::expect_error([&] { swift::train::prepare_data(o, t, ""); },
                               {"--packing needs --max_length"});
  o.max_length = 100;
  auto d = swift::train::prepare_data(o, t, "");
  std::vector<std::int64_t> len;
  for (const auto& s : d.train) len.push_back(static_cast<std::int64_t>(s.input_ids.size()));
  EXPECT_EQ(d.train_packs, swift::train::pack_samples(len, 100));
  ASSERT_FALSE(d.val_packs.empty());
  std::vector<std::int64_t> packed;
  std::size_t covered = 0;
  for (const auto& p : d.train_packs) {
    std::int64_t sum = 0;
    for (auto i : p) sum += len[i];
    EXPECT_LE(sum, 100);
    packed.push_back(sum);
    covered += p.size();
  }
  EXPECT_EQ(covered, d.train.size());
  // ms-swift's statistics are over packed rows when packing.
  EXPECT_EQ(d.train_length_stat, swift::train::length_stats(packed).text);
  o.packing_length = 60;
  EXPECT_EQ(swift::train::prepare_data(o, t, "").train_packs, swift::train::pack_samples(len, 60));
}

TEST(EpochBatches, EqualBatchSamplerShard) {
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(swift::train::torch_randperm(10, 42), (V{2, 6, 1, 8, 4, 5, 0, 9, 3, 7}));
  EXPECT_EQ(swift::train::torch_randperm(10, 43), (V{8, 4, 9, 0, 5, 1, 6, 7, 2, 3}));
  EXPECT_EQ(swift::train::torch_randperm(7, 0), (V{4, 0, 5, 3, 2, 6, 1}));
  auto big = swift::train::torch_randperm(1000, 42);
  EXPECT_EQ(V(big.begin(), big.begin() + 12),
            (V{542, 618, 816, 68, 94, 215, 60, 585, 942, 165, 968, 829}));
  std::int64_t h = 0;
  for (std::size_t i = 0; i < big.size(); ++i) h += static_cast<std::int64_t>(i + 1) * big[i];
  EXPECT_EQ(h, 251382058);
  EXPECT_EQ(swift::train::epoch_batches(10, 3, true, false, 42, 0),
            (Packs{{2, 6, 1}, {8, 4, 5}, {0, 9, 3}, {7}}));
  EXPECT_EQ(swift::train::epoch_batches(10, 3, true, false, 42, 1),
            (Packs{{8, 4, 9}, {0, 5, 1}, {6, 7, 2}, {3}}));
  EXPECT_EQ(swift::train::epoch_batches(10, 3, true, true, 42, 0),
            (Packs{{2, 6, 1}, {8, 4, 5}, {0, 9, 3}}));
  EXPECT_EQ(swift::train::epoch_batches(5, 2, false, false, 42, 3), (Packs{{0, 1}, {2, 3}, {4}}));
}

TEST(Collate, FlatPackedBatch) {
  Sample a{{10, 11, 12}, {-100, 11, 12}, {}};
  Sample b{{20, 21, 22, 23}, {-100, -100, 22, -100}, {}};
  Batch x = swift::train::collate({&a, &b});
  EXPECT_EQ(x.input_ids, (std::vector<std::int64_t>{10, 11, 12, 20, 21, 22, 23}));
  EXPECT_EQ(x.position_ids, (std::vector<std::int64_t>{0, 1, 2, 0, 1, 2, 3}));
  EXPECT_EQ(x.labels, (std::vector<std::int64_t>{-100, 11, 12, -100, -100, 22, -100}));
  EXPECT_EQ(x.cu_seqlens, (std::vector<std::int64_t>{0, 3, 7}));
  EXPECT_TRUE(x.loss_scale.empty());
  // Shifted: a predicts 11, 12 (2); b predicts 22 (1); the label 20 of b's first position is
  // never counted across the sample boundary.
  EXPECT_EQ(x.label_tokens, 3);
  Sample c{{30, 31}, {-100, 31}, {0.f, 2.5f}};
  Batch y = swift::train::collate({&a, &c});
  EXPECT_EQ(y.loss_scale, (std::vector<float>{0.f, 1.f, 1.f, 0.f, 2.5f}));
  EXPECT_EQ(y.label_tokens, 3);
  EXPECT_EQ(y.cu_seqlens, (std::vector<std::int64_t>{0, 3, 5}));
}

TEST(LengthStats, EqualsStatArray) {
  EXPECT_EQ(swift::train::length_stats({3, 5, 10}).text,
            "6.000000±2.943920, min=3.000000, max=10.000000, size=3");
  EXPECT_EQ(swift::train::length_stats({7}).text,
            "7.000000±0.000000, min=7.000000, max=7.000000, size=1");
}

}  // namespace

// swift_export: LoRA/DoRA merge into a Hugging Face folder (logits against base + adapter and
// the PEFT merged goldens, sharding, exist_ok, atomicity) and the built-in random model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <set>

#include <unistd.h>

#include "common/test_assets.h"
#include "core/error.h"
#include "core/fs.h"
#include "export/hf_writer.h"
#include "export/merge.h"
#include "export/random_model.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "tuners/lora.h"

namespace {

namespace stdfs = std::filesystem;
using swift::exporter::merge_lora;
using swift::exporter::MergeOptions;

const std::string kHf = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/";

// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (stdfs::temp_directory_path() /
             ("swift_export_" + std::to_string(::getpid()) + "_" + info->name()))
                .string();
    stdfs::remove_all(path_);
    stdfs::create_directories(path_);
  }
  ~TempDir() { stdfs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

at::Tensor golden(const std::string& file, const std::string& name) {
  swift::io::SafetensorsFile f(file);
  const auto* info = f.find(name);
  return info ? swift::io::to_tensor(f, *info) : at::Tensor();
}

at::Tensor logits_of(swift::model::CausalLM& lm,
                     const at::Tensor& ids,
                     swift::nn::AdapterHook* adapter = nullptr) {
  torch::NoGradGuard ng;
  swift::model::ForwardContext ctx;
  ctx.adapters = adapter;
  return lm.forward(swift::model::pack_rows(ids), ctx).reshape({ids.size(0), ids.size(1), -1});
}

double max_err(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().max().item<double>();
}

// Merges <arch>/<adapter> and checks the reloaded folder against base + adapter (same code,
// so tight) and against PEFT's merged_logits golden (transformers' numerics, 1e-4).
void check_merge(const std::string& arch,
                 const std::string& adapter,
                 const std::string& golden_file) {
  TempDir tmp;
  const std::string base = kHf + arch, ad = base + "/" + adapter, out = tmp / "merged";
  auto r = merge_lora(base, ad, out);
  EXPECT_EQ(r.num_shards, 1);
  ASSERT_TRUE(swift::fs::is_file(out + "/model.safetensors"));
  for (const char* f : {"config.json", "generation_config.json", "args.json"})
    EXPECT_TRUE(swift::fs::is_file(out + "/" + f)) << f;

  auto ids = golden(base + "/golden.safetensors", "input_ids");
  ASSERT_TRUE(ids.defined());
  auto lm = swift::model::load_causal_lm(base);
  auto hook = swift::tuners::LoraAdapter::load(ad, *lm);
  auto expected = logits_of(*lm, ids, hook.get());
  auto merged = swift::model::load_causal_lm(out);
  auto got = logits_of(*merged, ids);
  // W x + B (A x) and (W + B A) x round differently in float32: 1e-5 of the largest logit.
  const double tol = 1e-5 * std::max(1.0, expected.abs().max().item<double>());
  EXPECT_LT(max_err(got, expected), tol) << arch << "/" << adapter;
  auto ref = golden(base + "/" + golden_file, "merged_logits");
  if (ref.defined()) {
    EXPECT_LT(max_err(got, ref), 1e-4) << arch << "/" << adapter << " vs PEFT merged_logits";
  }
  // Same on-disk names as the base checkpoint (a tied lm_head is not written).
  swift::io::SafetensorsModel a(base), b(out);
  EXPECT_EQ(a.names(), b.names());
  // Nothing but the output folder is left in the parent.
  int entries = 0;
  for (const auto& e : stdfs::directory_iterator(tmp.path())) entries += e.exists() ? 1 : 0;
  EXPECT_EQ(entries, 1);
}

TEST(MergeLora, Qwen3LoraMatchesAdapterAndPeft) {
  check_merge("qwen3", "adapter", "golden_lora.safetensors");
}
TEST(MergeLora, LlamaLoraMatchesAdapterAndPeft) {
  check_merge("llama", "adapter", "golden_lora.safetensors");
}
TEST(MergeLora, LlamaDoraMatchesAdapterAndPeft) {
  check_merge("llama", "dora", "golden_dora.safetensors");
}

// Every architecture fixture with an adapter (MoE expert targets included): the merged folder
// holds exactly the base checkpoint's tensor names and gives base + adapter logits.
TEST(MergeLora, EveryFixtureArchitecture) {
  int merged = 0;
  for (const auto& e : stdfs::directory_iterator(kHf)) {
    const std::string base = e.path().string();
    if (!swift::fs::is_file(base + "/adapter/adapter_config.json")) continue;
    SCOPED_TRACE(base);
    TempDir tmp;
    ASSERT_NO_THROW(merge_lora(base, base + "/adapter", tmp / "m"));
    swift::io::SafetensorsModel a(base), b(tmp / "m");
    EXPECT_EQ(a.names(), b.names());
    auto ids = golden(base + "/golden.safetensors", "input_ids");
    auto lm = swift::model::load_causal_lm(base);
    auto hook = swift::tuners::LoraAdapter::load(base + "/adapter", *lm);
    auto expected = logits_of(*lm, ids, hook.get());
    auto got = logits_of(*swift::model::load_causal_lm(tmp / "m"), ids);
    const double tol = 1e-5 * std::max(1.0, expected.abs().max().item<double>());
    EXPECT_LT(max_err(got, expected), tol);
    ++merged;
  }
  EXPECT_GE(merged, 10);
}

// modules_to_save copies (lm_head of an untied model, embed_tokens of a tied one) replace the
// base tensors in the merged folder.
TEST(MergeLora, ModulesToSave) {
  struct Case {
    const char* arch;
    const char* module;
    const char* param;
  };
  for (const Case& c : {Case{"llama", "lm_head", "lm_head.weight"},
                        Case{"qwen3", "embed_tokens", "model.embed_tokens.weight"}}) {
    SCOPED_TRACE(c.arch);
    TempDir tmp;
    const std::string base = kHf + c.arch, ad = tmp / "ckpt";
    stdfs::create_directories(ad);
    auto cfg = nlohmann::json::parse(swift::fs::read_file(base + "/adapter/adapter_config.json"));
    cfg["modules_to_save"] = {c.module};
    swift::fs::write_file_atomic(ad + "/adapter_config.json", cfg.dump(2));
    swift::io::SafetensorsFile st(base + "/adapter/adapter_model.safetensors");
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& t : st.tensors()) tensors.emplace_back(t.name, swift::io::to_tensor(st, t));
    auto lm = swift::model::load_causal_lm(base);
    auto copy = lm->parameters().at(c.param) * 1.5;
    tensors.emplace_back(std::string("base_model.model.") + c.param, copy);
    swift::io::save_tensors(ad + "/adapter_model.safetensors", tensors);

    auto hook = swift::tuners::LoraAdapter::load(ad, *lm);
    auto ids = golden(base + "/golden.safetensors", "input_ids");
    auto expected = logits_of(*lm, ids, hook.get());
    auto r = merge_lora(base, ad, tmp / "m");
    EXPECT_FALSE(r.untied);
    auto merged = swift::model::load_causal_lm(tmp / "m");
    EXPECT_TRUE(torch::equal(merged->parameters().at(c.param), copy));
    const double tol = 1e-5 * std::max(1.0, expected.abs().max().item<double>());
    EXPECT_LT(max_err(logits_of(*merged, ids), expected), tol);
  }
}

// The output dtype follows config.json's torch_dtype; --torch_dtype overrides it.
TEST(MergeLora, WritesTheConfigDtype) {
  TempDir tmp;
  const std::string base = tmp / "base";
  stdfs::create_directories(base);
  for (const char* f : {"model.safetensors", "generation_config.json"})
    stdfs::copy_file(kHf + "qwen3/" + f, base + "/" + f);
  auto cfg = nlohmann::json::parse(swift::fs::read_file(kHf + "qwen3/config.json"));
  cfg["torch_dtype"] = "bfloat16";
  swift::fs::write_file_atomic(base + "/config.json", cfg.dump(2));
  auto r = merge_lora(base, kHf + "qwen3/adapter", tmp / "bf16");
  EXPECT_EQ(r.dtype, "bfloat16");
  swift::io::SafetensorsFile bf(tmp / "bf16/model.safetensors");
  for (const auto& t : bf.tensors()) EXPECT_EQ(t.dtype, swift::io::DType::kBF16) << t.name;
  auto out_cfg = nlohmann::json::parse(swift::fs::read_file(tmp / "bf16/config.json"));
  EXPECT_EQ(out_cfg["torch_dtype"], "bfloat16");
  MergeOptions o;
  o.torch_dtype = "float16";
  merge_lora(base, kHf + "qwen3/adapter", tmp / "fp16", o);
  swift::io::SafetensorsFile h(tmp / "fp16/model.safetensors");
  EXPECT_EQ(h.tensors().front().dtype, swift::io::DType::kF16);
  EXPECT_NO_THROW(swift::model::load_causal_lm(tmp / "fp16"));
}

TEST(MergeLora, ShardsCoverEveryTensorAndReloadIdentically) {
  TempDir tmp;
  const std::string base = kHf + "qwen3", ad = base + "/adapter";
  merge_lora(base, ad, tmp / "one");
  MergeOptions o;
  o.max_shard_size = "20KB";
  auto r = merge_lora(base, ad, tmp / "sharded", o);
  EXPECT_GT(r.num_shards, 1);
  const std::string dir = tmp / "sharded";
  EXPECT_FALSE(swift::fs::is_file(dir + "/model.safetensors"));
  auto index = nlohmann::json::parse(swift::fs::read_file(dir + "/model.safetensors.index.json"));
  const auto& wm = index.at("weight_map");
  std::set<std::string> shard_files;
  std::uint64_t total = 0;
  std::size_t listed = 0;
  for (auto it = wm.begin(); it != wm.end(); ++it) {
    const std::string file = it.value().get<std::string>();
    shard_files.insert(file);
    swift::io::SafetensorsFile shard(dir + "/" + file);
    const auto* info = shard.find(it.key());
    ASSERT_NE(info, nullptr) << it.key() << " not in " << file;
    total += info->nbytes();
    ++listed;
  }
  EXPECT_EQ(static_cast<std::int64_t>(shard_files.size()), r.num_shards);
  EXPECT_EQ(*shard_files.begin(),
            "model-00001-of-" + fmt::format("{:05d}", r.num_shards) + ".safetensors");
  EXPECT_EQ(index.at("metadata").at("total_size").get<std::uint64_t>(), total);
  // Every tensor of every shard is in the index.
  std::size_t in_shards = 0;
  for (const auto& f : shard_files)
    in_shards += swift::io::SafetensorsFile(dir + "/" + f).tensors().size();
  EXPECT_EQ(in_shards, listed);
  swift::io::SafetensorsModel single(tmp / "one");
  EXPECT_EQ(single.names().size(), listed);

  auto ids = golden(base + "/golden.safetensors", "input_ids");
  auto a = swift::model::load_causal_lm(tmp / "one");
  auto b = swift::model::load_causal_lm(dir);
  EXPECT_EQ(max_err(logits_of(*a, ids), logits_of(*b, ids)), 0.0);
}

TEST(MergeLora, ExistingOutputNeedsExistOkAndStaysUntouched) {
  TempDir tmp;
  const std::string base = kHf + "qwen3", ad = base + "/adapter", out = tmp / "merged";
  stdfs::create_directories(out);
  swift::fs::write_file_atomic(out + "/keep.txt", "mine");
  try {
    merge_lora(base, ad, out);
    FAIL() << "expected an error";
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--exist_ok"), std::string::npos) << e.what();
  }
  EXPECT_EQ(swift::fs::read_file(out + "/keep.txt"), "mine");
  EXPECT_EQ(std::distance(stdfs::directory_iterator(out), stdfs::directory_iterator()), 1);

  MergeOptions o;
  o.exist_ok = true;
  merge_lora(base, ad, out, o);
  EXPECT_TRUE(swift::fs::is_file(out + "/model.safetensors"));
  EXPECT_NO_THROW(swift::model::load_causal_lm(out));
  // --exist_ok writes into the folder; what the merge did not write stays (it used to be deleted).
  EXPECT_EQ(swift::fs::read_file(out + "/keep.txt"), "mine");
}

TEST(MergeLora, FailedMergeLeavesNothing) {
  TempDir tmp;
  const std::string out = tmp / "merged";
  // A llama adapter does not fit the qwen3 base.
  EXPECT_THROW(merge_lora(kHf + "qwen3", kHf + "llama/adapter", out), swift::Error);
  EXPECT_FALSE(stdfs::exists(out));
  EXPECT_TRUE(stdfs::is_empty(tmp.path()));
  EXPECT_THROW(merge_lora(kHf + "qwen3", tmp / "no-such-adapter", out), swift::Error);
  MergeOptions bad;
  bad.max_shard_size = "5XB";
  EXPECT_THROW(merge_lora(kHf + "qwen3", kHf + "qwen3/adapter", out, bad), swift::Error);
  EXPECT_TRUE(stdfs::is_empty(tmp.path()));
}

TEST(MergeLora, RefusesToReplaceItsInputs) {
  MergeOptions o;
  o.exist_ok = true;
  EXPECT_THROW(merge_lora(kHf + "qwen3", kHf + "qwen3/adapter", kHf + "qwen3", o), swift::Error);
  EXPECT_TRUE(swift::fs::is_file(kHf + "qwen3/model.safetensors"));
}

TEST(MergeLora, BaseModelFromAdapterFolder) {
  // The fixture's base_model_name_or_path is "..", relative to the adapter folder.
  auto base = swift::exporter::adapter_base_model(kHf + "qwen3/adapter");
  ASSERT_TRUE(base.has_value());
  EXPECT_TRUE(stdfs::equivalent(*base, kHf + "qwen3"));
  TempDir tmp;
  stdfs::create_directories(tmp / "ckpt");
  swift::fs::write_file_atomic(tmp / "ckpt/args.json", R"({"model": "Qwen/Qwen3-0.6B"})");
  EXPECT_EQ(swift::exporter::adapter_base_model(tmp / "ckpt").value_or(""), "Qwen/Qwen3-0.6B");
  EXPECT_FALSE(swift::exporter::adapter_base_model(tmp.path()).has_value());
}

TEST(FileSize, ParsesLikeTransformers) {
  using swift::exporter::parse_file_size;
  EXPECT_EQ(parse_file_size("5GB"), 5000000000ull);
  EXPECT_EQ(parse_file_size("500MB"), 500000000ull);
  EXPECT_EQ(parse_file_size("2GiB"), 2ull << 30);
  EXPECT_EQ(parse_file_size("10KiB"), 10240ull);
  EXPECT_EQ(parse_file_size("100KB"), 100000ull);
  EXPECT_EQ(parse_file_size("8Gb"), 1000000000ull);  // lowercase b: bits
  EXPECT_EQ(parse_file_size("1024"), 1024ull);
  for (const char* bad : {"", "GB", "5 XB", "-1GB", "0", "1.5GB", "999999999999999GB"})
    EXPECT_THROW(parse_file_size(bad), swift::Error) << bad;
}

// ---- the built-in random model ----

std::string qwen3_tokenizer() {
  return swift::testing::tokenizer_asset_dir("qwen3");
}

TEST(RandomModel, TinyLoadsWithTheTokenizersVocabulary) {
  if (!swift::fs::is_file(qwen3_tokenizer() + "/tokenizer.json"))
    GTEST_SKIP() << "no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)";
  TempDir tmp;
  swift::exporter::RandomModelOptions o;
  o.tokenizer_dir = qwen3_tokenizer();
  o.output_dir = tmp / "tiny";
  auto r = swift::exporter::create_random_model(o);
  auto tok = swift::tok::Tokenizer::from_dir(qwen3_tokenizer());
  EXPECT_GE(r.vocab_size, static_cast<std::int64_t>(tok->vocab_size()));
  const std::int32_t im_end = tok->token_to_id("<|im_end|>");
  ASSERT_GE(im_end, 0);
  EXPECT_GT(r.vocab_size, im_end);

  auto lm = swift::model::load_causal_lm(o.output_dir);
  EXPECT_EQ(lm->config().vocab_size, r.vocab_size);
  EXPECT_EQ(lm->config().hidden_size, 64);
  EXPECT_EQ(lm->config().num_layers, 2);
  EXPECT_EQ(lm->config().num_heads, 4);
  EXPECT_EQ(lm->config().num_kv_heads, 2);
  EXPECT_EQ(lm->config().intermediate_size, 128);
  EXPECT_EQ(lm->architecture(), "Qwen3ForCausalLM");
  EXPECT_EQ(lm->config().get_int("eos_token_id", -1), im_end);
  auto gen = nlohmann::json::parse(swift::fs::read_file(o.output_dir + "/generation_config.json"));
  ASSERT_TRUE(gen["eos_token_id"].is_array());
  EXPECT_EQ(gen["eos_token_id"][0].get<int>(), im_end);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
    EXPECT_TRUE(swift::fs::is_file(o.output_dir + "/" + f)) << f;
  EXPECT_NO_THROW(swift::tok::Tokenizer::from_dir(o.output_dir));

  // Norms are 1, weights ~ N(0, 0.02), and the forward is finite.
  const auto& p = lm->parameters();
  EXPECT_TRUE(torch::equal(p.at("model.norm.weight"), torch::ones({64})));
  double std = p.at("model.embed_tokens.weight").std().item<double>();
  EXPECT_NEAR(std, 0.02, 0.002);
  auto ids = torch::tensor({im_end, 1, 2, 3}, torch::kInt64).view({1, 4});
  EXPECT_TRUE(torch::isfinite(logits_of(*lm, ids)).all().item<bool>());
}

TEST(RandomModel, SameSeedSameBytes) {
  if (!swift::fs::is_file(qwen3_tokenizer() + "/tokenizer.json"))
    GTEST_SKIP() << "no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)";
  TempDir tmp;
  swift::exporter::RandomModelOptions o;
  o.tokenizer_dir = qwen3_tokenizer();
  o.output_dir = tmp / "a";
  swift::exporter::create_random_model(o);
  o.output_dir = tmp / "b";
  swift::exporter::create_random_model(o);
  o.output_dir = tmp / "c";
  o.seed = 7;
  swift::exporter::create_random_model(o);
  const auto a = swift::fs::read_file(tmp / "a/model.safetensors");
  EXPECT_EQ(a, swift::fs::read_file(tmp / "b/model.safetensors"));
  EXPECT_EQ(swift::fs::read_file(tmp / "a/config.json"),
            swift::fs::read_file(tmp / "b/config.json"));
  EXPECT_NE(a, swift::fs::read_file(tmp / "c/model.safetensors"));
  // Existing folder: error unless exist_ok.
  EXPECT_THROW(swift::exporter::create_random_model(o), swift::Error);
  o.exist_ok = true;
  EXPECT_NO_THROW(swift::exporter::create_random_model(o));
}

TEST(RandomModel, OtherArchitecturesAndOverrides) {
  if (!swift::fs::is_file(qwen3_tokenizer() + "/tokenizer.json"))
    GTEST_SKIP() << "no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)";
  TempDir tmp;
  for (const char* type : {"qwen2", "llama"}) {
    swift::exporter::RandomModelOptions o;
    o.tokenizer_dir = qwen3_tokenizer();
    o.output_dir = tmp / type;
    o.model_type = type;
    o.tie_word_embeddings = false;
    o.num_hidden_layers = 1;
    o.torch_dtype = "bfloat16";
    o.vocab_multiple = 128;
    auto r = swift::exporter::create_random_model(o);
    EXPECT_EQ(r.vocab_size % 128, 0);
    auto lm = swift::model::load_causal_lm(o.output_dir);
    EXPECT_EQ(lm->config().num_layers, 1);
    EXPECT_FALSE(lm->config().tie_word_embeddings);
    EXPECT_TRUE(lm->parameters().count("lm_head.weight"));
    swift::io::SafetensorsFile f(o.output_dir + "/model.safetensors");
    EXPECT_EQ(f.tensors().front().dtype, swift::io::DType::kBF16);
    if (std::string(type) == "qwen2")
      EXPECT_TRUE(lm->parameters().count("model.layers.0.self_attn.q_proj.bias"));
  }
  swift::exporter::RandomModelOptions bad;
  bad.tokenizer_dir = qwen3_tokenizer();
  bad.output_dir = tmp / "bad";
  bad.preset = "huge";
  EXPECT_THROW(swift::exporter::create_random_model(bad), swift::Error);
  bad.preset = "tiny";
  bad.model_type = "no_such_arch";
  EXPECT_THROW(swift::exporter::create_random_model(bad), swift::Error);
  bad.model_type = "qwen3_moe";
  EXPECT_THROW(swift::exporter::create_random_model(bad), swift::Error);
  EXPECT_FALSE(stdfs::exists(tmp / "bad"));
}

TEST(RandomModel, MissingTokenizerIsAnError) {
  TempDir tmp;
  swift::exporter::RandomModelOptions o;
  o.tokenizer_dir = tmp / "none";
  o.output_dir = tmp / "out";
  EXPECT_THROW(swift::exporter::create_random_model(o), swift::Error);
  EXPECT_FALSE(stdfs::exists(tmp / "out"));
}

}  // namespace

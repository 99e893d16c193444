// config.json / generation_config.json / inspect_model_dir: the reference configs of
// fixtures/hf (copied to tests/data/io/configs), both rope spellings, and absurd values that must
// fail naming the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "io/hf_config.h"
#include "io/safetensors.h"
#include "io_test_util.h"

namespace swift::io {
namespace {

using Json = nlohmann::json;

std::string cfg_dir(const std::string& arch) {
  return std::string(SWIFT_SOURCE_DIR) + "/tests/data/io/configs/" + arch;
}

Json read_cfg(const std::string& arch) {
  return Json::parse(fs::read_file(cfg_dir(arch) + "/config.json"));
}

void expect_config_error(const Json& j, const std::string& phrase) {
  try {
    parse_hf_config(j, "config.json");
    ADD_FAILURE() << "accepted, expected \"" << phrase << "\"";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
  }
}

TEST(HfConfig, Llama) {
  HfConfig c = load_hf_config(cfg_dir("llama"));
  EXPECT_EQ(c.model_type, "llama");
  ASSERT_EQ(c.architectures.size(), 1u);
  EXPECT_EQ(c.architectures[0], "LlamaForCausalLM");
  EXPECT_EQ(c.vocab_size, 384);
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope.rope_type, "llama3");
  EXPECT_DOUBLE_EQ(c.rope.rope_theta, 500000.0);
  EXPECT_DOUBLE_EQ(c.rope.params.at("factor").get<double>(), 8.0);
  EXPECT_EQ(c.rope.params.at("original_max_position_embeddings").get<int>(), 64);
  EXPECT_FALSE(c.rope.params.contains("rope_type"));
  EXPECT_EQ(c.rope.rope_scaling(), c.raw["rope_scaling"]);
  EXPECT_TRUE(c.rope_per_layer_type.empty());
  EXPECT_EQ(c.raw["hidden_act"], "silu");
}

TEST(HfConfig, ExplicitHeadDimAndTied) {
  HfConfig c = load_hf_config(cfg_dir("qwen3"));
  EXPECT_EQ(c.head_dim, 32);  // not hidden / heads
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope.rope_type, "default");
  EXPECT_TRUE(c.rope.rope_scaling().is_null());
  HfConfig d = load_hf_config(cfg_dir("deepseek_v3"));
  EXPECT_EQ(d.num_key_value_heads, 4);
  EXPECT_DOUBLE_EQ(d.rope.rope_theta, 10000.0);
}

TEST(HfConfig, Yarn) {
  HfConfig c = load_hf_config(cfg_dir("gpt_oss"));
  EXPECT_EQ(c.rope.rope_type, "yarn");
  EXPECT_DOUBLE_EQ(c.rope.rope_theta, 150000.0);
  EXPECT_DOUBLE_EQ(c.rope.params.at("beta_fast").get<double>(), 32.0);
  EXPECT_EQ(c.rope.params.at("truncate"), false);
}

// gemma3: classic (rope_theta + rope_scaling for global layers, rope_local_base_freq for sliding
// layers) and the transformers 5 per-layer-type dict must normalise identically.
TEST(HfConfig, Gemma3BothRopeForms) {
  Json classic = read_cfg("gemma3_text");
  HfConfig a = parse_hf_config(classic, "classic");
  EXPECT_EQ(a.rope.rope_type, "linear");
  EXPECT_DOUBLE_EQ(a.rope.rope_theta, 1e6);
  ASSERT_EQ(a.rope_per_layer_type.count("sliding_attention"), 1u);
  EXPECT_EQ(a.rope_per_layer_type["sliding_attention"].rope_type, "default");
  EXPECT_DOUBLE_EQ(a.rope_per_layer_type["sliding_attention"].rope_theta, 10000.0);
  EXPECT_EQ(a.rope_per_layer_type["full_attention"].rope_type, "linear");

  Json v5 = classic;
  v5.erase("rope_theta");
  v5.erase("rope_scaling");
  v5.erase("rope_local_base_freq");
  v5["rope_parameters"] = {
      {"full_attention", {{"rope_type", "linear"}, {"factor", 8.0}, {"rope_theta", 1000000.0}}},
      {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 10000.0}}}};
  HfConfig b = parse_hf_config(v5, "v5");
  EXPECT_EQ(b.rope.rope_type, a.rope.rope_type);
  EXPECT_EQ(b.rope.rope_theta, a.rope.rope_theta);
  EXPECT_EQ(b.rope.params, a.rope.params);
  for (const char* lt : {"full_attention", "sliding_attention"}) {
    EXPECT_EQ(b.rope_per_layer_type[lt].rope_type, a.rope_per_layer_type[lt].rope_type) << lt;
    EXPECT_EQ(b.rope_per_layer_type[lt].rope_theta, a.rope_per_layer_type[lt].rope_theta) << lt;
    EXPECT_EQ(b.rope_per_layer_type[lt].params, a.rope_per_layer_type[lt].params) << lt;
  }
}

TEST(HfConfig, RopeSpellings) {
  Json j = read_cfg("llama");
  j.erase("rope_scaling");
  j["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};  // legacy key
  HfConfig c = parse_hf_config(j, "legacy");
  EXPECT_EQ(c.rope.rope_type, "linear");
  EXPECT_DOUBLE_EQ(c.rope.rope_theta, 500000.0);

  Json v5 = read_cfg("llama");
  Json rp = v5["rope_scaling"];
  rp["rope_theta"] = v5["rope_theta"];
  v5.erase("rope_scaling");
  v5.erase("rope_theta");
  v5["rope_parameters"] = rp;
  HfConfig d = parse_hf_config(v5, "v5");
  HfConfig e = load_hf_config(cfg_dir("llama"));
  EXPECT_EQ(d.rope.rope_type, e.rope.rope_type);
  EXPECT_EQ(d.rope.rope_theta, e.rope.rope_theta);
  EXPECT_EQ(d.rope.params, e.rope.params);
  EXPECT_EQ(d.rope.rope_scaling(), e.rope.rope_scaling());
}

TEST(HfConfig, NestedTextConfig) {
  Json inner = read_cfg("qwen3");
  Json outer = {{"model_type", "qwen3_vl"},
                {"architectures", {"Qwen3VLForConditionalGeneration"}},
                {"text_config", inner},
                {"vision_config", {{"depth", 2}}}};
  HfConfig c = parse_hf_config(outer, "nested");
  EXPECT_EQ(c.model_type, "qwen3_vl");
  EXPECT_EQ(c.hidden_size, 64);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_DOUBLE_EQ(c.rope.rope_theta, 1e6);
}

TEST(HfConfig, AbsurdValues) {
  Json base = read_cfg("llama");
  auto with = [&](const std::string& k, const Json& v) {
    Json j = base;
    j[k] = v;
    return j;
  };
  expect_config_error(with("hidden_size", 1ll << 40),
                      "\"hidden_size\" = 1099511627776 is out of range [1, 131072]");
  expect_config_error(with("num_hidden_layers", 1000000000),
                      "\"num_hidden_layers\" = 1000000000 is out of range [1, 1024]");
  expect_config_error(with("vocab_size", 0), "\"vocab_size\" = 0 is out of range");
  expect_config_error(with("vocab_size", -5), "\"vocab_size\" = -5 is out of range");
  expect_config_error(with("vocab_size", 18446744073709551615ull), "\"vocab_size\"");
  expect_config_error(with("hidden_size", "64"), "\"hidden_size\" must be an integer");
  expect_config_error(with("hidden_size", 64.5), "\"hidden_size\" must be an integer");
  expect_config_error(with("num_key_value_heads", 3),
                      "num_key_value_heads (3) must divide num_attention_heads (4)");
  expect_config_error(with("intermediate_size", 1ll << 30), "\"intermediate_size\"");
  expect_config_error(with("max_position_embeddings", -1), "\"max_position_embeddings\"");
  expect_config_error(with("head_dim", 100000), "\"head_dim\" = 100000 is out of range");
  expect_config_error(with("rms_norm_eps", 0), "\"rms_norm_eps\" = 0 is out of range");
  expect_config_error(with("rms_norm_eps", -1e-6), "\"rms_norm_eps\"");
  expect_config_error(with("torch_dtype", "float13"), "unknown torch_dtype \"float13\"");
  expect_config_error(with("rope_theta", -1.0), "rope_theta must be positive");
  expect_config_error(with("rope_scaling", "linear"), "rope_scaling must be an object");
  expect_config_error(with("rope_scaling", Json{{"rope_type", "linear"}, {"factor", -2}}),
                      "rope_scaling.factor");
  expect_config_error(with("tie_word_embeddings", "yes"), "\"tie_word_embeddings\"");
  expect_config_error(with("architectures", "LlamaForCausalLM"), "\"architectures\"");
  Json missing = base;
  missing.erase("hidden_size");
  expect_config_error(missing, "required key \"hidden_size\" is missing");
  expect_config_error(Json::array(), "is not a JSON object");
  // In range and integral floats are fine; transformers-5 "dtype" is read too.
  HfConfig ok = parse_hf_config(with("hidden_size", 64.0), "ok");
  EXPECT_EQ(ok.hidden_size, 64);
  EXPECT_EQ(parse_hf_config(with("dtype", "bfloat16"), "ok").torch_dtype, "bfloat16");
  EXPECT_EQ(parse_hf_config(with("torch_dtype", "torch.float16"), "ok").torch_dtype, "float16");
}

TEST(HfConfig, Files) {
  TempDir d;
  try {
    load_hf_config(d.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json not found"), std::string::npos) << e.what();
  }
  fs::write_file_atomic(d.file("config.json"), "{\"vocab_size\": 3");
  EXPECT_THROW(load_hf_config(d.path()), Error);
  fs::write_file_atomic(d.file("config.json"), std::string("{}\0{}", 5));
  EXPECT_THROW(load_hf_config(d.path()), Error);
  fs::write_file_atomic(d.file("config.json"), "[1]");
  try {
    load_hf_config(d.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a JSON object"), std::string::npos);
  }
}

TEST(GenerationConfig, LoadAndNormalise) {
  Json g = load_generation_config(cfg_dir("llama"));
  EXPECT_EQ(g["eos_token_id"], Json::array({2}));
  EXPECT_EQ(g["bos_token_id"], 1);
  EXPECT_EQ(g["do_sample"], false);
  TempDir d;
  EXPECT_EQ(load_generation_config(d.path()), Json::object());
  auto write = [&](const Json& j) {
    fs::write_file_atomic(d.file("generation_config.json"), j.dump());
  };
  write({{"eos_token_id", {1, 106}}, {"temperature", 0.7}, {"top_k", 20}, {"top_p", 0.8}});
  g = load_generation_config(d.path());
  EXPECT_EQ(g["eos_token_id"], Json::array({1, 106}));
  EXPECT_DOUBLE_EQ(g["temperature"].get<double>(), 0.7);
  EXPECT_EQ(g["top_k"], 20);
  auto reject = [&](const Json& j, const std::string& phrase) {
    write(j);
    try {
      load_generation_config(d.path());
      ADD_FAILURE() << phrase;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
  };
  reject({{"eos_token_id", "2"}}, "eos_token_id must be an integer or a list of integers");
  reject({{"eos_token_id", {1, "x"}}}, "eos_token_id must be an integer or a list");
  reject({{"top_p", 1.5}}, "\"top_p\" = 1.5 is out of range");
  reject({{"temperature", -1}}, "\"temperature\"");
  reject({{"top_k", -1}}, "\"top_k\" must be a non-negative integer");
  reject(Json::array(), "is not a JSON object");
}

void copy(const std::string& from, const std::string& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

TEST(Inspect, ModelDir) {
  TempDir d;
  copy(cfg_dir("llama") + "/config.json", d.file("config.json"));
  copy(cfg_dir("llama") + "/generation_config.json", d.file("generation_config.json"));
  const std::string st =
      std::string(SWIFT_SOURCE_DIR) + "/tests/data/io/llama_adapter_model.safetensors";
  copy(st, d.file("model.safetensors"));
  Json r = inspect_model_dir(d.path());
  EXPECT_EQ(r["architecture"], "LlamaForCausalLM");
  EXPECT_EQ(r["model_type"], "llama");
  EXPECT_EQ(r["num_tensors"], 28);
  EXPECT_EQ(r["dtypes"], Json({{"F32", 28}}));
  // Buffer size of the reference file: file size - 8 - header length (3480, see README).
  const std::uint64_t buffer = fs::file_size(st) - 8 - 3480;
  EXPECT_EQ(r["total_bytes"], buffer);
  EXPECT_EQ(r["num_parameters"], buffer / 4);
  EXPECT_EQ(r["files"], Json::array({"model.safetensors"}));
  EXPECT_EQ(r["sharded"], false);
  EXPECT_EQ(r["config"]["hidden_size"], 64);
  EXPECT_EQ(r["config"]["rope_type"], "llama3");
  EXPECT_EQ(r["generation_config"]["eos_token_id"], Json::array({2}));

  // Sharded, with an embedding that disagrees with the config.
  std::filesystem::remove(d.file("model.safetensors"));
  std::vector<float> emb(10 * 64, 0.5f);
  write_safetensors(
      d.file("s1.safetensors"),
      {{"model.embed_tokens.weight", DType::kF32, {10, 64}, emb.data(), emb.size() * 4}});
  write_safetensors(d.file("s2.safetensors"),
                    {{"lm_head.weight", DType::kF32, {10, 64}, emb.data(), emb.size() * 4}});
  fs::write_file_atomic(
      d.file("model.safetensors.index.json"),
      R"({"weight_map":{"model.embed_tokens.weight":"s1.safetensors","lm_head.weight":"s2.safetensors"}})");
  try {
    inspect_model_dir(d.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find(
            "model.embed_tokens.weight has shape [10, 64] but config.json says vocab_size 384"),
        std::string::npos)
        << e.what();
  }
  Json cfg = read_cfg("llama");
  cfg["vocab_size"] = 10;
  fs::write_file_atomic(d.file("config.json"), cfg.dump());
  r = inspect_model_dir(d.path());
  EXPECT_EQ(r["sharded"], true);
  ASSERT_EQ(r["files"].size(), 2u);
  std::set<std::string> files(r["files"].begin(), r["files"].end());
  EXPECT_EQ(files, (std::set<std::string>{"s1.safetensors", "s2.safetensors"}));
  EXPECT_EQ(r["num_parameters"], 2 * 640);
  // A broken shard fails the whole inspection with the shard named.
  fs::write_file_atomic(d.file("s2.safetensors"), "12345");
  try {
    inspect_model_dir(d.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s2.safetensors: file too small"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace swift::io

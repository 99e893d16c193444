// Loader validation: a checkpoint with a missing tensor, an unexpected tensor or a wrong shape is
// rejected with an error naming the tensor; unknown architectures are rejected by name.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "model/describe.h"
#include "model/model.h"

namespace {

namespace stdfs = std::filesystem;
const std::string kLlama = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/llama";

// A copy of the llama fixture whose weights are edited by `edit`.
std::string edited_copy(
    const std::string& name,
    const std::function<void(std::vector<std::pair<std::string, at::Tensor>>&)>& edit) {
  auto dir = stdfs::path(SWIFT_BINARY_DIR) / "test_model_tmp" / name;
  stdfs::remove_all(dir);
  stdfs::create_directories(dir);
  stdfs::copy_file(kLlama + "/config.json", dir / "config.json");
  swift::io::SafetensorsFile st(kLlama + "/model.safetensors");
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& t : st.tensors()) tensors.emplace_back(t.name, swift::io::to_tensor(st, t));
  edit(tensors);
  swift::io::save_tensors((dir / "model.safetensors").string(), tensors);
  return dir.string();
}

std::string load_error(const std::string& dir) {
  try {
    swift::model::load_causal_lm(dir);
  } catch (const swift::Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelLoader, LoadsFixture) {
  auto lm = swift::model::load_causal_lm(kLlama);
  EXPECT_EQ(lm->architecture(), "LlamaForCausalLM");
  std::int64_t n = 0;
  swift::io::SafetensorsFile st(kLlama + "/model.safetensors");
  for (const auto& t : st.tensors()) n += static_cast<std::int64_t>(t.numel());
  EXPECT_EQ(lm->num_parameters(), n);
}

TEST(ModelLoader, MissingTensorIsNamed) {
  auto dir = edited_copy("missing", [](auto& ts) {
    ts.erase(
        std::remove_if(ts.begin(), ts.end(),
                       [](auto& p) { return p.first == "model.layers.1.self_attn.k_proj.weight"; }),
        ts.end());
  });
  auto err = load_error(dir);
  EXPECT_NE(err.find("missing tensor model.layers.1.self_attn.k_proj.weight"), std::string::npos)
      << err;
}

TEST(ModelLoader, UnexpectedTensorIsNamed) {
  auto dir = edited_copy("unexpected", [](auto& ts) {
    ts.emplace_back("model.layers.0.self_attn.extra.weight", torch::zeros({4, 4}));
  });
  auto err = load_error(dir);
  EXPECT_NE(err.find("unexpected tensor model.layers.0.self_attn.extra.weight"), std::string::npos)
      << err;
}

TEST(ModelLoader, WrongShapeIsNamed) {
  auto dir = edited_copy("shape", [](auto& ts) {
    for (auto& p : ts)
      if (p.first == "model.layers.0.mlp.up_proj.weight")
        p.second = p.second.narrow(0, 0, 10).contiguous();
  });
  auto err = load_error(dir);
  EXPECT_NE(err.find("tensor model.layers.0.mlp.up_proj.weight has shape [10, 64]"),
            std::string::npos)
      << err;
}

TEST(ModelLoader, UnknownArchitectureIsNamed) {
  auto dir = stdfs::path(SWIFT_BINARY_DIR) / "test_model_tmp" / "unknown";
  stdfs::create_directories(dir);
  std::ofstream(dir / "config.json")
      << R"({"architectures":["NoSuchForCausalLM"],"model_type":"nosuch","vocab_size":8,)"
         R"("hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2})";
  auto err = load_error(dir.string());
  EXPECT_NE(err.find("NoSuchForCausalLM"), std::string::npos) << err;
}

}  // namespace

namespace {

TEST(Describe, ModelAndAdapter) {
  auto j = swift::model::describe_model(kLlama, {kLlama + "/adapter", kLlama + "/dora"});
  EXPECT_EQ(j["architecture"], "LlamaForCausalLM");
  auto lm = swift::model::load_causal_lm(kLlama);
  EXPECT_EQ(j["num_parameters"].get<std::int64_t>(), lm->num_parameters());
  ASSERT_EQ(j["adapters"].size(), 2u);
  EXPECT_EQ(j["adapters"][0]["type"], "LORA");
  EXPECT_EQ(j["adapters"][1]["type"], "DORA");
  EXPECT_EQ(j["adapters"][0]["r"], 4);
  EXPECT_GT(j["adapters"][0]["trainable_parameters"].get<std::int64_t>(), 0);
}

}  // namespace

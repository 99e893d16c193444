// Full fine-tuning's freeze rules against ms-swift 4.6's own freeze_parameters /
// activate_parameters on fixture models (tests/data/train/freeze_parameters.json), and the
// parameter order they count in (transformers' model.parameters(), from decay_parameters.json)
// recovered from our models' checkpoint-name lists for all fixture architectures.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "model/model.h"
#include "train/freeze.h"

namespace {

using swift::train::FreezeOptions;

nlohmann::json golden(const std::string& name) {
  std::ifstream f(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::json::parse(ss.str());
}

TEST(Freeze, EqualsMsSwift) {
  const auto g = golden("freeze_parameters.json");
  ASSERT_GE(g.size(), 4u);
  int cases = 0;
  for (auto it = g.begin(); it != g.end(); ++it) {
    const auto names = it.value()["parameters"].get<std::vector<std::string>>();
    const auto numels = it.value()["numels"].get<std::vector<std::int64_t>>();
    for (const auto& c : it.value()["cases"]) {
      const auto& s = c["setting"];
      FreezeOptions o;
      o.ratio = s.value("ratio", 0.0);
      o.freeze_prefixes = s.value("freeze", std::vector<std::string>{});
      if (s.contains("freeze_regex")) o.freeze_regex = s["freeze_regex"].get<std::string>();
      o.trainable_prefixes = s.value("trainable", std::vector<std::string>{});
      if (s.contains("trainable_regex"))
        o.trainable_regex = s["trainable_regex"].get<std::string>();
      const auto flags = swift::train::trainable_after_freeze(names, numels, o);
      std::vector<std::string> got;
      for (std::size_t i = 0; i < names.size(); ++i)
        if (flags[i]) got.push_back(names[i]);
      EXPECT_EQ(got, c["trainable"].get<std::vector<std::string>>()) << it.key() << " " << s;
      ++cases;
    }
  }
  EXPECT_GE(cases, 28);
}

TEST(Freeze, BadSettingsFailClearly) {
  const std::vector<std::string> names = {"model.embed_tokens.weight", "lm_head.weight"};
  const std::vector<std::int64_t> numels = {10, 10};
  FreezeOptions o;
  o.freeze_regex = "layers[";
  try {
    swift::train::trainable_after_freeze(names, numels, o);
    ADD_FAILURE() << "an invalid regex was accepted";
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--freeze_parameters_regex"), std::string::npos);
  }
  FreezeOptions r;
  r.ratio = 1.5;
  EXPECT_THROW(swift::train::trainable_after_freeze(names, numels, r), swift::Error);
  FreezeOptions t;
  t.trainable_prefixes = {"nothing."};
  std::string warning;
  swift::train::trainable_after_freeze(names, numels, t, &warning);
  EXPECT_NE(warning.find("matched no parameter"), std::string::npos);
}

// Our models list their checkpoint names in their own order; put in transformers' order they
// equal model.parameters() for every fixture architecture.
TEST(Freeze, HfParameterOrderOfEveryFixture) {
  const auto g = golden("decay_parameters.json");
  ASSERT_GE(g.size(), 10u);
  for (auto it = g.begin(); it != g.end(); ++it) {
    const std::string dir = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/" + it.key();
    const swift::model::ArchSpec* spec = nullptr;
    auto cfg = swift::model::resolve_config(dir, &spec);
    swift::model::CausalLM lm(cfg, *spec);
    std::vector<std::string> names;
    for (const auto& p : lm.expected_parameters())  // DeepSeek's correction bias is a buffer
      if (p.name.find("e_score_correction_bias") == std::string::npos) names.push_back(p.name);
    std::vector<std::string> ordered;
    for (auto i : swift::train::hf_parameter_order(names, spec->router_after_experts))
      ordered.push_back(names[i]);
    EXPECT_EQ(ordered, it.value()["parameters"].get<std::vector<std::string>>()) << it.key();
  }
}

}  // namespace

// The weight-decay rule against the HF Trainer's get_decay_parameter_names on every fixture
// architecture, bare and with its PEFT LoRA adapter (tests/data/train/decay_parameters.json).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "train/param_groups.h"

namespace {

TEST(ParamGroups, WeightDecayEqualsHfTrainer) {
  std::ifstream f(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/decay_parameters.json");
  std::stringstream ss;
  ss << f.rdbuf();
  const auto g = nlohmann::json::parse(ss.str());
  ASSERT_GE(g.size(), 10u);
  for (auto it = g.begin(); it != g.end(); ++it) {
    for (const auto& [params, decay] :
         {std::pair{"parameters", "decay"}, std::pair{"lora_parameters", "lora_decay"}}) {
      if (!it.value().contains(params)) continue;
      const auto want = it.value()[decay].get<std::set<std::string>>();
      for (const auto& p : it.value()[params])
        EXPECT_EQ(swift::train::weight_decay_applies(p.get<std::string>()),
                  want.count(p.get<std::string>()) == 1)
            << it.key() << ": " << p;
    }
  }
  // Name shapes the fixtures lack.
  EXPECT_FALSE(swift::train::weight_decay_applies("norm.weight"));
  EXPECT_FALSE(swift::train::weight_decay_applies("model.NORM"));
  EXPECT_TRUE(swift::train::weight_decay_applies("model.normal_proj.weight"));
  EXPECT_TRUE(swift::train::weight_decay_applies("model.enorm.weight"));
}

}  // namespace

// Learning-rate schedules against transformers' get_scheduler, step by step
// (tests/data/train/lr_schedules.json from tools/reference/make_lr_schedule_goldens.py), and
// warmup steps as ms-swift resolves --warmup_ratio / --warmup_steps.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "train/lr_schedule.h"

namespace {

using nlohmann::json;
using swift::train::make_lr_schedule;

json goldens() {
  std::ifstream f(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/lr_schedules.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str());
}

TEST(LrSchedule, EqualsTransformersEveryStep) {
  const json g = goldens();
  ASSERT_GE(g["cases"].size(), 10u);
  for (const auto& c : g["cases"]) {
    const auto s = make_lr_schedule(c["type"], c["warmup_steps"], c["total_steps"],
                                    c["learning_rate"], c["kwargs"]);
    const auto& lrs = c["lrs"];
    for (std::size_t step = 0; step < lrs.size(); ++step) {
      const double want = lrs[step].get<double>();
      const double got = s.lr(static_cast<std::int64_t>(step));
      EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::fabs(want)) + 1e-18)
          << c["type"] << " " << c["kwargs"].dump() << " step " << step;
    }
  }
}

TEST(LrSchedule, WarmupStepsAsMsSwiftResolvesThem) {
  const json g = goldens();  // a range-for over goldens()["warmup"] would outlive the temporary
  for (const auto& w : g["warmup"]) {
    EXPECT_EQ(swift::train::warmup_steps_for(w["total_steps"], w["warmup_steps"].get<double>(),
                                             w["warmup_ratio"].get<double>()),
              w["result"].get<std::int64_t>())
        << w.dump();
  }
  EXPECT_THROW(swift::train::warmup_steps_for(10, 2, 0.1), swift::Error);
  EXPECT_THROW(swift::train::warmup_steps_for(10, 0, 1.0), swift::Error);
}

TEST(LrSchedule, BadTypesAndKwargsAreNamed) {
  try {
    make_lr_schedule("cosin", 0, 10, 1e-4);
    FAIL();
  } catch (const swift::Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean cosine"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_lr_schedule("cosine_with_min_lr", 0, 10, 1e-4), swift::Error);
  EXPECT_THROW(make_lr_schedule("cosine", 0, 10, 1e-4, json{{"min_lr", 1e-6}}), swift::Error);
  EXPECT_THROW(make_lr_schedule("polynomial", 0, 10, 1e-4, json{{"lr_end", 1e-3}}), swift::Error);
  EXPECT_THROW(make_lr_schedule("cosine", 0, 10, -1), swift::Error);
  EXPECT_THROW(make_lr_schedule("warmup_stable_decay", 0, 10, 1e-4), swift::Error);
}

}  // namespace

// One encoded training sample: what the template makes of a dataset row (labels aligned with
// input_ids, -100 where nothing is learned; the loss shifts them) and its per-token loss weights.
#pragma once

#include <cstdint>
#include <vector>

namespace swift::train {

struct Sample {
  std::vector<std::int32_t> input_ids;
  std::vector<std::int32_t> labels;
  std::vector<float> loss_scale;  // empty: binary (every label token weighs 1)
  // Preference data (`swift rlhf`): KTO's desirability (1 desirable, 0 not, -1 none) and a
  // reward-model row's margin (0 when the row has none).
  std::int8_t label = -1;
  float margin = 0.f;
};

}  // namespace swift::train

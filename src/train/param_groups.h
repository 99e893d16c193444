// Which parameters get weight decay, as the HF Trainer decides (get_decay_parameter_names): none
// whose lower-cased name contains "bias", "layernorm" or "rmsnorm", or a "norm" / "_norm" name
// component; every other trainable parameter (LoRA A/B and DoRA magnitudes included) decays.
#pragma once

#include <string>
#include <string_view>

namespace swift::train {

bool weight_decay_applies(std::string_view parameter_name);

}  // namespace swift::train

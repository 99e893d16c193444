// The benches' default model: Qwen2.5-0.5B's shape (config.json of Qwen/Qwen2.5-0.5B-Instruct)
// with random weights built in memory (no download, no disk), and a `--key value` reader.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

#include <ATen/core/ScalarType.h>
#include <c10/core/Device.h>

namespace swift::model {
class CausalLM;
}

namespace swift::bench {

nlohmann::json qwen25_05b_config();

// Normal(0, 0.02) weights, norms at one, seeded with torch::manual_seed(0).
std::shared_ptr<model::CausalLM> random_model(const nlohmann::json& cfg_json,
                                              at::ScalarType dtype,
                                              at::Device device);

std::string arg_value(int argc, char** argv, const std::string& key, const std::string& def);

}  // namespace swift::bench

// Generic config.json parsing for decoder models; see config.h.
#include "model/config.h"
#include "io/hf_config.h"

#include <cmath>

#include "core/error.h"
#include "core/fs.h"
#include "nn/act.h"

namespace swift::model {
namespace {

using nlohmann::json;

double num_or(const json& d, const char* key, double def) {
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) return def;
  SWIFT_CHECK(it->is_number(), "[model] config key '{}' must be a number; fix config.json", key);
  return it->get<double>();
}

std::vector<double> num_list(const json& d, const char* key) {
  std::vector<double> out;
  auto it = d.find(key);
  if (it == d.end() || it->is_null()) return out;
  SWIFT_CHECK(it->is_array(), "[model] rope key '{}' must be a list of numbers", key);
  for (const auto& v : *it) {
    SWIFT_CHECK(v.is_number(), "[model] rope key '{}' must be a list of numbers", key);
    out.push_back(v.get<double>());
  }
  return out;
}

bool is_single_rope_dict(const json& d) {
  return d.contains("rope_type") || d.contains("type") || d.contains("rope_theta");
}

}  // namespace

bool ModelConfig::has(const std::string& key) const {
  return raw.contains(key) && !raw.at(key).is_null();
}

std::int64_t ModelConfig::get_int(const std::string& key, std::int64_t def) const {
  if (!has(key)) return def;
  const auto& v = raw.at(key);
  SWIFT_CHECK(v.is_number(), "[model] config key '{}' must be a number; fix config.json", key);
  return v.is_number_integer() ? v.get<std::int64_t>() : static_cast<std::int64_t>(v.get<double>());
}

double ModelConfig::get_double(const std::string& key, double def) const {
  if (!has(key)) return def;
  const auto& v = raw.at(key);
  SWIFT_CHECK(v.is_number(), "[model] config key '{}' must be a number; fix config.json", key);
  return v.get<double>();
}

bool ModelConfig::get_bool(const std::string& key, bool def) const {
  if (!has(key)) return def;
  const auto& v = raw.at(key);
  SWIFT_CHECK(v.is_boolean(), "[model] config key '{}' must be true/false; fix config.json", key);
  return v.get<bool>();
}

std::string ModelConfig::get_string(const std::string& key, const std::string& def) const {
  if (!has(key)) return def;
  const auto& v = raw.at(key);
  SWIFT_CHECK(v.is_string(), "[model] config key '{}' must be a string; fix config.json", key);
  return v.get<std::string>();
}

const RopeParams& ModelConfig::rope_for(const std::string& layer_type) const {
  auto it = rope.find(layer_type);
  if (it != rope.end()) return it->second;
  it = rope.find("full_attention");
  SWIFT_CHECK(it != rope.end(), "[model] no rope parameters for layer type '{}'", layer_type);
  return it->second;
}

bool ModelConfig::is_sliding(std::int64_t layer) const {
  return sliding_window > 0 && layer < static_cast<std::int64_t>(layer_types.size()) &&
         layer_types[layer] == "sliding_attention";
}

RopeParams parse_rope_dict(const json& d, RopeParams r) {
  SWIFT_CHECK(d.is_object(), "[model] rope parameters must be an object; fix config.json");
  if (d.contains("rope_type") && d["rope_type"].is_string()) {
    r.type = d["rope_type"].get<std::string>();
  } else if (d.contains("type") && d["type"].is_string()) {
    r.type = d["type"].get<std::string>();
  }
  r.theta = num_or(d, "rope_theta", r.theta);
  r.has_factor = d.contains("factor") && !d["factor"].is_null();
  r.factor = num_or(d, "factor", r.factor);
  r.partial_rotary_factor = num_or(d, "partial_rotary_factor", r.partial_rotary_factor);
  r.low_freq_factor = num_or(d, "low_freq_factor", r.low_freq_factor);
  r.high_freq_factor = num_or(d, "high_freq_factor", r.high_freq_factor);
  r.original_max_position_embeddings =
      static_cast<std::int64_t>(num_or(d, "original_max_position_embeddings",
                                       static_cast<double>(r.original_max_position_embeddings)));
  r.attention_factor = num_or(d, "attention_factor", r.attention_factor);
  r.beta_fast = num_or(d, "beta_fast", r.beta_fast);
  r.beta_slow = num_or(d, "beta_slow", r.beta_slow);
  r.mscale = num_or(d, "mscale", r.mscale);
  r.mscale_all_dim = num_or(d, "mscale_all_dim", r.mscale_all_dim);
  if (d.contains("truncate") && d["truncate"].is_boolean()) r.truncate = d["truncate"].get<bool>();
  auto sf = num_list(d, "short_factor");
  if (!sf.empty()) r.short_factor = sf;
  auto lf = num_list(d, "long_factor");
  if (!lf.empty()) r.long_factor = lf;
  static const char* kKnown[] = {"default", "linear", "dynamic", "llama3", "yarn", "longrope"};
  bool known = false;
  for (const char* k : kKnown) known = known || r.type == k;
  SWIFT_CHECK(known,
              "[model] unsupported rope type '{}'; supported: default, linear, dynamic, "
              "llama3, yarn, longrope",
              r.type);
  return r;
}

ModelConfig parse_model_config(const json& j) {
  SWIFT_CHECK(j.is_object(), "[model] config.json must hold a JSON object");
  ModelConfig c;
  c.raw = j;
  c.model_type = c.get_string("model_type", "");
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string()) {
    c.architecture = j["architectures"][0].get<std::string>();
  }
  c.vocab_size = c.get_int("vocab_size", 0);
  c.hidden_size = c.get_int("hidden_size", 0);
  c.intermediate_size = c.get_int("intermediate_size", 0);
  c.num_layers = c.get_int("num_hidden_layers", 0);
  c.num_heads = c.get_int("num_attention_heads", 0);
  c.num_kv_heads = c.get_int("num_key_value_heads", c.num_heads);
  SWIFT_CHECK(c.vocab_size > 0 && c.hidden_size > 0 && c.num_layers > 0 && c.num_heads > 0,
              "[model] config.json lacks vocab_size/hidden_size/num_hidden_layers/"
              "num_attention_heads; is this a causal LM folder?");
  SWIFT_CHECK(c.num_kv_heads > 0 && c.num_heads % c.num_kv_heads == 0,
              "[model] num_attention_heads {} is not a multiple of num_key_value_heads {}",
              c.num_heads, c.num_kv_heads);
  c.head_dim = c.get_int("head_dim", c.hidden_size / c.num_heads);
  if (c.head_dim <= 0) c.head_dim = c.hidden_size / c.num_heads;
  c.rope_head_dim = c.head_dim;
  c.max_position_embeddings = c.get_int("max_position_embeddings", 2048);
  c.rms_norm_eps = c.get_double("rms_norm_eps", 1e-6);
  c.tie_word_embeddings = c.get_bool("tie_word_embeddings", false);
  c.attention_bias = c.get_bool("attention_bias", false);
  c.mlp_bias = c.get_bool("mlp_bias", false);
  c.hidden_act = c.get_string("hidden_act", c.get_string("hidden_activation", "silu"));
  SWIFT_CHECK(nn::parse_activation(c.hidden_act, &c.act),
              "[model] config.json hidden_act '{}' is not implemented (supported: {}); running it "
              "as another activation would give wrong outputs",
              c.hidden_act, nn::activation_names());
  c.sliding_window = c.get_int("sliding_window", 0);
  c.attn_softcap = c.get_double("attn_logit_softcapping", 0.0);
  c.final_softcap = c.get_double("final_logit_softcapping", 0.0);

  // Rope: classic rope_theta + rope_scaling (+ top-level partial_rotary_factor), or the newer
  // rope_parameters (one dict, or one dict per layer type).
  RopeParams base;
  base.theta = c.get_double("rope_theta", 10000.0);
  base.partial_rotary_factor = c.get_double("partial_rotary_factor", 1.0);
  base.original_max_position_embeddings =
      c.get_int("original_max_position_embeddings", c.max_position_embeddings);
  if (c.has("rope_parameters")) {
    const json& rp = j["rope_parameters"];
    if (is_single_rope_dict(rp)) {
      c.rope["full_attention"] = parse_rope_dict(rp, base);
    } else {
      SWIFT_CHECK(rp.is_object(), "[model] rope_parameters must be an object");
      for (auto it = rp.begin(); it != rp.end(); ++it)
        c.rope[it.key()] = parse_rope_dict(*it, base);
    }
  } else if (c.has("rope_scaling")) {
    c.rope["full_attention"] = parse_rope_dict(j["rope_scaling"], base);
  } else {
    c.rope["full_attention"] = base;
  }
  if (!c.rope.count("full_attention")) c.rope["full_attention"] = c.rope.begin()->second;
  if (!c.rope.count("sliding_attention")) c.rope["sliding_attention"] = c.rope["full_attention"];

  // Layer types: explicit list, else all full; archs refine (sliding windows, patterns).
  if (c.has("layer_types")) {
    SWIFT_CHECK(j["layer_types"].is_array(), "[model] layer_types must be a list");
    for (const auto& t : j["layer_types"]) c.layer_types.push_back(t.get<std::string>());
    SWIFT_CHECK(static_cast<std::int64_t>(c.layer_types.size()) >= c.num_layers,
                "[model] layer_types has {} entries for {} layers", c.layer_types.size(),
                c.num_layers);
    c.layer_types.resize(c.num_layers);
  }
  c.layer_is_moe.assign(c.num_layers, false);
  c.attn_scale = 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  return c;
}

ModelConfig load_model_config(const std::string& dir) {
  std::string path = fs::join(dir, "config.json");
  fs::require_file(path, "[model]", "pass a Hugging Face model folder");
  return parse_model_config(io::read_json_file(path));
}

}  // namespace swift::model

// config.json / generation_config.json loading and validation. Ranges are generous bounds on
// what any released model uses; they exist so that a corrupt or hostile config fails here with
// the key named instead of as an out-of-memory when a model allocates hidden_size^2 floats.
#include "io/hf_config.h"
#include "core/strings.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/fs.h"

namespace swift::io {

namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kMaxConfigBytes = 16ull << 20;

struct Range {
  const char* key;
  std::int64_t lo, hi;
};

constexpr Range kVocab{"vocab_size", 1, 1ll << 24};
constexpr Range kHidden{"hidden_size", 1, 1ll << 17};
constexpr Range kLayers{"num_hidden_layers", 1, 1024};
constexpr Range kHeads{"num_attention_heads", 1, 1024};
constexpr Range kKvHeads{"num_key_value_heads", 1, 1024};
constexpr Range kInter{"intermediate_size", 1, 1ll << 20};
constexpr Range kMaxPos{"max_position_embeddings", 1, 1ll << 30};
constexpr Range kHeadDim{"head_dim", 1, 4096};

const char* kKnownDtypes[] = {"float32", "float16", "bfloat16",      "float64",    "float",
                              "half",    "auto",    "float8_e4m3fn", "float8_e5m2"};

// Integer value of `key` in `obj`, or `def` when absent (or null) and not required.
std::int64_t get_int(const Json& obj,
                     const Range& r,
                     const std::string& where,
                     bool required,
                     std::int64_t def = 0) {
  auto it = obj.find(r.key);
  if (it == obj.end() || it->is_null()) {
    SWIFT_CHECK(!required, "[io] {}: required key \"{}\" is missing", where, r.key);
    return def;
  }
  std::int64_t v = 0;
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() &&
        it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      v = INT64_MAX;
    else
      v = it->get<std::int64_t>();
  } else if (it->is_number_float()) {
    // Python writes 4096.0 sometimes; accept integral floats only.
    double d = it->get<double>();
    SWIFT_CHECK(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e18,
                "[io] {}: \"{}\" must be an integer (got {})", where, r.key, it->dump());
    v = static_cast<std::int64_t>(d);
  } else {
    SWIFT_FAIL("[io] {}: \"{}\" must be an integer (got {})", where, r.key, it->dump());
  }
  SWIFT_CHECK(v >= r.lo && v <= r.hi, "[io] {}: \"{}\" = {} is out of range [{}, {}]", where, r.key,
              v, r.lo, r.hi);
  return v;
}

double get_double(const Json& v, const std::string& where, const std::string& key) {
  SWIFT_CHECK(v.is_number(), "[io] {}: \"{}\" must be a number (got {})", where, key, v.dump());
  double d = v.get<double>();
  SWIFT_CHECK(std::isfinite(d), "[io] {}: \"{}\" must be finite", where, key);
  return d;
}

double checked_theta(const Json& v, const std::string& where, const std::string& key) {
  double t = get_double(v, where, key);
  SWIFT_CHECK(t > 0 && t < 1e12,
              "[io] {}: {} = {} is out of range; rope_theta must be positive "
              "and below 1e12",
              where, key, t);
  return t;
}

// One rope dict of either spelling. `theta` is the fallback base (classic top-level rope_theta).
RopeParams parse_rope_dict(const Json& d,
                           double theta,
                           const std::string& where,
                           const std::string& key) {
  SWIFT_CHECK(d.is_object(), "[io] {}: {} must be an object (got {})", where, key, d.dump());
  RopeParams p;
  p.rope_theta = theta;
  for (auto it = d.begin(); it != d.end(); ++it) {
    const std::string& k = it.key();
    if (k == "rope_type" || k == "type") {
      SWIFT_CHECK(it->is_string(), "[io] {}: {}.{} must be a string", where, key, k);
      // "rope_type" wins over the legacy "type" when both are present.
      if (k == "rope_type" || !d.contains("rope_type")) p.rope_type = it->get<std::string>();
    } else if (k == "rope_theta") {
      p.rope_theta = checked_theta(*it, where, key + ".rope_theta");
    } else {
      p.params[k] = *it;
    }
  }
  // transformers maps the legacy names onto these.
  if (p.rope_type == "mrope") p.rope_type = "default";
  if (p.params.contains("factor")) {
    double f = get_double(p.params["factor"], where, key + ".factor");
    SWIFT_CHECK(f > 0 && f < 1e6, "[io] {}: {}.factor = {} is out of range (0, 1e6)", where, key,
                f);
  }
  return p;
}

void normalise_rope(const Json& t, const std::string& where, HfConfig* c) {
  double theta = 10000.0;
  if (t.contains("rope_theta") && !t["rope_theta"].is_null())
    theta = checked_theta(t["rope_theta"], where, "rope_theta");
  c->rope = RopeParams();
  c->rope.rope_theta = theta;

  auto rp = t.find("rope_parameters");
  if (rp != t.end() && !rp->is_null()) {
    SWIFT_CHECK(rp->is_object(), "[io] {}: rope_parameters must be an object (got {})", where,
                rp->dump());
    bool per_layer = !rp->empty();
    for (auto it = rp->begin(); it != rp->end(); ++it)
      if (!it->is_object()) per_layer = false;
    if (per_layer) {
      for (auto it = rp->begin(); it != rp->end(); ++it)
        c->rope_per_layer_type[it.key()] =
            parse_rope_dict(*it, theta, where, "rope_parameters." + it.key());
      auto full = c->rope_per_layer_type.find("full_attention");
      c->rope = full != c->rope_per_layer_type.end() ? full->second
                                                     : c->rope_per_layer_type.begin()->second;
    } else {
      c->rope = parse_rope_dict(*rp, theta, where, "rope_parameters");
    }
    return;
  }
  auto rs = t.find("rope_scaling");
  if (rs != t.end() && !rs->is_null()) {
    SWIFT_CHECK(rs->is_object(), "[io] {}: rope_scaling must be an object (got {})", where,
                rs->dump());
    c->rope = parse_rope_dict(*rs, theta, where, "rope_scaling");
  }
  // gemma3 (classic): sliding-window layers use plain rope with their own base; rope_scaling
  // applies to the global layers only.
  auto local = t.find("rope_local_base_freq");
  if (local != t.end() && !local->is_null()) {
    RopeParams s;
    s.rope_theta = checked_theta(*local, where, "rope_local_base_freq");
    c->rope_per_layer_type["sliding_attention"] = s;
    c->rope_per_layer_type["full_attention"] = c->rope;
  }
}

}  // namespace

nlohmann::json RopeParams::rope_scaling() const {
  if (rope_type == "default" && params.empty()) return nullptr;
  Json j = params;
  j["rope_type"] = rope_type;
  return j;
}

nlohmann::json read_json_file(const std::string& path, std::uint64_t max_bytes) {
  fs::require_file(path, "[io]", "check the folder");
  std::uint64_t n = fs::file_size(path);
  SWIFT_CHECK(n <= max_bytes, "[io] {}: file too large ({} bytes, limit {})", path, n, max_bytes);
  std::string text = fs::read_file(path, max_bytes);
  str::check_json_text(text, "[io] " + path);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    SWIFT_FAIL("[io] {}: is not valid JSON ({}); fix or re-download the file", path,
               str::json_error_text(e.what()));
  }
}

HfConfig parse_hf_config(const nlohmann::json& raw, const std::string& where) {
  SWIFT_CHECK(raw.is_object(), "[io] {}: config is not a JSON object", where);
  HfConfig c;
  c.raw = raw;
  c.text = raw;
  auto tc = raw.find("text_config");
  if (tc != raw.end() && tc->is_object() && !raw.contains("hidden_size")) c.text = *tc;
  const Json& t = c.text;

  auto mt = raw.find("model_type");
  if (mt != raw.end() && !mt->is_null()) {
    SWIFT_CHECK(mt->is_string(), "[io] {}: \"model_type\" must be a string", where);
    c.model_type = mt->get<std::string>();
  }
  auto ar = raw.find("architectures");
  if (ar != raw.end() && !ar->is_null()) {
    SWIFT_CHECK(ar->is_array(), "[io] {}: \"architectures\" must be a list of strings", where);
    for (const auto& a : *ar) {
      SWIFT_CHECK(a.is_string(), "[io] {}: \"architectures\" must be a list of strings", where);
      c.architectures.push_back(a.get<std::string>());
    }
  }

  c.vocab_size = get_int(t, kVocab, where, true);
  c.hidden_size = get_int(t, kHidden, where, true);
  c.num_hidden_layers = get_int(t, kLayers, where, true);
  c.num_attention_heads = get_int(t, kHeads, where, true);
  c.num_key_value_heads = get_int(t, kKvHeads, where, false, c.num_attention_heads);
  SWIFT_CHECK(c.num_attention_heads % c.num_key_value_heads == 0,
              "[io] {}: num_key_value_heads ({}) must divide num_attention_heads ({})", where,
              c.num_key_value_heads, c.num_attention_heads);
  c.intermediate_size = get_int(t, kInter, where, false, 0);
  c.max_position_embeddings = get_int(t, kMaxPos, where, false, 0);
  c.head_dim = get_int(t, kHeadDim, where, false, 0);
  if (c.head_dim == 0) {
    SWIFT_CHECK(c.hidden_size % c.num_attention_heads == 0,
                "[io] {}: hidden_size ({}) is not divisible by num_attention_heads ({}) and no "
                "head_dim is given",
                where, c.hidden_size, c.num_attention_heads);
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }

  for (const char* k : {"rms_norm_eps", "layer_norm_eps", "layer_norm_epsilon"}) {
    auto it = t.find(k);
    if (it == t.end() || it->is_null()) continue;
    double e = get_double(*it, where, k);
    SWIFT_CHECK(e > 0 && e < 1, "[io] {}: \"{}\" = {} is out of range; it must be > 0 and < 1",
                where, k, e);
    c.rms_norm_eps = e;
    break;
  }

  for (const Json* src : {&t, &raw}) {
    for (const char* k : {"torch_dtype", "dtype"}) {
      auto it = src->find(k);
      if (it == src->end() || it->is_null() || !c.torch_dtype.empty()) continue;
      SWIFT_CHECK(it->is_string(), "[io] {}: \"{}\" must be a string", where, k);
      std::string d = it->get<std::string>();
      if (d.rfind("torch.", 0) == 0) d = d.substr(6);
      bool known = false;
      for (const char* kd : kKnownDtypes) known = known || d == kd;
      SWIFT_CHECK(known,
                  "[io] {}: unknown torch_dtype \"{}\"; expected float32, float16, bfloat16, "
                  "float64 or auto",
                  where, d);
      c.torch_dtype = d;
    }
  }

  for (const Json* src : {&t, &raw}) {
    auto it = src->find("tie_word_embeddings");
    if (it == src->end() || it->is_null()) continue;
    SWIFT_CHECK(it->is_boolean(), "[io] {}: \"tie_word_embeddings\" must be true or false", where);
    c.tie_word_embeddings = it->get<bool>();
    break;
  }

  normalise_rope(t, where, &c);
  return c;
}

HfConfig load_hf_config(const std::string& dir) {
  const std::string path = fs::join(dir, "config.json");
  fs::require_file(path, "[io]", "is " + dir + " a model folder?");
  return parse_hf_config(read_json_file(path, kMaxConfigBytes), path);
}

nlohmann::json load_generation_config(const std::string& dir) {
  const std::string path = fs::join(dir, "generation_config.json");
  if (!fs::exists(path)) return Json::object();
  Json g = read_json_file(path, kMaxConfigBytes);
  SWIFT_CHECK(g.is_object(), "[io] {}: generation config is not a JSON object", path);

  auto eos = g.find("eos_token_id");
  if (eos != g.end() && !eos->is_null()) {
    Json list = eos->is_array() ? *eos : Json::array({*eos});
    for (const auto& id : list)
      SWIFT_CHECK(id.is_number_integer() && id.get<std::int64_t>() >= 0,
                  "[io] {}: eos_token_id must be an integer or a list of integers (got {})", path,
                  eos->dump());
    *eos = list;
  }
  auto number = [&](const char* k, double lo, double hi, bool lo_open) {
    auto it = g.find(k);
    if (it == g.end() || it->is_null()) return;
    double v = get_double(*it, path, k);
    SWIFT_CHECK((lo_open ? v > lo : v >= lo) && v <= hi,
                "[io] {}: \"{}\" = {} is out of range {}{}, {}]", path, k, v, lo_open ? "(" : "[",
                lo, hi);
  };
  number("temperature", 0, 1e6, false);
  number("top_p", 0, 1, true);
  number("min_p", 0, 1, false);
  number("repetition_penalty", 0, 1e6, true);
  for (const char* k : {"top_k", "max_new_tokens", "max_length", "num_beams"}) {
    auto it = g.find(k);
    if (it == g.end() || it->is_null()) continue;
    SWIFT_CHECK(it->is_number_integer() && it->get<std::int64_t>() >= 0,
                "[io] {}: \"{}\" must be a non-negative integer (got {})", path, k, it->dump());
  }
  for (const char* k : {"bos_token_id", "pad_token_id"}) {
    auto it = g.find(k);
    if (it == g.end() || it->is_null()) continue;
    SWIFT_CHECK(it->is_number_integer() || it->is_array(),
                "[io] {}: \"{}\" must be an integer (got {})", path, k, it->dump());
  }
  auto ds = g.find("do_sample");
  if (ds != g.end() && !ds->is_null())
    SWIFT_CHECK(ds->is_boolean(), "[io] {}: \"do_sample\" must be true or false", path);
  return g;
}

}  // namespace swift::io

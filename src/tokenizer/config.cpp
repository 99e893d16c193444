// tokenizer_config.json parsing (see config.h). Tokens may be strings or {"content": ...}
// objects; chat_template may be a string or a list of {name, template}.
#include "tokenizer/config.h"
#include "core/strings.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "tokenizer/json_util.h"

namespace swift::tok {

using nlohmann::json;

namespace {

constexpr std::uint64_t kMaxConfigBytes = 64ull << 20;

json read_json(const std::string& path) {
  const auto size = fs::file_size(path);
  SWIFT_CHECK(size <= kMaxConfigBytes,
              "[tokenizer] {} is {} bytes (max {}); not a tokenizer config", path, size,
              kMaxConfigBytes);
  const std::string text = fs::read_file(path, kMaxConfigBytes);
  str::check_json_text(text, "[tokenizer] " + path);
  json j = json::parse(text, nullptr, false);
  SWIFT_CHECK(!j.is_discarded(), "[tokenizer] {} is not valid JSON; re-download it", path);
  SWIFT_CHECK(j.is_object(), "[tokenizer] {} must hold a JSON object", path);
  return j;
}

// A token given as "text" or {"content": "text", lstrip..}; nullopt when absent/null.
std::optional<AddedToken> token_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  AddedToken t;
  t.special = true;
  if (it->is_string()) {
    t.content = it->get<std::string>();
    return t;
  }
  SWIFT_CHECK(it->is_object(),
              "[tokenizer] tokenizer_config.json {} must be a string or {{\"content\": ...}}", key);
  t.content = json_util::get_string(*it, "content", key, "", true);
  t.lstrip = json_util::get_bool(*it, "lstrip", key, false);
  t.rstrip = json_util::get_bool(*it, "rstrip", key, false);
  t.single_word = json_util::get_bool(*it, "single_word", key, false);
  t.normalized = json_util::get_bool(*it, "normalized", key, false);
  return t;
}

}  // namespace

namespace {

ConfigDetails load_tokenizer_config_unchecked(const std::string& dir) {
  ConfigDetails d;
  json cfg = json::object();
  const std::string cfg_path = fs::join(dir, "tokenizer_config.json");
  if (fs::is_file(cfg_path)) cfg = read_json(cfg_path);
  // special_tokens_map.json fills tokens the config leaves out.
  const std::string map_path = fs::join(dir, "special_tokens_map.json");
  if (fs::is_file(map_path)) {
    json m = read_json(map_path);
    for (const char* k : {"bos_token", "eos_token", "pad_token", "unk_token"})
      if (!cfg.contains(k) && m.contains(k)) cfg[k] = m[k];
    if (!cfg.contains("additional_special_tokens") && m.contains("additional_special_tokens"))
      cfg["additional_special_tokens"] = m["additional_special_tokens"];
  }
  TokenizerConfig& c = d.config;
  std::string* slots[] = {&c.bos_token, &c.eos_token, &c.pad_token, &c.unk_token};
  const char* keys[] = {"bos_token", "eos_token", "pad_token", "unk_token"};
  for (int k = 0; k < 4; ++k) {
    if (auto t = token_of(cfg, keys[k])) {
      *slots[k] = t->content;
      d.special_tokens.push_back(*t);
    }
  }
  d.named_special_count = d.special_tokens.size();
  const char* w = "tokenizer_config.json";
  if (cfg.contains("add_bos_token") && !cfg["add_bos_token"].is_null())
    c.add_bos_token = json_util::get_bool(cfg, "add_bos_token", w, false);
  if (cfg.contains("add_eos_token") && !cfg["add_eos_token"].is_null())
    c.add_eos_token = json_util::get_bool(cfg, "add_eos_token", w, false);
  c.clean_up_tokenization_spaces =
      json_util::get_bool(cfg, "clean_up_tokenization_spaces", w, false);
  if (auto it = cfg.find("model_max_length"); it != cfg.end() && !it->is_null()) {
    SWIFT_CHECK(it->is_number(), "[tokenizer] {}.model_max_length must be a number", w);
    const double v = it->get<double>();
    // transformers writes "no limit" as 1e30; clamp instead of overflowing.
    c.model_max_length = v >= 9.2e18 ? std::numeric_limits<std::int64_t>::max()
                                     : static_cast<std::int64_t>(v < 0 ? 0 : v);
  }
  if (auto it = cfg.find("chat_template"); it != cfg.end() && !it->is_null()) {
    if (it->is_string()) {
      c.chat_template = it->get<std::string>();
    } else {
      SWIFT_CHECK(it->is_array(),
                  "[tokenizer] {}.chat_template must be a string or a list of {{name, template}}",
                  w);
      for (const auto& e : *it) {
        const std::string name = json_util::get_string(e, "name", "chat_template entry", "", true);
        const std::string src =
            json_util::get_string(e, "template", "chat_template entry", "", true);
        c.named_chat_templates.emplace_back(name, src);
        if (name == "default") c.chat_template = src;
      }
    }
  }
  d.tokenizer_class = json_util::get_string(cfg, "tokenizer_class", w);
  if (cfg.contains("legacy") && cfg["legacy"].is_boolean()) d.legacy = cfg["legacy"].get<bool>();
  if (cfg.contains("add_prefix_space") && cfg["add_prefix_space"].is_boolean())
    d.add_prefix_space = cfg["add_prefix_space"].get<bool>();
  if (cfg.contains("extra_ids") && cfg["extra_ids"].is_number_integer()) {
    const auto n = cfg["extra_ids"].get<std::int64_t>();
    SWIFT_CHECK(n >= 0 && n <= 100000, "[tokenizer] {}.extra_ids {} is out of range", w, n);
    d.extra_ids = static_cast<int>(n);
  }
  if (const json* extra = json_util::get_array(cfg, "additional_special_tokens", w)) {
    for (const auto& e : *extra) {
      AddedToken t;
      t.special = true;
      if (e.is_string()) {
        t.content = e.get<std::string>();
      } else {
        t.content = json_util::get_string(e, "content", "additional_special_tokens", "", true);
      }
      d.additional_special_tokens.push_back(t.content);
      d.special_tokens.push_back(t);
    }
  }
  if (auto it = cfg.find("extra_special_tokens"); it != cfg.end() && !it->is_null()) {
    SWIFT_CHECK(it->is_array() || it->is_object(),
                "[tokenizer] {}.extra_special_tokens must be a list or an object", w);
    d.extra_special_tokens.emplace();
    for (const auto& e : *it) {
      AddedToken t;
      t.special = true;
      if (e.is_string()) {
        t.content = e.get<std::string>();
      } else {
        t.content = json_util::get_string(e, "content", "extra_special_tokens", "", true);
      }
      d.extra_special_tokens->push_back(std::move(t));
    }
  }
  if (auto it = cfg.find("added_tokens_decoder"); it != cfg.end() && it->is_object()) {
    for (auto e = it->begin(); e != it->end(); ++e) {
      AddedToken t;
      std::size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(e.key(), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      SWIFT_CHECK(used == e.key().size() && id >= 0 && id < (1 << 24),
                  "[tokenizer] {}.added_tokens_decoder key \"{}\" is not a valid id", w, e.key());
      t.id = static_cast<std::int32_t>(id);
      const json& v = e.value();
      const char* aw = "added_tokens_decoder entry";
      t.content = json_util::get_string(v, "content", aw, "", true);
      t.special = json_util::get_bool(v, "special", aw, false);
      t.normalized = json_util::get_bool(v, "normalized", aw, !t.special);
      t.lstrip = json_util::get_bool(v, "lstrip", aw, false);
      t.rstrip = json_util::get_bool(v, "rstrip", aw, false);
      t.single_word = json_util::get_bool(v, "single_word", aw, false);
      d.added_tokens_decoder.push_back(std::move(t));
    }
  }
  return d;
}

}  // namespace

ConfigDetails load_tokenizer_config(const std::string& dir) {
  json_util::FileScope scope("tokenizer_config.json");
  try {
    return load_tokenizer_config_unchecked(dir);
  } catch (const json::exception& e) {
    SWIFT_FAIL(
        "[tokenizer] {}/tokenizer_config.json (or special_tokens_map.json) has a field of "
        "an unexpected type ({}); check the file",
        dir, str::json_error_text(e.what()));
  }
}

}  // namespace swift::tok

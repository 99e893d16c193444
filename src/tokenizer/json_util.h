// Type-checked accessors for tokenizer.json / tokenizer_config.json: every field read from an
// untrusted file goes through these, so a wrong type is a clear swift::Error, never a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/error.h"

namespace swift::tok::json_util {

using nlohmann::json;

inline const json& field(const json& j, const char* key, const char* where) {
  SWIFT_CHECK(j.is_object(), "[tokenizer] {} must be a JSON object; check tokenizer.json", where);
  auto it = j.find(key);
  SWIFT_CHECK(it != j.end(), "[tokenizer] {} has no \"{}\"; check tokenizer.json", where, key);
  return *it;
}

inline std::string get_string(const json& j,
                              const char* key,
                              const char* where,
                              const std::string& def = std::string(),
                              bool required = false) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    SWIFT_CHECK(!required, "[tokenizer] {} has no \"{}\"; check tokenizer.json", where, key);
    return def;
  }
  SWIFT_CHECK(it->is_string(), "[tokenizer] {}.{} must be a string, got {}; check tokenizer.json",
              where, key, it->type_name());
  return it->get<std::string>();
}

inline bool get_bool(const json& j, const char* key, const char* where, bool def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  SWIFT_CHECK(it->is_boolean(),
              "[tokenizer] {}.{} must be true/false, got {}; check tokenizer.json", where, key,
              it->type_name());
  return it->get<bool>();
}

inline std::int64_t get_int(const json& j, const char* key, const char* where, std::int64_t def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  SWIFT_CHECK(it->is_number_integer(),
              "[tokenizer] {}.{} must be an integer, got {}; check tokenizer.json", where, key,
              it->type_name());
  return it->get<std::int64_t>();
}

inline const json* get_array(const json& j, const char* key, const char* where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  SWIFT_CHECK(it->is_array(), "[tokenizer] {}.{} must be a list, got {}; check tokenizer.json",
              where, key, it->type_name());
  return &*it;
}

}  // namespace swift::tok::json_util

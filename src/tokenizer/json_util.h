// Type-checked accessors for tokenizer.json / tokenizer_config.json: every field read from an
// untrusted file goes through these, so a wrong type is a clear swift::Error, never a crash.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "core/error.h"

namespace swift::tok::json_util {

// The file the helpers below are reading, named in their messages ("check tokenizer.json");
// FileScope names another one while it lives (tokenizer_config.json).
inline const char*& current_file() {
  thread_local const char* file = "tokenizer.json";
  return file;
}
struct FileScope {
  explicit FileScope(const char* file) : prev(current_file()) { current_file() = file; }
  ~FileScope() { current_file() = prev; }
  FileScope(const FileScope&) = delete;
  FileScope& operator=(const FileScope&) = delete;
  const char* prev;
};

using nlohmann::json;

inline const json& field(const json& j, const char* key, const char* where) {
  SWIFT_CHECK(j.is_object(), "[tokenizer] {} must be a JSON object; check {}", where,
              current_file());
  auto it = j.find(key);
  SWIFT_CHECK(it != j.end(), "[tokenizer] {} has no \"{}\"; check {}", where, key, current_file());
  return *it;
}

inline std::string get_string(const json& j,
                              const char* key,
                              const char* where,
                              const std::string& def = std::string(),
                              bool required = false) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    SWIFT_CHECK(!required, "[tokenizer] {} has no \"{}\"; check {}", where, key, current_file());
    return def;
  }
  SWIFT_CHECK(it->is_string(), "[tokenizer] {}.{} must be a string, got {}; check {}", where, key,
              it->type_name(), current_file());
  return it->get<std::string>();
}

inline bool get_bool(const json& j, const char* key, const char* where, bool def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  SWIFT_CHECK(it->is_boolean(), "[tokenizer] {}.{} must be true/false, got {}; check {}", where,
              key, it->type_name(), current_file());
  return it->get<bool>();
}

inline std::int64_t get_int(const json& j, const char* key, const char* where, std::int64_t def) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return def;
  SWIFT_CHECK(it->is_number_integer(), "[tokenizer] {}.{} must be an integer, got {}; check {}",
              where, key, it->type_name(), current_file());
  return it->get<std::int64_t>();
}

inline const json* get_array(const json& j, const char* key, const char* where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  SWIFT_CHECK(it->is_array(), "[tokenizer] {}.{} must be a list, got {}; check {}", where, key,
              it->type_name(), current_file());
  return &*it;
}

}  // namespace swift::tok::json_util

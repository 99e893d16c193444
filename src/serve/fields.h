// Typed reads of request fields for the protocol parsers (internal to src/serve): each reader
// takes the object, the key and the field's path for messages ("messages[2].content"), treats
// an absent key and JSON null alike as "not given", and throws a RequestError (400,
// invalid_request_error, param = the path) naming the expected and the received type.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "serve/api_error.h"

namespace swift::serve::detail {

using ojson = nlohmann::ordered_json;

// "a string", "an integer", "an array", ... for "expected X, got Y".
std::string json_kind(const ojson& v);

[[noreturn]] void fail(const std::string& param, std::string message, std::string code = {});
[[noreturn]] void wrong_type(const std::string& param, std::string_view expected, const ojson& got);
// A 400 unless the whole request body is a JSON object.
void require_object_body(const ojson& body);

// "prefix.key", or "key" at the top level.
std::string path_of(std::string_view prefix, std::string_view key);

// The value under `key`, or nullptr when it is absent or null.
const ojson* field(const ojson& obj, std::string_view key);

std::optional<bool> get_bool(const ojson& obj, std::string_view key, const std::string& param);
std::optional<std::string> get_string(const ojson& obj,
                                      std::string_view key,
                                      const std::string& param);
// Any JSON number; ±inf (what a literal such as 1e999 parses to) is refused as out of range.
std::optional<double> get_number(const ojson& obj, std::string_view key, const std::string& param);
// An integer in int64 range. A number with no fraction (3.0) is taken, as OpenAI's own
// validation takes it; 2.5, 1e30 or 2^63 are not.
std::optional<std::int64_t> get_int(const ojson& obj,
                                    std::string_view key,
                                    const std::string& param);
std::int64_t as_int(const ojson& v, const std::string& param);

// A client's string for a message: at most `max` bytes (cut at a UTF-8 boundary, "..." added).
std::string clip(std::string_view s, std::size_t max = 64);

// Short, safe rendering of a number for messages (no exponent games, no "inf").
std::string show(double v);

}  // namespace swift::serve::detail

#include "serve/protocol.h"

namespace swift::serve::detail {

enum class Endpoint { kChat, kCompletions };

// The fields both endpoints share: model, stream, stream_options and the sampling settings
// (logprobs is a boolean + top_logprobs for chat, an integer for completions).
struct Common {
  ModelChoice model;
  Sampling sampling;
  bool stream = false;
  bool include_usage = false;
  std::string user;
};
Common read_common(const ojson& body,
                   Endpoint endpoint,
                   const ServedModels& served,
                   const Limits& limits);

// A token id in [0, vocab_size) (or [0, 2^31) when the vocabulary is unknown).
std::int32_t read_token_id(const ojson& v, const std::string& param, const Limits& limits);

}  // namespace swift::serve::detail

// The request half of the OpenAI protocol of `swift deploy`, torch-free: the bodies of
// POST /v1/chat/completions and POST /v1/completions parsed into plain, validated structs. Every
// violation (bad JSON, wrong types, out-of-range values, an unknown model) throws a RequestError
// whose ApiError the server sends as it is; unknown extra fields are ignored, as OpenAI and vLLM
// ignore them. Sampling fields the client leaves out stay unset so that the server's defaults
// (the CLI's generation arguments, generation_config.json) apply, as in ms-swift.
//
//   ServedModels served{"Qwen3-0.6B", {"lora1"}};
//   ChatRequest req = parse_chat_request(body, served, limits);  // throws RequestError
//   // ... tokenize req.messages_json() ...
//   check_context_length(prompt_tokens, req.sampling.max_tokens, limits, "messages");
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"

namespace swift::serve {

// What the server accepts; the defaults are OpenAI's documented limits, max_logprobs ms-swift's.
struct Limits {
  int max_n = 128;                 // choices per request
  int max_logprobs = 20;           // top_logprobs (chat) and logprobs (completions)
  std::int64_t max_model_len = 0;  // prompt + generation; 0: unknown (only max_tokens < 2^31)
  int max_stop = 4;                // stop strings
  int max_tools = 128;
  int max_prompts = 256;            // prompts in one /v1/completions batch
  std::int64_t vocab_size = 0;      // token ids in prompts and stop_token_ids; 0: not checked
  std::size_t max_json_depth = 64;  // nesting of the body, checked before it is parsed
  bool prompt_logprobs = false;     // whether echo + logprobs (logprobs of the prompt) is served
};

// The names a request's `model` may take: the served model and each named LoRA adapter.
struct ServedModels {
  std::string name;
  std::vector<std::string> adapters;
};

struct ModelChoice {
  std::string name;     // what responses report as `model`
  std::string adapter;  // "" = the base model
};

// "" (no `model` in the body) is the served model; an unknown name is a 404 model_not_found.
ModelChoice resolve_model(const std::string& requested, const ServedModels& served);

// Generation settings of either endpoint, field for field infer::GenerationRequest's; unset:
// default.
struct Sampling {
  std::optional<double> temperature;         // [0, 2]; 0 = greedy
  std::optional<double> top_p;               // (0, 1]
  std::optional<std::int64_t> top_k;         // -1 or 0 = off, else >= 1
  std::optional<double> min_p;               // [0, 1]
  std::optional<double> repetition_penalty;  // > 0 (HF's; 1 = off)
  std::optional<double> presence_penalty;    // [-2, 2]
  std::optional<double> frequency_penalty;   // [-2, 2]
  std::optional<std::uint64_t> seed;         // a negative seed is taken modulo 2^64
  std::optional<std::int64_t> max_tokens;    // max_completion_tokens, else max_tokens; >= 1
  std::vector<std::string> stop;             // stop strings (non-empty, at most max_stop)
  std::vector<std::int32_t> stop_token_ids;  // vLLM's extra: ids that end a choice
  int n = 1;
  bool logprobs = false;
  int top_logprobs = 0;             // alternatives per token (completions: its integer `logprobs`)
  bool ignore_eos = false;          // vLLM's extra
  bool skip_special_tokens = true;  // vLLM's extra
  bool include_stop_str_in_output = false;  // vLLM's extra
};

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text (an object given by the client is written as text)
};

struct ChatMessage {
  std::string role;                    // system | user | assistant | tool ("developer" = system)
  std::optional<std::string> content;  // text parts joined; unset only for tool-calling turns
  std::string name;                    // optional participant name
  std::vector<ToolCall> tool_calls;    // assistant turns
  std::string tool_call_id;            // tool turns (optional, as ms-swift rows have none)
};

struct ToolChoice {
  enum class Mode { kAuto, kNone, kRequired, kFunction };
  Mode mode = Mode::kAuto;
  std::string function;  // kFunction: the tool to call
};

struct ChatRequest {
  ModelChoice model;
  std::vector<ChatMessage> messages;
  Sampling sampling;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // The tool schemas as sent ([{type:function, function:{name, description?, parameters?}}],
  // key order kept for the template), or null when none.
  nlohmann::ordered_json tools;
  ToolChoice tool_choice;
  nlohmann::ordered_json chat_template_kwargs = nlohmann::ordered_json::object();
  std::string user;

  // The conversation as the chat formatter reads it: OpenAI messages with string content,
  // assistant `tool_calls` [{id, type:function, function:{name, arguments}}], `tool_call_id`.
  nlohmann::ordered_json messages_json() const;
};

struct Prompt {
  bool is_tokens = false;
  std::string text;                     // !is_tokens
  std::vector<std::int32_t> token_ids;  // is_tokens
};

struct CompletionRequest {
  ModelChoice model;
  std::vector<Prompt> prompts;  // a batch: choice i of prompt p is index p * n + i
  Sampling sampling;
  bool stream = false;
  bool include_usage = false;
  bool echo = false;
  std::string user;
};

// The body as a JSON object: empty, non-UTF-8, too deeply nested, non-JSON (byte offset named)
// or non-object bodies are 400s.
nlohmann::ordered_json parse_body(std::string_view body, const Limits& limits);

ChatRequest parse_chat_request(std::string_view body,
                               const ServedModels& served,
                               const Limits& limits);
// The same from an already parsed body (a distinct name: a string converts to a JSON value).
ChatRequest chat_request_from_json(const nlohmann::ordered_json& body,
                                   const ServedModels& served,
                                   const Limits& limits);
CompletionRequest parse_completion_request(std::string_view body,
                                           const ServedModels& served,
                                           const Limits& limits);
CompletionRequest completion_request_from_json(const nlohmann::ordered_json& body,
                                               const ServedModels& served,
                                               const Limits& limits);

// After tokenization: a prompt that leaves no room, or prompt + max_tokens past max_model_len,
// is a 400 context_length_exceeded (param `prompt_param`, or max_tokens when that is what
// overflows). No-op when limits.max_model_len is 0.
void check_context_length(std::int64_t prompt_tokens,
                          std::optional<std::int64_t> max_tokens,
                          const Limits& limits,
                          const std::string& prompt_param);

}  // namespace swift::serve

// The response half of the OpenAI protocol of `swift deploy`, torch-free: chat.completion and
// text_completion objects, their streamed chunks framed as server-sent events (`data: {...}\n\n`
// ... `data: [DONE]\n\n`), logprobs in each endpoint's shape, the /v1/models list and ids. Text
// that reaches a builder is made valid UTF-8 (a token may be a fragment of a character; its raw
// bytes stay in `bytes`), so every object here dumps without throwing.
//
//   ChatStream s(make_id("chatcmpl-"), now_unix(), req.model.name, req.include_usage);
//   write(s.role(0)); write(s.content(0, "Hel")); write(s.finish(0, FinishReason::kStop));
//   write(s.usage({12, 3})); write(sse_done());
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "serve/api_error.h"
#include "serve/protocol.h"

namespace swift::serve {

enum class FinishReason { kStop, kLength, kToolCalls };
const char* finish_reason_name(FinishReason r);  // "stop" | "length" | "tool_calls"
// The engine's reason ("stop", "length", "cancelled") as OpenAI's; parsed tool calls win.
FinishReason finish_reason_from(std::string_view engine_reason, bool has_tool_calls);

// prefix + 32 hex digits of fresh randomness: "chatcmpl-", "cmpl-", "call_".
std::string make_id(std::string_view prefix);
std::int64_t now_unix();

// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view s);
// Code points in `s`, the unit of a completion's text_offset (as Python's len()).
std::size_t utf8_length(std::string_view s);

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};
nlohmann::ordered_json usage_json(
    const Usage& u);  // {prompt_tokens, completion_tokens, total_tokens}

struct TopLogprob {
  std::string token;  // the token's text (raw bytes)
  double logprob = 0;
};
struct TokenLogprob {
  std::string token;
  double logprob = 0;
  std::vector<TopLogprob> top;  // best first
};

// Chat: {"content": [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}],
// "refusal": null}. -inf (a token the filters removed) is sent as -9999.0, as OpenAI does.
nlohmann::ordered_json chat_logprobs_json(const std::vector<TokenLogprob>& tokens);
// Completions: {tokens, token_logprobs, top_logprobs: [{token: logprob}], text_offset}, offsets
// counted in code points from `start_offset` (the echoed prompt's length, else 0).
nlohmann::ordered_json completion_logprobs_json(const std::vector<TokenLogprob>& tokens,
                                                std::size_t start_offset = 0);

struct ChatChoice {
  int index = 0;
  std::string content;
  std::string reasoning_content;     // thinking models; "" = not sent
  std::vector<ToolCall> tool_calls;  // parsed from the answer; content is null when only these
  FinishReason finish_reason = FinishReason::kStop;
  std::optional<std::vector<TokenLogprob>> logprobs;  // unset: "logprobs": null
};
// object "chat.completion".
nlohmann::ordered_json chat_completion_json(const std::string& id,
                                            std::int64_t created,
                                            const std::string& model,
                                            const std::vector<ChatChoice>& choices,
                                            const Usage& usage);

struct CompletionChoice {
  int index = 0;
  std::string text;  // the echoed prompt included when echo
  FinishReason finish_reason = FinishReason::kStop;
  std::optional<std::vector<TokenLogprob>> logprobs;
  std::size_t text_offset = 0;  // where the logprobs' text starts (code points)
};
// object "text_completion".
nlohmann::ordered_json completion_json(const std::string& id,
                                       std::int64_t created,
                                       const std::string& model,
                                       const std::vector<CompletionChoice>& choices,
                                       const Usage& usage);

// GET /v1/models: the served model, then one entry per adapter ("parent": the served model),
// each {id, object: "model", created, owned_by}.
nlohmann::ordered_json models_json(const ServedModels& served,
                                   std::int64_t created,
                                   const std::string& owned_by = "swift");

// Server-sent events.
std::string sse_data(const nlohmann::ordered_json& j);  // "data: <json>\n\n"
std::string sse_done();                                 // "data: [DONE]\n\n"
// A failure after the stream started (headers sent): the error object as one event; end the
// stream with sse_done() after it.
std::string sse_error(const ApiError& e);
// Dumps with invalid UTF-8 replaced (never throws on text).
std::string json_text(const nlohmann::ordered_json& j);

// The chat.completion.chunk events of one streamed request; each call returns one SSE event.
class ChatStream {
 public:
  ChatStream(std::string id, std::int64_t created, std::string model, bool include_usage);
  std::string role(int choice) const;  // first event of a choice: {role: assistant, content: ""}
  std::string content(int choice,
                      std::string_view text,
                      const std::vector<TokenLogprob>* logprobs = nullptr) const;
  std::string reasoning(int choice, std::string_view text) const;  // delta.reasoning_content
  // Each call gets its position in the answer (index), id, type and the whole arguments text.
  std::string tool_calls(int choice, const std::vector<ToolCall>& calls) const;
  std::string finish(int choice, FinishReason reason) const;  // empty delta + finish_reason
  // The usage event (choices: []) when include_usage, else "".
  std::string usage(const Usage& u) const;

 private:
  nlohmann::ordered_json chunk() const;
  std::string event(int choice,
                    nlohmann::ordered_json delta,
                    nlohmann::ordered_json logprobs,
                    nlohmann::ordered_json finish_reason) const;
  std::string id_, model_;
  std::int64_t created_;
  bool include_usage_;
};

// The text_completion events of one streamed /v1/completions request.
class CompletionStream {
 public:
  CompletionStream(std::string id, std::int64_t created, std::string model, bool include_usage);
  // logprobs: those of `text`'s tokens, offsets from `text_offset`.
  std::string text(int choice,
                   std::string_view text,
                   const std::vector<TokenLogprob>* logprobs = nullptr,
                   std::size_t text_offset = 0) const;
  std::string finish(int choice, FinishReason reason) const;
  std::string usage(const Usage& u) const;

 private:
  nlohmann::ordered_json chunk() const;
  std::string id_, model_;
  std::int64_t created_;
  bool include_usage_;
};

}  // namespace swift::serve

// Streamed responses: chat.completion.chunk and text_completion events as OpenAI sends them
// (responses.h). With stream_options.include_usage every chunk carries "usage": null and a last
// chunk with no choices carries the counts.
#include <utility>

#include "serve/responses.h"

namespace swift::serve {

using ojson = nlohmann::ordered_json;

ChatStream::ChatStream(std::string id, std::int64_t created, std::string model, bool include_usage)
    : id_(std::move(id)),
      model_(std::move(model)),
      created_(created),
      include_usage_(include_usage) {}

ojson ChatStream::chunk() const {
  return ojson{{"id", id_},
               {"object", "chat.completion.chunk"},
               {"created", created_},
               {"model", model_},
               {"choices", ojson::array()}};
}

std::string ChatStream::event(int choice, ojson delta, ojson logprobs, ojson finish_reason) const {
  ojson c = chunk();
  c["choices"].push_back({{"index", choice},
                          {"delta", std::move(delta)},
                          {"logprobs", std::move(logprobs)},
                          {"finish_reason", std::move(finish_reason)}});
  if (include_usage_) c["usage"] = nullptr;
  return sse_data(c);
}

std::string ChatStream::role(int choice) const {
  return event(choice, {{"role", "assistant"}, {"content", ""}}, nullptr, nullptr);
}

std::string ChatStream::content(int choice,
                                std::string_view text,
                                const std::vector<TokenLogprob>* logprobs) const {
  return event(choice, {{"content", valid_utf8(text)}},
               logprobs ? chat_logprobs_json(*logprobs) : ojson(nullptr), nullptr);
}

std::string ChatStream::reasoning(int choice, std::string_view text) const {
  return event(choice, {{"reasoning_content", valid_utf8(text)}}, nullptr, nullptr);
}

std::string ChatStream::tool_calls(int choice, const std::vector<ToolCall>& calls) const {
  ojson list = ojson::array();
  for (std::size_t k = 0; k < calls.size(); ++k) {
    const ToolCall& t = calls[k];
    list.push_back(
        {{"index", k},
         {"id", t.id.empty() ? make_id("call_") : valid_utf8(t.id)},
         {"type", "function"},
         {"function", {{"name", valid_utf8(t.name)}, {"arguments", valid_utf8(t.arguments)}}}});
  }
  return event(choice, {{"tool_calls", std::move(list)}}, nullptr, nullptr);
}

std::string ChatStream::finish(int choice, FinishReason reason) const {
  return event(choice, ojson::object(), nullptr, finish_reason_name(reason));
}

std::string ChatStream::usage(const Usage& u) const {
  if (!include_usage_) return "";
  ojson c = chunk();
  c["usage"] = usage_json(u);
  return sse_data(c);
}

CompletionStream::CompletionStream(std::string id,
                                   std::int64_t created,
                                   std::string model,
                                   bool include_usage)
    : id_(std::move(id)),
      model_(std::move(model)),
      created_(created),
      include_usage_(include_usage) {}

ojson CompletionStream::chunk() const {
  return ojson{{"id", id_},
               {"object", "text_completion"},
               {"created", created_},
               {"model", model_},
               {"choices", ojson::array()}};
}

std::string CompletionStream::text(int choice,
                                   std::string_view text,
                                   const std::vector<TokenLogprob>* logprobs,
                                   std::size_t text_offset) const {
  ojson c = chunk();
  c["choices"].push_back(
      {{"index", choice},
       {"text", valid_utf8(text)},
       {"logprobs", logprobs ? completion_logprobs_json(*logprobs, text_offset) : ojson(nullptr)},
       {"finish_reason", nullptr}});
  if (include_usage_) c["usage"] = nullptr;
  return sse_data(c);
}

std::string CompletionStream::finish(int choice, FinishReason reason) const {
  ojson c = chunk();
  c["choices"].push_back({{"index", choice},
                          {"text", ""},
                          {"logprobs", nullptr},
                          {"finish_reason", finish_reason_name(reason)}});
  if (include_usage_) c["usage"] = nullptr;
  return sse_data(c);
}

std::string CompletionStream::usage(const Usage& u) const {
  if (!include_usage_) return "";
  ojson c = chunk();
  c["usage"] = usage_json(u);
  return sse_data(c);
}

}  // namespace swift::serve

// From chat messages to what the engine takes: the prompt ids (ms-swift's native template, or
// the tokenizer's Jinja chat template with --template_backend jinja), the stop token ids (EOS
// of the tokenizer and generation_config.json, single-token template stop words) and the stop
// strings; and the generation defaults ms-swift takes from generation_config.json.
// Tools and tool calls are written by the template's agent template (hermes for the Qwen
// family, llama3 for Llama 3, or --agent_template). Conversations a native template cannot
// hold (consecutive user turns; tools where no agent template applies) are rendered with the
// model's chat template, as transformers renders them.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infer/engine.h"

namespace swift::tok {
class Tokenizer;
}
namespace swift::tmpl {
class SwiftTemplate;
class AgentTemplate;
struct EncodeOptions;
struct ToolCall;
}  // namespace swift::tmpl

namespace swift::infer {

struct ChatOptions {
  std::string template_name;          // "": the template registered for the model
  std::string backend = "swift";      // swift | jinja
  std::optional<std::string> system;  // used when a conversation has no system message
  std::optional<bool> enable_thinking;
  std::optional<std::string> response_prefix;
  std::optional<std::string> agent_template;  // unset: the template's own
};

class ChatFormatter {
 public:
  // model_type / architectures pick the default template; generation_config supplies EOS ids.
  ChatFormatter(std::shared_ptr<const tok::Tokenizer> tokenizer,
                const std::string& model_type,
                const std::vector<std::string>& architectures,
                const nlohmann::json& generation_config,
                ChatOptions options);
  ~ChatFormatter();

  // Conversation (ending in a user or tool turn) -> prompt ids with the generation prompt.
  // `tools`: the row's tool schemas (a list, a JSON string of one, or null). Throws swift::Error
  // for malformed messages (unknown roles, non-string content...).
  // `enable_thinking`: a per-request override of ChatOptions::enable_thinking (deploy's
  // chat_template_kwargs).
  std::vector<std::int32_t> prompt_ids(const nlohmann::ordered_json& messages,
                                       const nlohmann::ordered_json& tools = nullptr,
                                       std::optional<bool> enable_thinking = std::nullopt) const;
  std::string prompt_text(const nlohmann::ordered_json& messages,
                          const nlohmann::ordered_json& tools = nullptr,
                          std::optional<bool> enable_thinking = std::nullopt) const;

  // The tool calls in a generated answer, parsed by the agent template the prompt was written
  // with (--agent_template, the template's own, else react_en as in ms-swift).
  std::vector<tmpl::ToolCall> parse_tool_calls(const std::string& answer) const;
  // Whether the template is a thinking one (qwen3's <think> ... </think>), and whether a prompt
  // with this enable_thinking ends inside the thinking block (the answer starts thinking).
  bool is_thinking_template() const;
  bool prompt_opens_thinking(std::optional<bool> enable_thinking) const;

  const std::string& template_name() const { return template_name_; }
  const std::vector<std::int32_t>& stop_token_ids() const { return stop_ids_; }
  const std::vector<std::string>& stop_strings() const { return stop_strings_; }
  const ChatOptions& options() const { return options_; }
  // ms-swift's GLM4Template decodes answers without leading newlines (its generation prompt
  // ends at "<|assistant|>", so the model starts with one).
  bool strip_leading_newlines() const;

 private:
  bool use_jinja(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools) const;
  std::string jinja_text(const nlohmann::ordered_json& messages,
                         const nlohmann::ordered_json& tools,
                         std::optional<bool> enable_thinking) const;
  tmpl::EncodeOptions native_options(const nlohmann::ordered_json& tools,
                                     std::optional<bool> enable_thinking) const;

  std::shared_ptr<const tok::Tokenizer> tok_;
  bool has_chat_template_ = false;
  mutable bool warned_jinja_ = false;
  ChatOptions options_;
  std::string template_name_;
  std::unique_ptr<tmpl::SwiftTemplate> swift_;
  std::unique_ptr<tmpl::AgentTemplate> agent_;
  std::vector<std::int32_t> stop_ids_;
  std::vector<std::string> stop_strings_;
};

// Sampling defaults as ms-swift resolves them: an explicit value wins, else
// generation_config.json (do_sample false -> temperature 0), else transformers' defaults
// (temperature 1, top_k 50, top_p 1, repetition_penalty 1).
struct GenerationOverrides {
  std::optional<double> temperature, top_p, repetition_penalty;
  std::optional<std::int64_t> top_k;
};
SamplingParams sampling_defaults(const nlohmann::json& generation_config,
                                 const GenerationOverrides& overrides);

// OpenAI-style logprobs of a choice: {"content": [{"token", "logprob", "bytes",
// "top_logprobs": [...]}, ...]}.
nlohmann::ordered_json openai_logprobs(const tok::Tokenizer& tok, const Choice& choice);

}  // namespace swift::infer

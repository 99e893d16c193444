// Hugging Face chat rendering: tokenizer_config.json's chat_template rendered with the context
// transformers' apply_chat_template builds (messages, tools, documents, add_generation_prompt,
// the special-token strings, then caller kwargs such as enable_thinking).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "template/jinja/jinja.h"
#include "tokenizer/tokenizer.h"

namespace swift::tmpl {

// Key order matters (tojson prints tool schemas in the order they were given, like Python
// dicts): pass nlohmann::ordered_json. The nlohmann::json overloads are for callers whose data
// was already parsed with sorted keys.
using OJson = nlohmann::ordered_json;

// Which template source transformers would use: an explicit name (or template string) from
// kwargs["chat_template"], else "tool_use" when tools are given and a template of that name
// exists, else the default. Throws swift::Error when the tokenizer has no chat template.
std::string select_chat_template(const tok::TokenizerConfig& cfg, const OJson& kwargs);

// The context dictionary the template sees. Throws when kwargs try to override `messages` or
// `add_generation_prompt` (Python would raise "got multiple values for keyword argument").
OJson chat_context(const tok::TokenizerConfig& cfg,
                   const OJson& messages,
                   bool add_generation_prompt,
                   const OJson& kwargs);

// kwargs: template variables (enable_thinking, ...) plus the apply_chat_template options
// "tools", "documents", "chat_template" (name or source) and "continue_final_message".
// raise_exception(...) in the template surfaces as jinja::TemplateRaised with its message.
std::string apply_chat_template(const tok::TokenizerConfig& cfg,
                                const OJson& messages,
                                bool add_generation_prompt,
                                const OJson& kwargs = OJson::object(),
                                const jinja::Limits& limits = jinja::Limits());
std::string apply_chat_template(const tok::TokenizerConfig& cfg,
                                const nlohmann::json& messages,
                                bool add_generation_prompt,
                                const nlohmann::json& kwargs,
                                const jinja::Limits& limits = jinja::Limits());

}  // namespace swift::tmpl

// apply_chat_template as transformers does it: template selection for multi-template configs,
// the render context, and continue_final_message trimming.
#include "template/hf_chat.h"

#include "core/error.h"

namespace swift::tmpl {
namespace {

const char* kNoTemplate =
    "Cannot use chat template functions because tokenizer.chat_template is not set and no "
    "template argument was passed! For information about writing templates and setting the "
    "tokenizer.chat_template attribute, please see the documentation at "
    "https://huggingface.co/docs/transformers/main/en/chat_templating";

bool has_key(const OJson& j, const char* k) {
  return j.is_object() && j.contains(k);
}

}  // namespace

std::string select_chat_template(const tok::TokenizerConfig& cfg, const OJson& kwargs) {
  std::string requested;
  if (has_key(kwargs, "chat_template") && kwargs["chat_template"].is_string())
    requested = kwargs["chat_template"].get<std::string>();
  const auto& named = cfg.named_chat_templates;
  auto find = [&](const std::string& name) -> const std::string* {
    for (const auto& [n, src] : named)
      if (n == name) return &src;
    return nullptr;
  };
  if (!named.empty()) {
    if (!requested.empty()) {
      if (const std::string* s = find(requested)) return *s;
      return requested;  // not a name: a template source given by the caller
    }
    bool tools = has_key(kwargs, "tools") && !kwargs["tools"].is_null();
    if (tools) {
      if (const std::string* s = find("tool_use")) return *s;
    }
    if (const std::string* s = find("default")) return *s;
    SWIFT_CHECK(!cfg.chat_template.empty(),
                "[template] This model has multiple chat templates with no default specified! "
                "Please either pass a chat template or the name of the template you wish to use "
                "to the `chat_template` argument.");
    return cfg.chat_template;
  }
  if (!requested.empty()) return requested;
  SWIFT_CHECK(!cfg.chat_template.empty(), "[template] {}", kNoTemplate);
  return cfg.chat_template;
}

OJson chat_context(const tok::TokenizerConfig& cfg,
                   const OJson& messages,
                   bool add_generation_prompt,
                   const OJson& kwargs) {
  SWIFT_CHECK(messages.is_array(), "[template] messages must be a JSON array of message objects");
  SWIFT_CHECK(kwargs.is_null() || kwargs.is_object(), "[template] chat kwargs must be an object");
  OJson ctx = OJson::object();
  // transformers passes {**special_tokens_map, **kwargs}: unset tokens are absent (undefined),
  // not None, so `{{ bos_token }}` prints nothing for a tokenizer without one.
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) ctx[k] = v;
  };
  put("bos_token", cfg.bos_token);
  put("eos_token", cfg.eos_token);
  put("unk_token", cfg.unk_token);
  put("pad_token", cfg.pad_token);
  if (kwargs.is_object()) {
    for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
      const std::string& k = it.key();
      SWIFT_CHECK(k != "messages" && k != "add_generation_prompt" && k != "conversation",
                  "[template] chat template kwargs may not override the reserved argument '{}'", k);
      if (k == "chat_template" || k == "continue_final_message") continue;
      ctx[k] = *it;
    }
  }
  ctx["messages"] = messages;
  if (!ctx.contains("tools")) ctx["tools"] = nullptr;
  if (!ctx.contains("documents")) ctx["documents"] = nullptr;
  ctx["add_generation_prompt"] = add_generation_prompt;
  return ctx;
}

std::string apply_chat_template(const tok::TokenizerConfig& cfg,
                                const nlohmann::json& messages,
                                bool add_generation_prompt,
                                const nlohmann::json& kwargs,
                                const jinja::Limits& limits) {
  return apply_chat_template(cfg, OJson::parse(messages.dump()), add_generation_prompt,
                             OJson::parse(kwargs.is_null() ? std::string("{}") : kwargs.dump()),
                             limits);
}

std::string apply_chat_template(const tok::TokenizerConfig& cfg,
                                const OJson& messages,
                                bool add_generation_prompt,
                                const OJson& kwargs,
                                const jinja::Limits& limits) {
  std::string source = select_chat_template(cfg, kwargs);
  bool cont = has_key(kwargs, "continue_final_message") &&
              kwargs["continue_final_message"].is_boolean() &&
              kwargs["continue_final_message"].get<bool>();
  SWIFT_CHECK(!(cont && add_generation_prompt),
              "[template] continue_final_message and add_generation_prompt are not compatible. "
              "Use continue_final_message when you want the model to continue the final message, "
              "and add_generation_prompt when you want to add a header that will prompt it to "
              "start a new assistant message instead.");
  OJson ctx = chat_context(cfg, messages, add_generation_prompt, kwargs);
  std::string text = jinja::Template::parse(source).render(ctx, limits);
  if (!cont) return text;

  SWIFT_CHECK(!messages.empty(), "[template] continue_final_message needs a final message");
  const OJson content = messages.back().value("content", OJson());
  std::string final_msg;
  if (content.is_string()) {
    final_msg = content.get<std::string>();
  } else if (content.is_array()) {
    bool found = false;
    for (auto it = content.rbegin(); it != content.rend() && !found; ++it) {
      if (it->is_object() && it->contains("text") && (*it)["text"].is_string()) {
        final_msg = (*it)["text"].get<std::string>();
        found = true;
      }
    }
    SWIFT_CHECK(found,
                "[template] continue_final_message is set but we could not find any text to "
                "continue in the final message!");
  }
  auto is_ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  std::size_t b = 0, e = final_msg.size();
  while (b < e && is_ws(final_msg[b])) ++b;
  while (e > b && is_ws(final_msg[e - 1])) --e;
  std::string stripped = final_msg.substr(b, e - b);
  std::string lstripped = final_msg.substr(b);
  std::size_t loc = text.rfind(stripped);
  SWIFT_CHECK(loc != std::string::npos,
              "[template] continue_final_message is set but the final message does not appear in "
              "the chat after applying the chat template!");
  if (text.compare(loc, lstripped.size(), final_msg) == 0 && lstripped.size() == final_msg.size())
    return text.substr(0, loc + lstripped.size());
  return text.substr(0, loc + stripped.size());
}

}  // namespace swift::tmpl

// Chat messages -> engine prompts; see chat.h.
#include "infer/chat.h"
#include "core/strings.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "template/agent_template.h"
#include "template/hf_chat.h"
#include "template/swift_template.h"
#include "template/template_meta.h"
#include "tokenizer/tokenizer.h"

namespace swift::infer {

namespace {

void validate_messages(const nlohmann::ordered_json& messages) {
  SWIFT_CHECK(messages.is_array() && !messages.empty(),
              "[infer] a conversation is a non-empty list of messages");
  for (const auto& m : messages) {
    SWIFT_CHECK(m.is_object() && m.contains("role") && m["role"].is_string(),
                "[infer] every message needs a string 'role'");
    const auto role = m["role"].get<std::string>();
    SWIFT_CHECK(role == "system" || role == "user" || role == "assistant" || role == "tool" ||
                    role == "tool_call" || role == "tool_response",
                "[infer] unknown role '{}' (use system, user, assistant, tool, tool_call or "
                "tool_response)",
                role);
    const bool tool = role == "tool" || role == "tool_call" || role == "tool_response";
    SWIFT_CHECK(m.contains("content") && (m["content"].is_string() || m["content"].is_null() ||
                                          (tool && m["content"].is_object())),
                "[infer] the content of a '{}' message must be a string", role);
  }
  const auto last = messages.back()["role"].get<std::string>();
  SWIFT_CHECK(last == "user" || last == "tool" || last == "tool_response",
              "[infer] the conversation must end with a user or tool message (it ends with {})",
              last);
}

}  // namespace

ChatFormatter::ChatFormatter(std::shared_ptr<const tok::Tokenizer> tokenizer,
                             const std::string& model_type,
                             const std::vector<std::string>& architectures,
                             const nlohmann::json& generation_config,
                             ChatOptions options)
    : tok_(std::move(tokenizer)), options_(std::move(options)) {
  SWIFT_CHECK(tok_ != nullptr, "[infer] the chat formatter needs a tokenizer");
  SWIFT_CHECK(options_.backend == "swift" || options_.backend == "jinja",
              "[args] --template_backend must be swift or jinja, got '{}'", options_.backend);
  if (options_.backend == "jinja") {
    SWIFT_CHECK(
        !tok_->config().chat_template.empty() || !tok_->config().named_chat_templates.empty(),
        "[infer] --template_backend jinja needs a chat_template in tokenizer_config.json "
        "(or chat_template.jinja); use --template_backend swift");
  }
  has_chat_template_ =
      !tok_->config().chat_template.empty() || !tok_->config().named_chat_templates.empty();
  template_name_ = options_.template_name.empty()
                       ? tmpl::template_for_model(model_type, architectures)
                       : options_.template_name;
  swift_ = std::make_unique<tmpl::SwiftTemplate>(tmpl::get_template_meta(template_name_), tok_,
                                                 tok_->config());
  {
    std::string agent = options_.agent_template.value_or(swift_->meta().agent_template);
    agent_ = tmpl::make_agent_template(agent.empty() ? "react_en" : agent);
  }
  auto add_id = [&](std::int32_t id) {
    if (id >= 0 && std::find(stop_ids_.begin(), stop_ids_.end(), id) == stop_ids_.end())
      stop_ids_.push_back(id);
  };
  if (generation_config.is_object() && generation_config.contains("eos_token_id")) {
    const auto& e = generation_config["eos_token_id"];
    if (e.is_number_integer()) add_id(e.get<std::int32_t>());
    if (e.is_array())
      for (const auto& x : e)
        if (x.is_number_integer()) add_id(x.get<std::int32_t>());
  }
  // Template stop words that are one token of the vocabulary stop by id (special tokens never
  // appear in skip_special_tokens text); the others are matched in the text.
  for (const auto& w : swift_->stop_words()) {
    const std::int32_t id = tok_->token_to_id(w);
    if (id >= 0 && tok_->is_special(id)) {
      add_id(id);
    } else if (std::find(stop_strings_.begin(), stop_strings_.end(), w) == stop_strings_.end()) {
      stop_strings_.push_back(w);
    }
  }
}

ChatFormatter::~ChatFormatter() = default;

namespace {

// A row's tools as a JSON list (ms-swift rows may hold them as a JSON string); null when none.
nlohmann::ordered_json tool_list(const nlohmann::ordered_json& tools) {
  if (tools.is_null()) return nullptr;
  nlohmann::ordered_json t = tools;
  if (t.is_string()) {
    try {
      SWIFT_CHECK(str::json_nesting_ok(tools.get<std::string>()),
                  "[infer] 'tools' nests deeper than {} levels", str::kMaxJsonNesting);
      t = nlohmann::ordered_json::parse(tools.get<std::string>());
    } catch (const nlohmann::json::exception&) {
      SWIFT_FAIL("[infer] 'tools' is a string that is not JSON: give a list of tool schemas");
    }
  }
  SWIFT_CHECK(t.is_array(), "[infer] 'tools' must be a list of tool schemas");
  return t.empty() ? nlohmann::ordered_json(nullptr) : t;
}

}  // namespace

// Consecutive user (or assistant) turns (ms-swift would merge them), and tools or tool calls
// where no agent template applies, are rendered with the model's own chat template instead, as
// transformers renders them.
bool ChatFormatter::use_jinja(const nlohmann::ordered_json& messages,
                              const nlohmann::ordered_json& tools) const {
  if (options_.backend == "jinja") {
    for (const auto& m : messages)
      SWIFT_CHECK(m["role"] != "tool_call" && m["role"] != "tool_response",
                  "[infer] --template_backend jinja takes OpenAI messages: write tool calls as "
                  "assistant 'tool_calls' and results as 'tool' messages");
    return true;
  }
  const bool agent = options_.agent_template || !swift_->meta().agent_template.empty();
  std::string why;
  if (!tools.is_null() && !agent) why = "tools";
  for (std::size_t i = 0; i < messages.size() && why.empty(); ++i) {
    if (!agent && messages[i].contains("tool_calls") && !messages[i]["tool_calls"].is_null()) {
      why = "tool calls";
    } else if (i > 0) {
      const auto& a = messages[i - 1]["role"];
      if (a != "tool" && a != "system" && a == messages[i]["role"])
        why = "consecutive '" + a.get<std::string>() + "' turns";
    }
  }
  if (why.empty()) return false;
  SWIFT_CHECK(
      has_chat_template_,
      "[infer] a conversation with {} needs the model's chat template (tokenizer_config.json "
      "has none){}",
      why, agent ? "" : " or --agent_template (hermes, react_en, llama3, glm4)");
  if (!warned_jinja_) {
    SWIFT_INFO(
        "a conversation has {}: it is rendered with the model's chat template, as "
        "transformers does",
        why);
    warned_jinja_ = true;
  }
  return true;
}

std::string ChatFormatter::jinja_text(const nlohmann::ordered_json& messages,
                                      const nlohmann::ordered_json& tools,
                                      std::optional<bool> enable_thinking) const {
  nlohmann::ordered_json msgs = messages;
  if (options_.system && !(msgs.size() && msgs[0]["role"] == "system"))
    msgs.insert(msgs.begin(),
                nlohmann::ordered_json{{"role", "system"}, {"content", *options_.system}});
  nlohmann::ordered_json kwargs = nlohmann::ordered_json::object();
  if (!tools.is_null()) kwargs["tools"] = tools;
  // Hybrid thinking templates answer without thinking unless asked, in both backends.
  if (!enable_thinking) enable_thinking = options_.enable_thinking;
  if (enable_thinking)
    kwargs["enable_thinking"] = *enable_thinking;
  else if (!swift_->meta().non_thinking_prefix.empty())
    kwargs["enable_thinking"] = false;
  return tmpl::apply_chat_template(tok_->config(), msgs, true, kwargs);
}

bool ChatFormatter::strip_leading_newlines() const {
  return options_.backend == "swift" && swift_->meta().strip_prompt_newline;
}

tmpl::EncodeOptions ChatFormatter::native_options(const nlohmann::ordered_json& tools,
                                                  std::optional<bool> enable_thinking) const {
  tmpl::EncodeOptions opts;
  opts.tools = tools;
  opts.agent_template = options_.agent_template;
  opts.mode = tmpl::Mode::kInfer;
  opts.system = options_.system;
  opts.enable_thinking = enable_thinking ? enable_thinking : options_.enable_thinking;
  opts.response_prefix = options_.response_prefix;
  return opts;
}

std::string ChatFormatter::prompt_text(const nlohmann::ordered_json& messages,
                                       const nlohmann::ordered_json& tools_in,
                                       std::optional<bool> thinking) const {
  validate_messages(messages);
  const nlohmann::ordered_json tools = tool_list(tools_in);
  if (use_jinja(messages, tools)) return jinja_text(messages, tools, thinking);
  return swift_->render(messages, native_options(tools, thinking));
}

std::vector<std::int32_t> ChatFormatter::prompt_ids(const nlohmann::ordered_json& messages,
                                                    const nlohmann::ordered_json& tools_in,
                                                    std::optional<bool> thinking) const {
  validate_messages(messages);
  const nlohmann::ordered_json tools = tool_list(tools_in);
  if (use_jinja(messages, tools)) {
    // transformers tokenizes the rendered chat without adding special tokens again.
    return tok_->encode_like_transformers(jinja_text(messages, tools, thinking), false);
  }
  return swift_->encode(messages, native_options(tools, thinking)).input_ids;
}

std::vector<tmpl::ToolCall> ChatFormatter::parse_tool_calls(const std::string& answer) const {
  return agent_->parse_tool_calls(answer);
}

bool ChatFormatter::is_thinking_template() const {
  const auto& meta = swift_->meta();
  return meta.is_thinking || !meta.thinking_prefix.empty();
}

bool ChatFormatter::prompt_opens_thinking(std::optional<bool> enable_thinking) const {
  if (!is_thinking_template()) return false;
  auto opens = [](const std::string& prefix) {
    const auto open = prefix.rfind("<think>");
    return open != std::string::npos && prefix.find("</think>", open) == std::string::npos;
  };
  if (options_.response_prefix) return opens(*options_.response_prefix);
  const auto& meta = swift_->meta();
  if (!enable_thinking) enable_thinking = options_.enable_thinking;
  // ms-swift: None is False for hybrid templates, True for thinking-only ones.
  const bool on = enable_thinking ? *enable_thinking : meta.non_thinking_prefix.empty();
  return on && opens(meta.thinking_prefix);
}

SamplingParams sampling_defaults(const nlohmann::json& gc, const GenerationOverrides& o) {
  SamplingParams p;
  auto num = [&](const char* key, double fallback) {
    return gc.is_object() && gc.contains(key) && gc[key].is_number() ? gc[key].get<double>()
                                                                     : fallback;
  };
  const bool do_sample = !(gc.is_object() && gc.contains("do_sample") &&
                           gc["do_sample"].is_boolean() && !gc["do_sample"].get<bool>());
  p.temperature = o.temperature ? *o.temperature : (do_sample ? num("temperature", 1.0) : 0.0);
  p.top_k = o.top_k ? *o.top_k : static_cast<std::int64_t>(num("top_k", 50));
  p.top_p = o.top_p ? *o.top_p : num("top_p", 1.0);
  p.repetition_penalty =
      o.repetition_penalty ? *o.repetition_penalty : num("repetition_penalty", 1.0);
  return p;
}

nlohmann::ordered_json openai_logprobs(const tok::Tokenizer& tok, const Choice& choice) {
  auto entry = [&](std::int32_t id, float logprob) {
    std::string text = tok.decode({id}, false);
    nlohmann::ordered_json bytes = nlohmann::ordered_json::array();
    for (unsigned char c : text) bytes.push_back(static_cast<int>(c));
    return nlohmann::ordered_json{{"token", text}, {"logprob", logprob}, {"bytes", bytes}};
  };
  nlohmann::ordered_json content = nlohmann::ordered_json::array();
  for (const auto& t : choice.logprobs) {
    auto e = entry(t.id, t.logprob);
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const auto& [id, lp] : t.top) top.push_back(entry(id, lp));
    e["top_logprobs"] = top;
    content.push_back(e);
  }
  return nlohmann::ordered_json{{"content", content}};
}

}  // namespace swift::infer

// POST /v1/chat/completions bodies: the conversation (roles, text content, assistant tool calls,
// tool results), tools and tool_choice, chat_template_kwargs, and the shared sampling fields
// (request_common.cpp). What a text-only engine cannot serve (image parts, response_format
// JSON modes, the deprecated functions API) is refused by name rather than ignored.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "core/strings.h"
#include "serve/fields.h"

namespace swift::serve {

using detail::fail;
using detail::field;
using detail::get_string;
using detail::ojson;
using detail::wrong_type;

namespace {

const std::vector<std::string> kRoles = {"system", "user", "assistant", "tool", "developer"};

// Text parts joined in order; media parts need a multimodal model, which this server is not.
std::string content_text(const ojson& parts, const std::string& param) {
  std::string text;
  for (std::size_t j = 0; j < parts.size(); ++j) {
    const ojson& part = parts[j];
    const std::string p = fmt::format("{}[{}]", param, j);
    if (!part.is_object()) wrong_type(p, "a content part object {\"type\": \"text\", ...}", part);
    const std::string type = get_string(part, "type", p + ".type").value_or("");
    if (type == "text") {
      const auto t = get_string(part, "text", p + ".text");
      if (!t) fail(p + ".text", fmt::format("'{}.text' is missing; a text part needs its text", p));
      text += *t;
    } else if (type == "image_url" || type == "input_audio" || type == "video_url" ||
               type == "audio_url" || type == "file") {
      fail(p + ".type", fmt::format("'{}' is an {} part, but this server runs a text-only model; "
                                    "send text parts only",
                                    p, type));
    } else if (type.empty()) {
      fail(p + ".type", fmt::format("'{}.type' is missing; text parts are {{\"type\": \"text\", "
                                    "\"text\": \"...\"}}",
                                    p));
    } else {
      fail(p + ".type", fmt::format("'{}.type' is '{}', which this server does not know; use "
                                    "\"text\"",
                                    p, detail::clip(type)));
    }
  }
  return text;
}

std::vector<ToolCall> read_tool_calls(const ojson& calls, const std::string& param) {
  if (!calls.is_array()) wrong_type(param, "an array of tool calls", calls);
  std::vector<ToolCall> out;
  for (std::size_t k = 0; k < calls.size(); ++k) {
    const ojson& c = calls[k];
    const std::string p = fmt::format("{}[{}]", param, k);
    if (!c.is_object()) wrong_type(p, "a tool call object", c);
    const std::string type = get_string(c, "type", p + ".type").value_or("function");
    if (type != "function")
      fail(p + ".type", fmt::format("'{}.type' is '{}'; only \"function\" tool calls exist", p,
                                    detail::clip(type)));
    const ojson* fn = field(c, "function");
    if (!fn)
      fail(p + ".function", fmt::format("'{}.function' is missing; give {{\"name\": ..., "
                                        "\"arguments\": \"{{...}}\"}}",
                                        p));
    if (!fn->is_object()) wrong_type(p + ".function", "an object", *fn);
    ToolCall call;
    call.id = get_string(c, "id", p + ".id").value_or("");
    call.name = get_string(*fn, "name", p + ".function.name").value_or("");
    if (call.name.empty())
      fail(p + ".function.name", fmt::format("'{}.function.name' is missing or empty; name the "
                                             "function that was called",
                                             p));
    const ojson* args = field(*fn, "arguments");
    if (!args || args->is_string())
      call.arguments = args ? args->get<std::string>() : "{}";
    else if (args->is_object())
      call.arguments = args->dump();  // ms-swift takes objects too; OpenAI's form is the text
    else
      wrong_type(p + ".function.arguments", "a string of JSON (or an object)", *args);
    out.push_back(std::move(call));
  }
  return out;
}

ChatMessage read_message(const ojson& m, std::size_t i) {
  const std::string p = fmt::format("messages[{}]", i);
  if (!m.is_object()) wrong_type(p, "a message object {\"role\": ..., \"content\": ...}", m);
  ChatMessage msg;
  const auto role = get_string(m, "role", p + ".role");
  if (!role)
    fail(p + ".role",
         fmt::format("'{}.role' is missing; use one of system, user, assistant, tool", p));
  if (std::find(kRoles.begin(), kRoles.end(), *role) == kRoles.end()) {
    const std::string near = str::closest(*role, kRoles);
    fail(p + ".role",
         fmt::format("'{}.role' is '{}'{}; use one of system, user, assistant, tool{}", p,
                     detail::clip(*role), near.empty() ? "" : " (did you mean '" + near + "'?)",
                     *role == "function" ? " (the functions API is replaced by tools)" : ""));
  }
  msg.role = *role == "developer" ? "system" : *role;
  msg.name = get_string(m, "name", p + ".name").value_or("");

  if (const ojson* c = field(m, "content")) {
    if (c->is_string())
      msg.content = c->get<std::string>();
    else if (c->is_array())
      msg.content = content_text(*c, p + ".content");
    else
      wrong_type(p + ".content", "a string or an array of text parts", *c);
  }
  if (const ojson* calls = field(m, "tool_calls")) {
    if (msg.role != "assistant")
      fail(p + ".tool_calls", fmt::format("'{}' is a {} message with tool_calls; only assistant "
                                          "messages call tools",
                                          p, msg.role));
    msg.tool_calls = read_tool_calls(*calls, p + ".tool_calls");
  }
  if (msg.role == "tool")
    msg.tool_call_id = get_string(m, "tool_call_id", p + ".tool_call_id").value_or("");
  if (!msg.content && !(msg.role == "assistant" && !msg.tool_calls.empty()))
    fail(p + ".content", fmt::format("'{}.content' is missing; a {} message needs its text{}", p,
                                     msg.role, msg.role == "assistant" ? " (or tool_calls)" : ""));
  return msg;
}

ojson read_tools(const ojson& body, const Limits& limits) {
  const ojson* tools = field(body, "tools");
  if (!tools) return nullptr;
  if (!tools->is_array()) wrong_type("tools", "an array of tool schemas", *tools);
  if (tools->size() > static_cast<std::size_t>(limits.max_tools))
    fail("tools", fmt::format("'tools' has {} entries; this server takes at most {}", tools->size(),
                              limits.max_tools));
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const ojson& t = (*tools)[i];
    const std::string p = fmt::format("tools[{}]", i);
    if (!t.is_object())
      wrong_type(p, "a tool object {\"type\": \"function\", \"function\": ...}", t);
    const std::string type = get_string(t, "type", p + ".type").value_or("function");
    if (type != "function")
      fail(p + ".type", fmt::format("'{}.type' is '{}'; this server takes \"function\" tools only",
                                    p, detail::clip(type)));
    const ojson* fn = field(t, "function");
    if (!fn)
      fail(p + ".function", fmt::format("'{}.function' is missing; describe the tool as "
                                        "{{\"name\": ..., \"description\": ..., \"parameters\": "
                                        "{{...}}}}",
                                        p));
    if (!fn->is_object()) wrong_type(p + ".function", "an object", *fn);
    if (get_string(*fn, "name", p + ".function.name").value_or("").empty())
      fail(p + ".function.name",
           fmt::format("'{}.function.name' is missing or empty; every tool needs a name", p));
    get_string(*fn, "description", p + ".function.description");
    if (const ojson* params = field(*fn, "parameters"); params && !params->is_object())
      wrong_type(p + ".function.parameters", "a JSON Schema object", *params);
  }
  return tools->empty() ? ojson(nullptr) : *tools;
}

bool has_tool(const ojson& tools, const std::string& name) {
  if (!tools.is_array()) return false;
  for (const auto& t : tools)
    if (t["function"]["name"] == name) return true;
  return false;
}

ToolChoice read_tool_choice(const ojson& body, const ojson& tools) {
  ToolChoice tc;
  const ojson* v = field(body, "tool_choice");
  if (!v) return tc;
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    if (s == "auto") {
      tc.mode = ToolChoice::Mode::kAuto;
    } else if (s == "none") {
      tc.mode = ToolChoice::Mode::kNone;
    } else if (s == "required") {
      tc.mode = ToolChoice::Mode::kRequired;
    } else {
      fail("tool_choice", fmt::format("'tool_choice' is '{}'; use \"auto\", \"none\", "
                                      "\"required\" or {{\"type\": \"function\", \"function\": "
                                      "{{\"name\": ...}}}}",
                                      detail::clip(s)));
    }
  } else if (v->is_object()) {
    const ojson* fn = field(*v, "function");
    const std::string name = fn && fn->is_object()
                                 ? get_string(*fn, "name", "tool_choice.function.name").value_or("")
                                 : "";
    if (name.empty())
      fail("tool_choice.function.name",
           "'tool_choice' names no function; give {\"type\": "
           "\"function\", \"function\": {\"name\": ...}}");
    if (!has_tool(tools, name))
      fail("tool_choice", fmt::format("'tool_choice' names the function '{}', which is not in "
                                      "'tools'; add it to tools or choose another",
                                      detail::clip(name)));
    tc.mode = ToolChoice::Mode::kFunction;
    tc.function = name;
  } else {
    wrong_type("tool_choice", "a string or an object", *v);
  }
  if (tc.mode == ToolChoice::Mode::kRequired && tools.is_null())
    fail("tool_choice",
         "'tool_choice' is \"required\", but the request has no 'tools'; send the "
         "tools or drop tool_choice");
  return tc;
}

ojson read_template_kwargs(const ojson& body) {
  const ojson* v = field(body, "chat_template_kwargs");
  if (!v) return ojson::object();
  if (!v->is_object()) wrong_type("chat_template_kwargs", "an object", *v);
  // What the server itself passes to the template cannot be replaced from a request.
  static const std::array<const char*, 7> kReserved = {
      "messages",  "tools",           "add_generation_prompt", "bos_token",
      "eos_token", "raise_exception", "strftime_now"};
  for (const char* k : kReserved)
    if (v->contains(k))
      fail("chat_template_kwargs." + std::string(k),
           fmt::format("'chat_template_kwargs' may not set '{}', which the server passes to the "
                       "template itself; send it as the request's own field or drop it",
                       k));
  return *v;
}

void refuse_unsupported_chat(const ojson& body) {
  if (const ojson* rf = field(body, "response_format")) {
    if (!rf->is_object()) wrong_type("response_format", "an object {\"type\": ...}", *rf);
    const auto type = get_string(*rf, "type", "response_format.type");
    if (!type)
      fail("response_format.type",
           "'response_format.type' is missing; use {\"type\": \"text\"} "
           "or leave response_format out");
    if (*type == "json_object" || *type == "json_schema")
      fail("response_format",
           fmt::format("'response_format' {} is not supported by this server (no constrained "
                       "decoding); leave it out and ask for JSON in the prompt",
                       *type));
    if (*type != "text")
      fail("response_format.type",
           fmt::format("'response_format.type' is '{}'; use \"text\"", detail::clip(*type)));
  }
  if (field(body, "functions") || field(body, "function_call"))
    fail(field(body, "functions") ? "functions" : "function_call",
         "The deprecated 'functions' / 'function_call' fields are not supported; send 'tools' "
         "and 'tool_choice' instead");
}

}  // namespace

ChatRequest chat_request_from_json(const ojson& body,
                                   const ServedModels& served,
                                   const Limits& limits) {
  detail::require_object_body(body);
  ChatRequest req;
  // Messages first: they are what a client most often gets wrong.
  const ojson* messages = field(body, "messages");
  if (!messages)
    fail("messages",
         "'messages' is required; send the conversation as [{\"role\": \"user\", "
         "\"content\": \"...\"}]");
  if (!messages->is_array()) wrong_type("messages", "an array of messages", *messages);
  if (messages->empty()) fail("messages", "'messages' is empty; send at least one message");
  for (std::size_t i = 0; i < messages->size(); ++i)
    req.messages.push_back(read_message((*messages)[i], i));

  detail::Common c = detail::read_common(body, detail::Endpoint::kChat, served, limits);
  req.model = std::move(c.model);
  req.sampling = std::move(c.sampling);
  req.stream = c.stream;
  req.include_usage = c.include_usage;
  req.user = std::move(c.user);
  req.tools = read_tools(body, limits);
  req.tool_choice = read_tool_choice(body, req.tools);
  req.chat_template_kwargs = read_template_kwargs(body);
  refuse_unsupported_chat(body);
  return req;
}

ChatRequest parse_chat_request(std::string_view body,
                               const ServedModels& served,
                               const Limits& limits) {
  return chat_request_from_json(parse_body(body, limits), served, limits);
}

ojson ChatRequest::messages_json() const {
  ojson out = ojson::array();
  for (const auto& m : messages) {
    ojson j;
    j["role"] = m.role;
    j["content"] = m.content ? ojson(*m.content) : ojson(nullptr);
    if (!m.name.empty()) j["name"] = m.name;
    if (!m.tool_calls.empty()) {
      ojson calls = ojson::array();
      for (const auto& c : m.tool_calls) {
        ojson call;
        if (!c.id.empty()) call["id"] = c.id;
        call["type"] = "function";
        call["function"] = {{"name", c.name}, {"arguments", c.arguments}};
        calls.push_back(std::move(call));
      }
      j["tool_calls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace swift::serve

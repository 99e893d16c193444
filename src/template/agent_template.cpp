// Agent templates (ms-swift swift/agent_template: base.py's ReAct-compatible defaults, react.py,
// hermes.py, llama.py), rewritten from their documented behaviour: the tool text that enters the
// system (or first user) turn, tool-call text, and the tool-result turns.
#include "template/agent_template.h"

#include <algorithm>
#include <cctype>
#include "core/strings.h"

#include "core/error.h"
#include "template/jinja/value.h"

namespace swift::tmpl {
namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kAction = "Action:";
constexpr const char* kActionInput = "Action Input:";
constexpr const char* kObservation = "Observation:";

bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// Python str(): strings as they are, everything else as Python prints it ({'a': 1}, True).
std::string py_str(const ojson& v) {
  if (v.is_string()) return v.get<std::string>();
  return jinja::to_str(jinja::Value::from_json(v));
}

// Python truthiness of an optional JSON field (None, "", {}, [], 0, false are all false).
bool truthy(const ojson* v) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  if (v->is_object() || v->is_array()) return !v->empty();
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number()) return v->get<double>() != 0.0;
  return true;
}

const ojson* field(const ojson& o, const char* key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(key);
  return it == o.end() ? nullptr : &*it;
}

// ms-swift's _parse_json: a string is parsed as JSON; anything else is already parsed.
ojson parse_json_value(const ojson& v, const char* what) {
  if (!v.is_string()) return v;
  SWIFT_CHECK(str::json_nesting_ok(v.get_ref<const std::string&>()),
              "[template] {} nests deeper than {} levels", what, str::kMaxJsonNesting);
  try {
    return ojson::parse(v.get<std::string>());
  } catch (const nlohmann::json::exception&) {
    SWIFT_FAIL("[template] {} is a string that is not JSON: {}", what,
               v.get<std::string>().substr(0, 200));
  }
}

// ms-swift's _get_tool_name: name_for_model, else name (null when neither).
const ojson* tool_name(const ojson& tool) {
  const ojson* n = field(tool, "name_for_model");
  return truthy(n) ? n : field(tool, "name");
}

ojson unwrap_tool(const ojson& tool) {
  if (tool.contains("type") && tool.contains("function")) return tool["function"];
  return tool;
}

std::string expand_query(const std::string& piece, const std::string& query) {
  std::string out = piece;
  const std::string key = "{{QUERY}}";
  for (std::size_t p = out.find(key); p != std::string::npos; p = out.find(key, p + query.size()))
    out.replace(p, key.size(), query);
  return out;
}

bool with_action(const std::string& assistant) {
  return assistant.find(kAction) != std::string::npos &&
         assistant.find(kActionInput) != std::string::npos;
}

// The ReAct way (base.py): results follow "Observation:" inside the same assistant turn.
std::vector<std::string> react_tool_responses(std::string& assistant,
                                              const std::vector<std::string>& results) {
  std::vector<std::string> res;
  if (with_action(assistant)) {
    if (!ends_with(assistant, kObservation)) {
      if (!ends_with(assistant, "\n")) assistant += "\n";
      assistant += kObservation;
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (i > 0) res.emplace_back(kObservation);
      res.push_back(results[i]);
      if (!ends_with(results[i], "\n")) res.emplace_back("\n");
    }
  } else {
    res = results;
  }
  return res;
}

std::string strip_ws(const std::string& s) {
  const char* ws = " \t\n\r\v\f";
  std::size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// ms-swift's Function: non-string arguments become JSON text; name and arguments stripped.
ToolCall make_call(const ojson& name, const ojson& args) {
  return {strip_ws(py_str(name)),
          strip_ws(args.is_string() ? args.get<std::string>() : python_json(args))};
}

// A candidate text -> a call when it is a JSON object with `name` and `args_key`.
void json_call(const std::string& body, const char* args_key, std::vector<ToolCall>& out) {
  {
    ojson obj;
    if (!str::json_nesting_ok(body)) return;  // not a call we can take
    try {
      obj = ojson::parse(body);
    } catch (const nlohmann::json::exception&) {
      return;  // not JSON: not a call
    }
    if (obj.is_object() && obj.contains("name") && obj.contains(args_key))
      out.push_back(make_call(obj["name"], obj[args_key]));
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The matches of  \{[^{]*?"name":.*?"parameters":\s*?\{.*?\}\s*?\}  (re.DOTALL), found by
// hand: std::regex recurses once per character. The lazy parts take the first place that lets
// the rest match: the first "name": with no '{' before it, the first "parameters": followed by
// spaces and '{', then the first '}' followed by spaces and '}'.
std::vector<std::string> llama_call_texts(const std::string& s) {
  // Every place each part can take, found once (linear); the lazy parts then take the first
  // place after the previous part, so a text full of '{' stays fast.
  using Places = std::vector<std::pair<std::size_t, std::size_t>>;  // (start, what follows)
  std::vector<std::size_t> opens, names;
  Places params;  // "parameters": -> its '{'
  Places closes;  // '}' -> one past the '}' that follows it after spaces
  auto after_spaces = [&](std::size_t q) {
    while (q < s.size() && is_space(s[q])) ++q;
    return q;
  };
  for (std::size_t p = 0; p < s.size(); ++p) {
    if (s[p] == '{') opens.push_back(p);
    if (s.compare(p, 7, "\"name\":") == 0) names.push_back(p);
    if (s.compare(p, 13, "\"parameters\":") == 0) {
      const std::size_t q = after_spaces(p + 13);
      if (q < s.size() && s[q] == '{') params.emplace_back(p, q);
    }
    if (s[p] == '}') {
      const std::size_t q = after_spaces(p + 1);
      if (q < s.size() && s[q] == '}') closes.emplace_back(p, q + 1);
    }
  }
  const std::size_t none = std::string::npos;
  auto first_from = [&](const Places& v, std::size_t x) {  // first place starting at >= x
    auto it = std::lower_bound(v.begin(), v.end(), std::make_pair(x, std::size_t{0}));
    return it == v.end() ? none : it->second;
  };
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t i = 0; i < opens.size(); ++i) {
    const std::size_t open = opens[i];
    if (open < from) continue;
    auto n = std::lower_bound(names.begin(), names.end(), open + 1);
    if (n == names.end()) break;
    if (i + 1 < opens.size() && opens[i + 1] < *n) continue;  // [^{]*? cannot pass a '{'
    const std::size_t brace = first_from(params, *n + 7);
    if (brace == none) continue;
    const std::size_t end = first_from(closes, brace + 1);
    if (end == none) continue;
    out.push_back(s.substr(open, end - open));
    from = end;
  }
  return out;
}

class ReactEn : public AgentTemplate {
 public:
  std::string name() const override { return "react_en"; }

  std::string format_tools(const std::vector<ojson>& tools,
                           const std::optional<std::string>&,
                           std::string*) const override {
    std::vector<std::string> names, descs;
    for (const auto& t : tools) {
      ojson tool = unwrap_tool(t);
      const ojson* n = tool_name(tool);
      const ojson* human = field(tool, "name_for_human");
      if (!truthy(human)) human = n;
      const ojson* desc = field(tool, "description");
      if (desc == nullptr || desc->is_null()) desc = field(tool, "description_for_model");
      SWIFT_CHECK(n != nullptr && !n->is_null() && desc != nullptr && !desc->is_null(),
                  "[template] a tool needs a name and a description: {}",
                  tool.dump().substr(0, 200));
      const ojson* params = field(tool, "parameters");
      std::string p = !truthy(params)       ? "{}"
                      : params->is_string() ? params->get<std::string>()
                                            : python_json(*params);
      names.push_back(py_str(*n));
      const std::string h = py_str(*human);
      descs.push_back(names.back() + ": Call this tool to interact with the " + h +
                      " API. What is the " + h + " API useful for? " + py_str(*desc) +
                      " Parameters: " + p + " Format the arguments as a JSON object.");
    }
    std::string out =
        "Answer the following questions as best you can. You have access to the following "
        "tools:\n\n";
    for (std::size_t i = 0; i < descs.size(); ++i) out += (i ? "\n\n" : "") + descs[i];
    std::string joined;
    for (std::size_t i = 0; i < names.size(); ++i) joined += (i ? "," : "") + names[i];
    out +=
        "\n\nUse the following format:\n\n"
        "Question: the input question you must answer\n"
        "Thought: you should always think about what to do\n"
        "Action: the action to take, should be one of [" +
        joined +
        "]\n"
        "Action Input: the input to the action\n"
        "Observation: the result of the action\n"
        "... (this Thought/Action/Action Input/Observation can be repeated zero or more times)\n"
        "Thought: I now know the final answer\n"
        "Final Answer: the final answer to the original input question\n\n"
        "Begin!\n";
    return out;
  }

  std::string format_standalone_tool_responses(const std::vector<std::string>& results,
                                               const TemplateMeta&) const override {
    std::string out;
    for (const auto& r : results) out += std::string("\n") + kObservation + "\n" + r;
    return out;
  }
};

class Hermes : public AgentTemplate {
 public:
  std::string name() const override { return "hermes"; }

  std::string format_tools(const std::vector<ojson>& tools,
                           const std::optional<std::string>& system,
                           std::string*) const override {
    // ms-swift writes "{system}\n\n# Tools" even when the system is empty; the Qwen chat
    // templates (and so transformers and vLLM) start with "# Tools" then, which we follow.
    std::string out = system && !system->empty() ? *system + "\n\n" : "";
    out +=
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n";
    for (std::size_t i = 0; i < tools.size(); ++i) out += (i ? "\n" : "") + python_json(tools[i]);
    out +=
        "\n</tools>\n\nFor each function call, return a json object with function name and "
        "arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
        "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
    return out;
  }

  std::string format_tool_calls(const std::vector<ojson>& calls) const override {
    std::string out;
    for (std::size_t i = 0; i < calls.size(); ++i)
      out +=
          (i ? "\n" : "") + std::string("<tool_call>\n") + python_json(calls[i]) + "\n</tool_call>";
    return out;
  }

  std::vector<ToolCall> parse_tool_calls(const std::string& response) const override {
    // <tool_call>(.+?)</tool_call>
    std::vector<ToolCall> calls;
    for (std::size_t p = response.find("<tool_call>"); p != std::string::npos;) {
      const std::size_t body = p + 11;
      const std::size_t close =
          body < response.size() ? response.find("</tool_call>", body + 1) : std::string::npos;
      if (close == std::string::npos) break;
      json_call(response.substr(body, close - body), "arguments", calls);
      p = response.find("<tool_call>", close + 12);
    }
    return calls.empty() ? AgentTemplate::parse_tool_calls(response) : calls;
  }

  std::vector<std::string> format_tool_responses(std::string& assistant,
                                                 const std::vector<std::string>& results,
                                                 const TemplateMeta& meta) const override {
    if (with_action(assistant)) return react_tool_responses(assistant, results);
    std::vector<std::string> res = meta.chat_sep;
    const std::string all = joined(results);
    for (const auto& p : meta.prompt) res.push_back(expand_query(p, all));
    return res;
  }

  std::string format_standalone_tool_responses(const std::vector<std::string>& results,
                                               const TemplateMeta& meta) const override {
    std::string out;
    for (const auto& s : meta.chat_sep) out += s;
    for (const auto& p : meta.prompt) {
      std::size_t q = p.find("{{QUERY}}");
      if (q != std::string::npos) return out + p.substr(0, q) + joined(results);
      out += p;
    }
    SWIFT_FAIL("[template] template '{}' has no {{{{QUERY}}}} in its prompt", meta.name);
  }

 private:
  static std::string joined(const std::vector<std::string>& results) {
    std::string all;
    for (std::size_t i = 0; i < results.size(); ++i)
      all += (i ? "\n" : "") + std::string("<tool_response>\n") + results[i] + "\n</tool_response>";
    return all;
  }
};

// GLM-4-0414 (ms-swift's GLM4AgentTemplate): tools as "## name" + indented JSON under
// "# 可用工具" (the system itself is not kept), calls as "name\n{arguments}" ending in
// <|observation|>, results after a newline up to the next <|assistant|>.
class Glm4 : public AgentTemplate {
 public:
  std::string name() const override { return "glm4"; }

  std::string format_tools(const std::vector<ojson>& tools,
                           const std::optional<std::string>&,
                           std::string*) const override {
    std::string out = "# 可用工具\n\n";
    for (std::size_t i = 0; i < tools.size(); ++i) {
      ojson tool = unwrap_tool(tools[i]);
      const ojson* n = tool_name(tool);
      SWIFT_CHECK(n != nullptr, "[template] a tool needs a name: {}", tool.dump().substr(0, 200));
      out += (i ? "\n" : "") + std::string("## ") + py_str(*n) + "\n\n" + python_json(tool, 4) +
             "\n在调用上述函数时，请使用 Json 格式表示调用的参数。";
    }
    return out;
  }

  std::string format_tool_calls(const std::vector<ojson>& calls) const override {
    std::string out;
    for (std::size_t i = 0; i < calls.size(); ++i)
      out += (i ? "<|assistant|>" : "") + py_str(calls[i]["name"]) + "\n" +
             py_str(calls[i]["arguments"]);
    return out + "<|observation|>";
  }

  std::vector<std::string> format_tool_responses(std::string& assistant,
                                                 const std::vector<std::string>& results,
                                                 const TemplateMeta&) const override {
    if (with_action(assistant)) return react_tool_responses(assistant, results);
    std::vector<std::string> res = {"\n"};
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (i > 0) res.emplace_back("<|observation|>\n");
      res.push_back(results[i]);
    }
    res.emplace_back("<|assistant|>\n");
    return res;
  }

  std::string format_standalone_tool_responses(const std::vector<std::string>& results,
                                               const TemplateMeta&) const override {
    std::string out;
    for (const auto& r : results) out += "<|observation|>\n" + r;
    return out;
  }

  // Each <|assistant|> part: ([^\n`]*?)\n({.*?})(?=\w*\n|$), the first match.
  std::vector<ToolCall> parse_tool_calls(const std::string& response) const override {
    std::vector<ToolCall> calls;
    std::size_t from = 0;
    while (from <= response.size()) {
      std::size_t next = response.find("<|assistant|>", from);
      std::string part = response.substr(from, next == std::string::npos ? next : next - from);
      for (std::size_t p; (p = part.find("<|observation|>")) != std::string::npos;)
        part.erase(p, 15);
      if (auto c = glm_call(part)) calls.push_back(*c);
      if (next == std::string::npos) break;
      from = next + 13;
    }
    return calls.empty() ? AgentTemplate::parse_tool_calls(response) : calls;
  }

 private:
  static bool word_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

  // The first (name, {arguments}) in `s`: a name line (no '`'), then a '{'...'}' that ends
  // right before optional word characters and a newline, or at the end.
  static std::optional<ToolCall> glm_call(const std::string& s) {
    // Every start within one line reaches the same newline; the leftmost that works begins
    // after the line's last '`'. So one try per line, and the text is scanned once.
    for (std::size_t line = 0; line < s.size();) {
      const std::size_t nl = s.find('\n', line);
      if (nl == std::string::npos) break;
      std::size_t start = line;
      for (std::size_t p = line; p < nl; ++p)
        if (s[p] == '`') start = p + 1;
      if (nl + 1 < s.size() && s[nl + 1] == '{') {
        // ({.*?}) then (?=\w*\n|$): the first '}' where the lookahead holds.
        for (std::size_t c = s.find('}', nl + 2); c != std::string::npos; c = s.find('}', c + 1)) {
          std::size_t q = c + 1;
          while (q < s.size() && word_char(static_cast<unsigned char>(s[q]))) ++q;
          if (c + 1 == s.size() || (q < s.size() && s[q] == '\n'))
            return ToolCall{strip_ws(s.substr(start, nl - start)),
                            strip_ws(s.substr(nl + 1, c - nl))};
        }
        return std::nullopt;  // no closing brace fits after this line: none fits after later ones
      }
      line = nl + 1;
    }
    return std::nullopt;
  }
};

class Llama3 : public AgentTemplate {
 public:
  std::string name() const override { return "llama3"; }

  std::string format_tools(const std::vector<ojson>& tools,
                           const std::optional<std::string>& system,
                           std::string* first_user) const override {
    SWIFT_CHECK(first_user != nullptr,
                "[template] the llama3 agent template writes the tools into the first user "
                "message, and the conversation has none");
    std::string descs;
    for (std::size_t i = 0; i < tools.size(); ++i)
      descs += (i ? "\n\n" : "") + python_json(tools[i], 4);
    *first_user =
        "Given the following functions, please respond with a JSON for a function call with its "
        "proper arguments that best answers the given prompt.\n\n"
        "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument "
        "name and its value}. Do not use variables.\n\n" +
        descs + "\n\n" + *first_user;
    return system.value_or("");
  }

  std::vector<ToolCall> parse_tool_calls(const std::string& response) const override {
    std::string r = response;
    const std::string eom = "<|eom_id|>";
    if (ends_with(r, eom)) r.resize(r.size() - eom.size());
    std::vector<ToolCall> calls;
    for (const auto& text : llama_call_texts(r)) json_call(text, "parameters", calls);
    return calls.empty() ? AgentTemplate::parse_tool_calls(r) : calls;
  }

  std::string format_tool_calls(const std::vector<ojson>& calls) const override {
    std::string out;
    for (std::size_t i = 0; i < calls.size(); ++i) {
      ojson c = {{"name", calls[i]["name"]}, {"parameters", calls[i]["arguments"]}};
      out += (i ? "\n" : "") + python_json(c);
    }
    return out;
  }

  std::vector<std::string> format_tool_responses(std::string& assistant,
                                                 const std::vector<std::string>& results,
                                                 const TemplateMeta&) const override {
    if (with_action(assistant)) return react_tool_responses(assistant, results);
    std::vector<std::string> res = {"<|eot_id|>"};
    for (const auto& r : results)
      res.push_back("<|start_header_id|>tool<|end_header_id|>\n\n" + r + "<|eot_id|>");
    res.emplace_back("<|start_header_id|>assistant<|end_header_id|>\n\n");
    return res;
  }
};

}  // namespace

std::string AgentTemplate::format_tool_calls(const std::vector<ojson>& calls) const {
  std::string out;
  for (const auto& c : calls)
    out += std::string(kAction) + " " + py_str(c["name"]) + "\n" + kActionInput + " " +
           py_str(c["arguments"]) + "\n";
  return out + kObservation;
}

// ReAct: "Action: name" then "Action Input: args" pairs, up to "Observation:".
std::vector<ToolCall> AgentTemplate::parse_tool_calls(const std::string& response) const {
  // The keywords in order of appearance (at one place the first listed wins, as in the
  // alternation ms-swift splits by), each with the text up to the next keyword.
  const std::string keys[] = {kAction, kActionInput, kObservation};
  std::vector<std::pair<int, std::size_t>> hits;  // (keyword, position)
  for (std::size_t p = 0; p < response.size();) {
    int k = 0;
    while (k < 3 && response.compare(p, keys[k].size(), keys[k]) != 0) ++k;
    if (k == 3) {
      ++p;
      continue;
    }
    hits.emplace_back(k, p);
    p += keys[k].size();
  }
  std::vector<ToolCall> out;
  std::optional<std::string> action;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const std::size_t start = hits[i].second + keys[hits[i].first].size();
    const std::size_t end = i + 1 < hits.size() ? hits[i + 1].second : response.size();
    const std::string content = response.substr(start, end - start);
    if (!action && hits[i].first == 0) {
      action = content;
    } else if (action && hits[i].first == 1) {
      out.push_back({strip_ws(*action), strip_ws(content)});
      action.reset();
    }
  }
  return out;
}

std::vector<std::string> AgentTemplate::format_tool_responses(
    std::string& assistant, const std::vector<std::string>& results, const TemplateMeta&) const {
  return react_tool_responses(assistant, results);
}

std::string AgentTemplate::format_standalone_tool_responses(const std::vector<std::string>&,
                                                            const TemplateMeta&) const {
  SWIFT_FAIL(
      "[template] agent template '{}' cannot take a tool result right after a user message "
      "(no assistant tool call before it); use hermes or react_en",
      name());
}

// {"name": ..., "arguments": {...}} from a tool_call message's content.
ojson parse_tool_call(const ojson& content) {
  ojson obj = parse_json_value(content, "a tool_call's content");
  SWIFT_CHECK(obj.is_object() && obj.contains("name"),
              "[template] a tool call must be an object with 'name' and 'arguments', got {}",
              obj.dump().substr(0, 200));
  ojson args = obj.value("arguments", ojson());
  if (args.is_null()) args = obj.value("parameters", ojson());
  args = parse_json_value(args, "a tool call's arguments");
  SWIFT_CHECK(!args.is_null(), "[template] tool call '{}' has no arguments", py_str(obj["name"]));
  return ojson{{"name", obj["name"]}, {"arguments", args}};
}

std::vector<std::string> agent_template_names() {
  return {"glm4", "hermes", "llama3", "react_en"};
}

std::unique_ptr<AgentTemplate> make_agent_template(const std::string& name) {
  if (name == "hermes") return std::make_unique<Hermes>();
  if (name == "react_en") return std::make_unique<ReactEn>();
  if (name == "llama3") return std::make_unique<Llama3>();
  if (name == "glm4") return std::make_unique<Glm4>();
  std::string known;
  for (const auto& n : agent_template_names()) known += (known.empty() ? "" : ", ") + n;
  SWIFT_FAIL("[template] agent template '{}' is not built; available: {}", name, known);
}

std::string python_json(const ojson& v, int indent) {
  jinja::JsonOptions o;
  o.indent = indent;
  return jinja::to_json(jinja::Value::from_json(v), o);
}

std::vector<ojson> parse_tools(const ojson& tools) {
  std::vector<ojson> out;
  if (tools.is_null()) return out;
  ojson t = parse_json_value(tools, "'tools'");
  if (!t.is_array()) t = ojson::array({t});
  for (const auto& item : t) {
    ojson tool = parse_json_value(item, "a tool schema");
    SWIFT_CHECK(tool.is_object(), "[template] each tool must be a JSON object, got {}",
                tool.dump().substr(0, 200));
    if (!tool.contains("type") && !tool.contains("function"))
      tool = ojson{{"type", "function"}, {"function", tool}};
    out.push_back(std::move(tool));
  }
  return out;
}

}  // namespace swift::tmpl

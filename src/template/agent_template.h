// ms-swift's agent templates (swift/agent_template): how tool schemas enter the prompt, how an
// assistant's tool calls are written, and how tool results come back into the conversation.
// Built: hermes (the Qwen family's default), react_en and llama3.
//
//   auto agent = make_agent_template("hermes");
//   std::string sys = agent->format_tools(tools, system, &first_user_content);
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "template/template_meta.h"

namespace swift::tmpl {

// A tool call parsed out of a generation: arguments as JSON text (OpenAI's function.arguments).
struct ToolCall {
  std::string name;
  std::string arguments;
};

class AgentTemplate {
 public:
  virtual ~AgentTemplate() = default;
  virtual std::string name() const = 0;

  // The system text with the tool schemas (`tools`: parsed, each wrapped as
  // {"type":"function","function":{...}}). llama3 writes them into the first user turn instead.
  virtual std::string format_tools(const std::vector<nlohmann::ordered_json>& tools,
                                   const std::optional<std::string>& system,
                                   std::string* first_user) const = 0;
  // One assistant text for consecutive calls, each {"name": ..., "arguments": {...}}.
  virtual std::string format_tool_calls(const std::vector<nlohmann::ordered_json>& calls) const;
  // Tool results after an assistant turn: may extend `assistant` (ReAct's "Observation:") and
  // returns the untrained text pieces that follow it, up to where the next response starts.
  virtual std::vector<std::string> format_tool_responses(std::string& assistant,
                                                         const std::vector<std::string>& results,
                                                         const TemplateMeta& meta) const;
  // Tool results right after a user turn (no assistant call before them): text appended to the
  // user's query.
  virtual std::string format_standalone_tool_responses(const std::vector<std::string>& results,
                                                       const TemplateMeta& meta) const;
  // The tool calls in a generated answer (none: an empty list). Every template also takes the
  // ReAct "Action: / Action Input:" form when its own finds nothing, as ms-swift does.
  virtual std::vector<ToolCall> parse_tool_calls(const std::string& response) const;
};

// Throws swift::Error naming the built agent templates for unknown names.
std::unique_ptr<AgentTemplate> make_agent_template(const std::string& name);
std::vector<std::string> agent_template_names();

// Python's json.dumps(v, ensure_ascii=False[, indent]) text, as ms-swift writes tool schemas.
std::string python_json(const nlohmann::ordered_json& v, int indent = -1);

// A tool_call message's content (a JSON string or an object) as {"name", "arguments"}; arguments
// may be given as "parameters" and as a JSON string.
nlohmann::ordered_json parse_tool_call(const nlohmann::ordered_json& content);

// A row's `tools` as ms-swift reads them: a JSON string of a list (or of one tool), or a list
// whose items may themselves be JSON strings; each wrapped as {"type":"function",...}.
std::vector<nlohmann::ordered_json> parse_tools(const nlohmann::ordered_json& tools);

}  // namespace swift::tmpl

// ms-swift templates as data: one TemplateMeta row per template (prefix, prompt, chat_sep,
// suffix, system prefix, default system, stop words, thinking prefixes), looked up by name, and
// the default template for a model_type / architecture. Strings may hold the placeholders
// {{SYSTEM}}, {{QUERY}}, {{BOS}}, {{EOS}} and {{DATE}} (today as "25 Nov 2026").
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace swift::tmpl {

struct TemplateMeta {
  std::string name;
  std::vector<std::string> prefix;
  std::vector<std::string> prompt;
  std::vector<std::string> chat_sep;  // empty with support_multi_round=false: single-round only
  std::vector<std::string> suffix;
  std::vector<std::string> system_prefix;  // empty: the template takes no system
  std::vector<std::string> system_prompt;  // non-empty: "post-system", system in the last round
  std::optional<std::string> default_system;
  bool support_multi_round = true;
  bool auto_add_bos = false;
  bool system_in_first_query = false;  // gemma3: "{system}\n\n" is prepended to the first query
  std::vector<std::string> stop_words;
  bool is_thinking = false;
  std::string thinking_prefix;          // inference prefix when thinking is on
  std::string non_thinking_prefix;      // hybrid templates: the empty think block
  std::string history_thinking_prefix;  // put before history answers whose thinking is removed
  std::string response_prefix;          // fixed inference prefix (overrides the thinking ones)
  std::string agent_template;  // default tool-call format ("" = none: --agent_template needed)
  bool strip_answer_newlines = false;  // gemma3: answers lose leading/trailing '\n'
  bool strip_prompt_newline =
      false;  // glm4: a generation prompt ending "<|assistant|>\n" drops '\n'
};

const TemplateMeta& get_template_meta(const std::string& name);  // throws on unknown names
std::vector<std::string> template_names();

// The template ms-swift uses by default for a model (model_type first, then architectures);
// throws with the list of known model types when nothing matches.
std::string template_for_model(const std::string& model_type,
                               const std::vector<std::string>& architectures = {});

}  // namespace swift::tmpl

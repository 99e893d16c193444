// The template table (strings as in ms-swift's swift/template/templates/*.py) and the
// model_type -> template table. Adding a template is adding a row here.
#include "template/template_meta.h"

#include <map>

#include "core/error.h"
#include "core/strings.h"

namespace swift::tmpl {
namespace {

const char* kLlamaSystem =
    "You are a helpful, respectful and honest assistant. Always answer as helpfully as "
    "possible, while being safe. Your answers should not include any harmful, unethical, "
    "racist, sexist, toxic, dangerous, or illegal content. Please ensure that your responses "
    "are socially unbiased and positive in nature.\n\nIf a question does not make any sense, "
    "or is not factually coherent, explain why instead of answering something not correct. If "
    "you don't know the answer to a question, please don't share false information.";

const char* kInternlmSystem =
    "You are an AI assistant whose name is InternLM (书生·浦语).\n"
    "- InternLM (书生·浦语) is a conversational language model that is developed by Shanghai AI "
    "Laboratory (上海人工智能实验室). It is designed to be helpful, honest, and harmless.\n"
    "- InternLM (书生·浦语) can understand and communicate fluently in the language chosen by "
    "the user such as English and 中文.";

TemplateMeta chatml(const std::string& name) {
  TemplateMeta m;
  m.name = name;
  m.prompt = {"<|im_start|>user\n{{QUERY}}<|im_end|>\n<|im_start|>assistant\n"};
  m.chat_sep = {"<|im_end|>\n"};
  // ms-swift (since its PR #6656) ends chatml answers with "<|im_end|>\n", both tokens trained.
  m.suffix = {"<|im_end|>\n"};
  m.system_prefix = {"<|im_start|>system\n{{SYSTEM}}<|im_end|>\n"};
  return m;
}

TemplateMeta qwen(const std::string& name, std::optional<std::string> system) {
  TemplateMeta m = chatml(name);
  m.default_system = std::move(system);
  m.stop_words = {"<|endoftext|>"};
  m.agent_template = "hermes";
  return m;
}

std::map<std::string, TemplateMeta> build_table() {
  std::map<std::string, TemplateMeta> t;
  auto add = [&](TemplateMeta m) { t[m.name] = std::move(m); };

  TemplateMeta cm = chatml("chatml");
  cm.auto_add_bos = true;
  add(cm);
  add(qwen("qwen", "You are a helpful assistant."));
  add(qwen("qwen2_5", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."));
  TemplateMeta q3 = qwen("qwen3", std::nullopt);
  q3.is_thinking = true;
  q3.non_thinking_prefix = "<think>\n\n</think>\n\n";
  add(q3);
  TemplateMeta q3t = qwen("qwen3_thinking", std::nullopt);
  q3t.is_thinking = true;
  q3t.thinking_prefix = "<think>\n";
  add(q3t);
  add(qwen("qwen3_nothinking", std::nullopt));

  TemplateMeta llama;
  llama.name = "llama";
  llama.prefix = {"{{BOS}}[INST] "};
  llama.prompt = {"{{QUERY}} [/INST]"};
  llama.chat_sep = {"{{EOS}}{{BOS}}[INST] "};
  llama.suffix = {"{{EOS}}"};
  llama.system_prefix = {"{{BOS}}[INST] <<SYS>>\n{{SYSTEM}}\n<</SYS>>\n\n"};
  llama.default_system = kLlamaSystem;
  add(llama);

  TemplateMeta l3;
  l3.name = "llama3";
  l3.prefix = {"<|begin_of_text|>"};
  l3.prompt = {
      "<|start_header_id|>user<|end_header_id|>\n\n{{QUERY}}<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n"};
  l3.chat_sep = {"<|eot_id|>"};
  l3.suffix = {"<|eot_id|>"};
  l3.agent_template = "llama3";
  l3.system_prefix = {
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{{SYSTEM}}<|eot_id|>"};
  add(l3);
  // llama3_2: the date block is always there; without a system it closes empty.
  TemplateMeta l32 = l3;
  l32.name = "llama3_2";
  l32.system_prefix = {
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
      "Cutting Knowledge Date: December 2023\nToday Date: {{DATE}}\n\n{{SYSTEM}}<|eot_id|>"};
  l32.prefix = {
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
      "Cutting Knowledge Date: December 2023\nToday Date: {{DATE}}\n\n<|eot_id|>"};
  add(l32);

  TemplateMeta def;
  def.name = "default";
  def.prompt = {"### Human:\n{{QUERY}}\n\n### Assistant:\n"};
  def.chat_sep = {"\n\n"};
  def.suffix = {"{{EOS}}"};
  def.system_prefix = {"{{SYSTEM}}\n\n"};
  def.default_system = "You are a helpful assistant.";
  def.auto_add_bos = true;
  add(def);

  TemplateMeta gemma;
  gemma.name = "gemma";
  gemma.prefix = {"{{BOS}}"};
  gemma.prompt = {"<start_of_turn>user\n{{QUERY}}<end_of_turn>\n<start_of_turn>model\n"};
  gemma.chat_sep = {"<end_of_turn>\n"};
  gemma.suffix = {"<end_of_turn>"};
  gemma.system_prefix = {"{{BOS}}<start_of_turn>system\n{{SYSTEM}}<end_of_turn>\n"};
  add(gemma);
  TemplateMeta g3 = gemma;
  g3.name = "gemma3_text";
  g3.system_prefix = {};
  g3.system_in_first_query = true;
  g3.strip_answer_newlines = true;
  add(g3);

  TemplateMeta phi3;
  phi3.name = "phi3";
  phi3.prompt = {"<|user|>\n{{QUERY}}<|end|>\n<|assistant|>\n"};
  phi3.chat_sep = {"<|end|>\n"};
  phi3.suffix = {"<|end|>"};
  phi3.system_prefix = {"<|system|>\n{{SYSTEM}}<|end|>\n"};
  phi3.auto_add_bos = true;
  add(phi3);
  TemplateMeta phi4;
  phi4.name = "phi4";
  phi4.prompt = {"<|im_start|>user<|im_sep|>{{QUERY}}<|im_end|><|im_start|>assistant<|im_sep|>"};
  phi4.chat_sep = {"<|im_end|>"};
  phi4.suffix = {"<|im_end|>"};
  phi4.system_prefix = {"<|im_start|>system<|im_sep|>{{SYSTEM}}<|im_end|>"};
  phi4.auto_add_bos = true;
  add(phi4);

  TemplateMeta glm4;
  glm4.name = "glm4";
  glm4.prefix = {"[gMASK]<sop>"};
  glm4.prompt = {"<|user|>\n{{QUERY}}<|assistant|>\n"};
  glm4.chat_sep = {};
  glm4.suffix = {"<|user|>"};
  glm4.system_prefix = {"[gMASK]<sop><|system|>\n{{SYSTEM}}"};
  glm4.stop_words = {"<|endoftext|>", "<|user|>", "<|observation|>"};
  glm4.auto_add_bos = true;
  glm4.thinking_prefix = "<think>";
  glm4.strip_prompt_newline = true;
  glm4.agent_template = "glm4";
  add(glm4);

  TemplateMeta ds;
  ds.name = "deepseek_v2_5";
  ds.prefix = {"<｜begin▁of▁sentence｜>"};
  ds.prompt = {"<｜User｜>{{QUERY}}<｜Assistant｜>"};
  ds.chat_sep = {"<｜end▁of▁sentence｜>"};
  ds.suffix = {"<｜end▁of▁sentence｜>"};
  ds.system_prefix = {"<｜begin▁of▁sentence｜>{{SYSTEM}}"};
  add(ds);
  TemplateMeta r1 = ds;
  r1.name = "deepseek_r1";
  r1.is_thinking = true;
  r1.thinking_prefix = "<think>\n";
  add(r1);

  TemplateMeta nemo;
  nemo.name = "mistral_nemo";
  nemo.prefix = {"<s>[INST] "};
  nemo.prompt = {"{{QUERY}}[/INST]"};
  nemo.chat_sep = {"</s>[INST] "};
  nemo.suffix = {"</s>"};
  nemo.system_prompt = {"{{SYSTEM}}\n\n", "{{QUERY}}[/INST]"};
  add(nemo);

  TemplateMeta il = chatml("internlm2");
  il.prefix = {"{{BOS}}"};
  il.system_prefix = {"{{BOS}}<|im_start|>system\n{{SYSTEM}}<|im_end|>\n"};
  il.default_system = kInternlmSystem;
  add(il);
  return t;
}

const std::map<std::string, TemplateMeta>& table() {
  static const std::map<std::string, TemplateMeta> t = build_table();
  return t;
}

}  // namespace

const TemplateMeta& get_template_meta(const std::string& name) {
  auto it = table().find(name);
  if (it == table().end()) {
    std::string near = str::closest(name, template_names());
    SWIFT_FAIL("[template] unknown template '{}'{}; known: {}", name,
               near.empty() ? "" : " (did you mean '" + near + "'?)",
               fmt::join(template_names(), ", "));
  }
  return it->second;
}

std::vector<std::string> template_names() {
  std::vector<std::string> names;
  for (const auto& [k, v] : table()) names.push_back(k);
  return names;
}

std::string template_for_model(const std::string& model_type,
                               const std::vector<std::string>& architectures) {
  static const std::map<std::string, std::string> by_type = {{"qwen", "qwen"},
                                                             {"qwen2", "qwen2_5"},
                                                             {"qwen2_moe", "qwen"},
                                                             {"qwen3", "qwen3"},
                                                             {"qwen3_moe", "qwen3"},
                                                             {"llama", "llama3"},
                                                             {"mistral", "llama"},
                                                             {"mixtral", "llama"},
                                                             {"gemma", "gemma"},
                                                             {"gemma2", "gemma"},
                                                             {"gemma3_text", "gemma3_text"},
                                                             {"phi3", "phi3"},
                                                             {"phi4", "phi4"},
                                                             {"glm4", "glm4"},
                                                             {"deepseek_v2", "deepseek_v2_5"},
                                                             {"deepseek_v3", "deepseek_v2_5"},
                                                             {"internlm2", "internlm2"},
                                                             {"internlm3", "internlm2"},
                                                             {"yi", "chatml"},
                                                             {"mistral_nemo", "mistral_nemo"}};
  auto it = by_type.find(model_type);
  if (it != by_type.end()) return it->second;
  static const std::map<std::string, std::string> by_arch = {
      {"Qwen2ForCausalLM", "qwen2_5"},
      {"Qwen3ForCausalLM", "qwen3"},
      {"Qwen3MoeForCausalLM", "qwen3"},
      {"LlamaForCausalLM", "llama3"},
      {"MistralForCausalLM", "llama"},
      {"MixtralForCausalLM", "llama"},
      {"Gemma2ForCausalLM", "gemma"},
      {"Gemma3ForCausalLM", "gemma3_text"},
      {"Phi3ForCausalLM", "phi3"},
      {"Glm4ForCausalLM", "glm4"},
      {"DeepseekV3ForCausalLM", "deepseek_v2_5"},
      {"InternLM2ForCausalLM", "internlm2"}};
  for (const auto& a : architectures) {
    auto ai = by_arch.find(a);
    if (ai != by_arch.end()) return ai->second;
  }
  SWIFT_FAIL("[template] no default template for model_type '{}'; pass --template (one of: {})",
             model_type, fmt::join(template_names(), ", "));
}

}  // namespace swift::tmpl

// ms-swift templates. (1) Inference prompts equal the model's own HF chat_template rendering
// (transformers goldens in tests/data/templates/hf) on every golden conversation that ends with
// a user turn and has no tools, with the same thinking setting. (2) Label masks follow
// ms-swift's documented rules (reference/ms-swift-spec.md §3.3): system/user/template text is
// -100; loss_scale default trains every assistant response plus the final suffix, and history
// turns' end token through dynamic EOS; last_round trains only the last response + suffix; all
// trains everything; labels[0] is -100; truncation delete/left/right. Expected sequences are
// built from the template's documented pieces, tokenized by the real tokenizer.
#include <gtest/gtest.h>

#include "common/jsonl.h"
#include "common/test_assets.h"

#include <sys/stat.h>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "template/agent_template.h"
#include "template/loss_scale.h"
#include "template/swift_template.h"

namespace {

using json = nlohmann::ordered_json;
using namespace swift::tmpl;

std::string data(const std::string& rel) {
  return std::string(SWIFT_SOURCE_DIR) + "/tests/data/templates/" + rel;
}

std::vector<json> read_jsonl(const std::string& path) {
  return swift::testing::read_jsonl<json>(path);
}

swift::tok::TokenizerConfig load_config(const std::string& name) {
  std::ifstream f(data("hf/" + name + ".tokenizer_config.json"));
  json j = json::parse(f);
  swift::tok::TokenizerConfig cfg;
  auto str = [&](const char* k) { return j[k].is_string() ? j[k].get<std::string>() : ""; };
  cfg.bos_token = str("bos_token");
  cfg.eos_token = str("eos_token");
  cfg.pad_token = str("pad_token");
  cfg.unk_token = str("unk_token");
  return cfg;
}

TEST(SwiftTemplate, InferencePromptEqualsHfChatTemplate) {
  const std::map<std::string, std::string> model_type = {{"qwen3", "qwen3"},
                                                         {"llama3", "llama"},
                                                         {"gemma3", "gemma3_text"},
                                                         {"deepseek_v3", "deepseek_v3"}};
  std::map<std::string, json> convs;
  for (auto& c : read_jsonl(data("chat_conversations.jsonl"))) convs[c["id"]] = c;
  int total = 0;
  for (const auto& [tok_name, mt] : model_type) {
    SwiftTemplate t(get_template_meta(template_for_model(mt)), nullptr, load_config(tok_name));
    int n = 0, ok = 0;
    for (const auto& row : read_jsonl(data("hf/" + tok_name + ".chat.jsonl"))) {
      const json& conv = convs.at(row["id"].get<std::string>());
      const json& msgs = conv["messages"];
      // Tools: Qwen3's chat template writes them as ms-swift's hermes agent template does;
      // the Llama-3.0, Gemma-3 and DeepSeek-V3 chat templates here drop the schemas (and
      // Llama's the calls), where ms-swift's agent templates write them, so those differ by
      // design.
      const bool tools = conv.contains("tools");
      bool eligible = row["add_generation_prompt"].get<bool>() && row.contains("text") &&
                      (!tools || tok_name == "qwen3") &&
                      (msgs.back()["role"] == "user" || msgs.back()["role"] == "tool") &&
                      !(msgs.size() >= 2 && msgs[msgs.size() - 2]["role"] == "user");
      if (!eligible) continue;
      EncodeOptions o;
      o.mode = Mode::kInfer;
      if (tools) o.tools = conv["tools"];
      // HF without enable_thinking means the template's own default (thinking on for Qwen3);
      // ms-swift's default for hybrid templates is off, so state it explicitly there.
      if (row["kwargs"].contains("enable_thinking"))
        o.enable_thinking = row["kwargs"]["enable_thinking"].get<bool>();
      else if (t.meta().is_thinking)
        o.enable_thinking = true;
      std::string got = t.render(msgs, o);
      ++n;
      ok += got == row["text"].get<std::string>();
      EXPECT_EQ(got, row["text"].get<std::string>())
          << tok_name << " " << row["id"] << " kwargs=" << row["kwargs"].dump();
    }
    std::cout << tok_name << " (" << t.meta().name << ") prompt exact=" << ok << "/" << n << "\n";
    EXPECT_GE(n, tok_name == "qwen3" ? 12 : 8) << tok_name;
    total += n;
  }
  EXPECT_GE(total, 32);
}

// Conversations ending with an answer: ms-swift's training text (last_round, so history
// answers carry no empty think block) equals the HF chat template's full rendering for Qwen3
// and DeepSeek-V3. Not compared: rows whose content the HF template rewrites (Qwen3 strips the
// answer's leading newlines and reads `reasoning_content`, which ms-swift's native templates
// ignore); Llama-3 (this chat template always appends a generation prompt) and Gemma-3 (it trims
// every message and ends turns with "\n", ms-swift's suffix does not).
TEST(SwiftTemplate, TrainingTextEqualsHfChatTemplate) {
  std::map<std::string, json> convs;
  for (auto& c : read_jsonl(data("chat_conversations.jsonl"))) convs[c["id"]] = c;
  int n = 0;
  for (const auto& [tok_name, mt] :
       std::map<std::string, std::string>{{"qwen3", "qwen3"}, {"deepseek_v3", "deepseek_v3"}}) {
    SwiftTemplate t(get_template_meta(template_for_model(mt)), nullptr, load_config(tok_name));
    for (const auto& row : read_jsonl(data("hf/" + tok_name + ".chat.jsonl"))) {
      const std::string id = row["id"];
      const json& msgs = convs.at(id)["messages"];
      if (row["add_generation_prompt"].get<bool>() || !row.contains("text") ||
          msgs.back()["role"] != "assistant")
        continue;
      if (tok_name == "qwen3" && (id == "whitespace" || id == "reasoning_field")) continue;
      EncodeOptions o;
      o.loss_scale = "last_round";
      if (row["kwargs"].contains("enable_thinking"))
        o.enable_thinking = row["kwargs"]["enable_thinking"].get<bool>();
      EXPECT_EQ(t.render(msgs, o), row["text"].get<std::string>()) << tok_name << " " << id;
      ++n;
    }
  }
  EXPECT_EQ(n, 12);
}

TEST(SwiftTemplate, SystemPriority) {
  SwiftTemplate t(get_template_meta("qwen"), nullptr);
  json user_only = json::array({{{"role", "user"}, {"content", "Q"}}});
  json with_sys =
      json::array({{{"role", "system"}, {"content", "ROW"}}, {{"role", "user"}, {"content", "Q"}}});
  EncodeOptions o;
  o.mode = Mode::kInfer;
  auto sys_of = [](const std::string& s) { return s.substr(0, s.find("<|im_end|>")); };
  EXPECT_EQ(sys_of(t.render(user_only, o)), "<|im_start|>system\nYou are a helpful assistant.");
  o.system = "CLI";
  EXPECT_EQ(sys_of(t.render(user_only, o)), "<|im_start|>system\nCLI");
  EXPECT_EQ(sys_of(t.render(with_sys, o)), "<|im_start|>system\nROW");
  // An empty system drops the system block entirely.
  o.system = "";
  EXPECT_EQ(t.render(user_only, o), "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n");
}

TEST(SwiftTemplate, ThinkingPrefixes) {
  json msgs = json::array({{{"role", "user"}, {"content", "Q"}}});
  EncodeOptions o;
  o.mode = Mode::kInfer;
  SwiftTemplate hybrid(get_template_meta("qwen3"), nullptr);
  // Hybrid templates default to enable_thinking=False (ms-swift >= 4.3.1).
  EXPECT_EQ(hybrid.render(msgs, o),
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
  o.enable_thinking = true;
  EXPECT_EQ(hybrid.render(msgs, o), "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n");
  o.response_prefix = "PFX";
  EXPECT_EQ(hybrid.render(msgs, o), "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nPFX");
  EncodeOptions d;
  d.mode = Mode::kInfer;
  SwiftTemplate thinking(get_template_meta("qwen3_thinking"), nullptr);
  EXPECT_EQ(thinking.render(msgs, d),
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n");
}

TEST(SwiftTemplate, ModelTypeTableAndErrors) {
  EXPECT_EQ(template_for_model("qwen3"), "qwen3");
  EXPECT_EQ(template_for_model("qwen2"), "qwen2_5");
  EXPECT_EQ(template_for_model("llama"), "llama3");
  EXPECT_EQ(template_for_model("gemma3_text"), "gemma3_text");
  EXPECT_EQ(template_for_model("deepseek_v3"), "deepseek_v2_5");
  EXPECT_EQ(template_for_model("x", {"Qwen3ForCausalLM"}), "qwen3");
  EXPECT_THROW(template_for_model("nope"), swift::Error);
  EXPECT_THROW(get_template_meta("qwen4"), swift::Error);
  for (const char* n :
       {"chatml", "qwen", "qwen2_5", "qwen3", "qwen3_thinking", "qwen3_nothinking", "llama",
        "llama3", "llama3_2", "default", "gemma", "gemma3_text", "phi3", "phi4", "glm4",
        "deepseek_v2_5", "deepseek_r1", "mistral_nemo", "internlm2"})
    EXPECT_NO_THROW(get_template_meta(n)) << n;
  // A template without a system slot refuses a system prompt instead of dropping it.
  TemplateMeta no_sys = get_template_meta("phi4");
  no_sys.system_prefix.clear();
  SwiftTemplate t(no_sys, nullptr);
  json msgs =
      json::array({{{"role", "system"}, {"content", "S"}}, {{"role", "user"}, {"content", "Q"}}});
  EncodeOptions o;
  o.mode = Mode::kInfer;
  EXPECT_THROW(t.render(msgs, o), swift::Error);
  // Training rows must end with an assistant answer.
  EncodeOptions tr;
  EXPECT_THROW(t.render(json::array({{{"role", "user"}, {"content", "Q"}}}), tr), swift::Error);
}

// Template rows checked against ms-swift's registrations (swift/template/templates/*.py).
TEST(SwiftTemplate, TemplateRowsFollowMsSwift) {
  EncodeOptions inf;
  inf.mode = Mode::kInfer;
  json q = json::array({{{"role", "user"}, {"content", "Q"}}});
  // llama3_2: the dated system block is there even without a system.
  char date[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(date, sizeof(date), "%d %b %Y", &tm);
  SwiftTemplate l32(get_template_meta("llama3_2"), nullptr);
  EXPECT_EQ(l32.render(q, inf),
            std::string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        "Cutting Knowledge Date: December 2023\nToday Date: ") +
                date +
                "\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // mistral_nemo: "[INST] " after BOS and each separator; the system joins the last query.
  SwiftTemplate nemo(get_template_meta("mistral_nemo"), nullptr);
  json multi = json::array({{{"role", "system"}, {"content", "S"}},
                            {{"role", "user"}, {"content", "Q1"}},
                            {{"role", "assistant"}, {"content", "R1"}},
                            {{"role", "user"}, {"content", "Q2"}}});
  EXPECT_EQ(nemo.render(multi, inf), "<s>[INST] Q1[/INST]R1</s>[INST] S\n\nQ2[/INST]");
  EXPECT_EQ(nemo.render(q, inf), "<s>[INST] Q[/INST]");
  // glm4: the generation prompt ends at "<|assistant|>".
  SwiftTemplate glm(get_template_meta("glm4"), nullptr);
  EXPECT_EQ(glm.render(q, inf), "[gMASK]<sop><|user|>\nQ<|assistant|>");
  // gemma3_text: answers lose their leading and trailing newlines.
  SwiftTemplate g3(get_template_meta("gemma3_text"), nullptr, load_config("gemma3"));
  json a = json::array(
      {{{"role", "user"}, {"content", "Q"}}, {{"role", "assistant"}, {"content", "\n\nA\n"}}});
  EXPECT_EQ(g3.render(a, EncodeOptions()),
            "<bos><start_of_turn>user\nQ<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>");
  // llama (Llama-2): ms-swift's default system.
  SwiftTemplate l2(get_template_meta("llama"), nullptr, load_config("llama2"));
  EXPECT_EQ(l2.render(q, inf).rfind("<s>[INST] <<SYS>>\nYou are a helpful, respectful and honest "
                                    "assistant.",
                                    0),
            0u);
}

TEST(SwiftTemplate, ToolCallsParsedFromGenerations) {
  auto hermes = make_agent_template("hermes");
  auto calls = hermes->parse_tool_calls(
      "Let me check.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \" g \", \"arguments\": \" {} \"}\n</tool_call>");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "f");
  EXPECT_EQ(calls[0].arguments, "{\"x\": 1}");
  EXPECT_EQ(calls[1].name, "g");
  EXPECT_EQ(calls[1].arguments, "{}");
  // Not JSON inside the tags, and plain answers: no calls.
  EXPECT_TRUE(hermes->parse_tool_calls("<tool_call>oops</tool_call>").empty());
  EXPECT_TRUE(hermes->parse_tool_calls("The weather is fine.").empty());
  // Every template falls back to the ReAct form.
  calls = hermes->parse_tool_calls("Thought: t\nAction: f\nAction Input: {\"a\": 1}\nObservation:");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "f");
  EXPECT_EQ(calls[0].arguments, "{\"a\": 1}");
  auto llama = make_agent_template("llama3");
  calls = llama->parse_tool_calls("{\"name\": \"f\", \"parameters\": {\"x\": \"y\"}}<|eom_id|>");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "f");
  EXPECT_EQ(calls[0].arguments, "{\"x\": \"y\"}");
}

// glm4 (GLM-4-0414): its own agent template, and the prompt before a tool call (and the
// generation prompt) loses its newline, as ms-swift's GLM4Template writes it.
TEST(SwiftTemplate, Glm4AgentTemplate) {
  SwiftTemplate t(get_template_meta("glm4"), nullptr);
  json conv = json::parse(R"([{"role": "user", "content": "Q"},
    {"role": "tool_call", "content": {"name": "f", "arguments": {"x": "y"}}},
    {"role": "tool", "content": "R"}, {"role": "assistant", "content": "A"}])");
  EncodeOptions o;
  o.tools = json::array({{{"name", "f"}, {"description", "d"}, {"parameters", json::object()}}});
  const std::string head =
      "[gMASK]<sop><|system|>\n# 可用工具\n\n## f\n\n{\n    \"name\": \"f\",\n    "
      "\"description\": \"d\",\n    \"parameters\": {}\n}\n在调用上述函数时，请使用 Json "
      "格式表示调用的参数。<|user|>\nQ<|assistant|>f\n{'x': 'y'}<|observation|>\nR<|assistant|>";
  EXPECT_EQ(t.render(conv, o), head + "\nA<|user|>");
  EncodeOptions inf = o;
  inf.mode = Mode::kInfer;
  conv.erase(conv.size() - 1);
  EXPECT_EQ(t.render(conv, inf), head);
  auto glm = make_agent_template("glm4");
  auto calls = glm->parse_tool_calls(
      "get_weather\n{\"city\": \"Paris\"}<|assistant|>g\n{\"b\": 2}<|observation|>");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "get_weather");
  EXPECT_EQ(calls[0].arguments, "{\"city\": \"Paris\"}");
  EXPECT_EQ(calls[1].name, "g");
  EXPECT_TRUE(glm->parse_tool_calls("no call here\nat all").empty());
  EXPECT_TRUE(glm->parse_tool_calls(std::string(1 << 20, '\n') + "{").empty());
}

// Long answers and generations stay linear and never recurse per character.
TEST(SwiftTemplate, LongTextsInLossScalesAndToolCallParsing) {
  const std::string big(1 << 20, 'x');
  const std::string call =
      "<tool_call>{\"name\": \"f\", \"arguments\": \"" + big + "\"}</tool_call>";
  auto pieces = apply_loss_scale(parse_loss_scale("hermes+ignore_empty_think"),
                                 "<think>" + std::string(1 << 20, '\n') + "</think>\n" + call);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].second, 0.f);  // the empty think block
  EXPECT_EQ(pieces[1].first, call);
  EXPECT_EQ(pieces[1].second, 2.f);
  auto calls = make_agent_template("hermes")->parse_tool_calls(call);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].arguments.size(), big.size());
  const std::string braces(1 << 20, '{');
  EXPECT_TRUE(make_agent_template("llama3")->parse_tool_calls(braces + "\"name\":").empty());
  EXPECT_TRUE(make_agent_template("hermes")->parse_tool_calls(braces).empty());
  auto react = apply_loss_scale(parse_loss_scale("react"), "Action:" + big);
  ASSERT_EQ(react.size(), 2u);
  EXPECT_EQ(react[1].first.size(), big.size());
}

TEST(SwiftTemplate, HybridTemplatesIgnoreEmptyThinkByDefault) {
  EXPECT_EQ(resolve_loss_scale(get_template_meta("qwen3"), "default"),
            "default+ignore_empty_think");
  EXPECT_EQ(resolve_loss_scale(get_template_meta("qwen3"), "last_round+hermes"),
            "last_round+hermes+ignore_empty_think");
  EXPECT_EQ(resolve_loss_scale(get_template_meta("qwen3"), "default", true), "default");
  EXPECT_EQ(resolve_loss_scale(get_template_meta("qwen3_thinking"), "default"), "default");
  EXPECT_EQ(resolve_loss_scale(get_template_meta("qwen2_5"), "all"), "all");
}

TEST(SwiftTemplate, StopWords) {
  SwiftTemplate t(get_template_meta("qwen3"), nullptr, load_config("qwen3"));
  auto s = t.stop_words();
  EXPECT_EQ(s.front(), "<|im_end|>");
  EXPECT_NE(std::find(s.begin(), s.end(), "<|endoftext|>"), s.end());
}

#if defined(SWIFT_TEMPLATE_HAS_TOKENIZER)
std::shared_ptr<swift::tok::Tokenizer> qwen3_tokenizer() {
  std::string dir = swift::testing::tokenizer_asset_dir("qwen3");
  struct stat st {};
  if (stat((dir + "/tokenizer.json").c_str(), &st) != 0) return nullptr;
  return swift::tok::Tokenizer::from_dir(dir);
}

#define NEED_TOKENIZER(tok)     \
  auto tok = qwen3_tokenizer(); \
  if (!tok) GTEST_SKIP() << "qwen3 tokenizer assets not downloaded"

class Expect {
 public:
  explicit Expect(const swift::tok::Tokenizer& t) : t_(t) {}
  Expect& add(const std::string& text, bool trained) {
    for (auto id : t_.encode(text, false)) {
      ids.push_back(id);
      labels.push_back(trained ? id : -100);
    }
    return *this;
  }
  std::vector<std::int32_t> ids, labels;

 private:
  const swift::tok::Tokenizer& t_;
};

json multi_conv() {
  return json::array({{{"role", "system"}, {"content", "Be brief."}},
                      {{"role", "user"}, {"content", "Hi"}},
                      {{"role", "assistant"}, {"content", "Hello! How can I help?"}},
                      {{"role", "user"}, {"content", "Tell me a joke."}},
                      {{"role", "assistant"}, {"content", "Why did the chicken cross the road?"}}});
}

const char* kP0 =
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>"
    "assistant\n";
const char* kP1 = "\n<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n";

TEST(SwiftTemplateLabels, DefaultTrainsAllResponsesAndDynamicEos) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  Encoded e = t.encode(multi_conv(), EncodeOptions());
  Expect x(*tok);
  x.add(kP0, false).add("Hello! How can I help?", true);
  // dynamic EOS: the history turn's end ("<|im_end|>\n", the suffix) is trained
  x.add("<|im_end|>\n", true);
  x.add(kP1 + 1, false).add("Why did the chicken cross the road?", true).add("<|im_end|>\n", true);
  EXPECT_EQ(e.input_ids, x.ids);
  EXPECT_EQ(e.labels, x.labels);
  EXPECT_TRUE(e.loss_scale.empty());  // binary weights: labels carry the mask
}

TEST(SwiftTemplateLabels, LastRoundTrainsOnlyTheLastAnswer) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  EncodeOptions o;
  o.loss_scale = "last_round";
  Encoded e = t.encode(multi_conv(), o);
  Expect x(*tok);
  x.add(kP0, false).add("Hello! How can I help?", false).add("<|im_end|>", false);
  x.add(kP1, false).add("Why did the chicken cross the road?", true).add("<|im_end|>\n", true);
  EXPECT_EQ(e.input_ids, x.ids);
  EXPECT_EQ(e.labels, x.labels);
}

TEST(SwiftTemplateLabels, AllTrainsEveryTokenButTheFirst) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  EncodeOptions o;
  o.loss_scale = "all";
  Encoded e = t.encode(multi_conv(), o);
  ASSERT_FALSE(e.labels.empty());
  EXPECT_EQ(e.labels[0], -100);
  for (std::size_t i = 1; i < e.labels.size(); ++i) EXPECT_EQ(e.labels[i], e.input_ids[i]) << i;
}

TEST(SwiftTemplateLabels, HybridThinkingPrefixAndIgnoreEmptyThink) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3"), tok);
  json conv = json::array(
      {{{"role", "user"}, {"content", "Hi"}}, {{"role", "assistant"}, {"content", "Hello"}}});
  const std::string p = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
  // add_non_thinking_prefix: answers without <think> get the empty think block, trained.
  Encoded e = t.encode(conv, EncodeOptions());
  Expect x(*tok);
  x.add(p, false).add("<think>\n\n</think>\n\nHello<|im_end|>\n", true);
  EXPECT_EQ(e.labels, x.labels);
  // +ignore_empty_think: the empty block is not trained.
  EncodeOptions o;
  o.loss_scale = "default+ignore_empty_think";
  Encoded f = t.encode(conv, o);
  Expect y(*tok);
  y.add(p + "<think>\n\n</think>\n\n", false).add("Hello<|im_end|>\n", true);
  EXPECT_EQ(f.input_ids, y.ids);
  EXPECT_EQ(f.labels, y.labels);
}

TEST(SwiftTemplateLabels, LastRoundDropsHistoryThinking) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3"), tok);
  json conv = json::array({{{"role", "user"}, {"content", "Solve 1+1"}},
                           {{"role", "assistant"}, {"content", "<think>\nOne.\n</think>\n\n2"}},
                           {{"role", "user"}, {"content", "And 2+2?"}},
                           {{"role", "assistant"}, {"content", "<think>\nTwo.\n</think>\n\n4"}}});
  EncodeOptions o;
  o.loss_scale = "last_round";
  std::string text = t.render(conv, o);
  EXPECT_EQ(text,
            "<|im_start|>user\nSolve 1+1<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n"
            "<|im_start|>user\nAnd 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\nTwo.\n"
            "</think>\n\n4<|im_end|>\n");
}

TEST(SwiftTemplateLabels, Truncation) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  Encoded full = t.encode(multi_conv(), EncodeOptions());
  EncodeOptions o;
  o.max_length = 5;
  EXPECT_THROW(t.encode(multi_conv(), o), MaxLengthError);
  o.truncation_strategy = "right";
  Encoded r = t.encode(multi_conv(), o);
  EXPECT_EQ(r.input_ids,
            std::vector<std::int32_t>(full.input_ids.begin(), full.input_ids.begin() + 5));
  EXPECT_EQ(r.labels, std::vector<std::int32_t>(full.labels.begin(), full.labels.begin() + 5));
  o.truncation_strategy = "left";
  Encoded l = t.encode(multi_conv(), o);
  EXPECT_EQ(l.input_ids, std::vector<std::int32_t>(full.input_ids.end() - 5, full.input_ids.end()));
  EXPECT_EQ(l.labels, std::vector<std::int32_t>(full.labels.end() - 5, full.labels.end()));
  o.max_length = static_cast<std::int64_t>(full.input_ids.size());
  o.truncation_strategy = "delete";
  EXPECT_NO_THROW(t.encode(multi_conv(), o));
}

// The tool conversation of the shared goldens, answered after the tool result.
json weather_tools() {
  return json::parse(
      R"([{"type": "function", "function": {"name": "get_weather", "description": "Get the weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}, "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}])");
}
json weather_conv() {
  return json::parse(R"([{"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function":
      {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "content": "{\"temp\": 21}"},
    {"role": "assistant", "content": "It is 21 C in Paris."}])");
}
// The system block transformers renders for these tools with Qwen3's chat template.
std::string qwen3_tools_system() {
  for (const auto& row : read_jsonl(data("hf/qwen3.chat.jsonl")))
    if (row["id"] == "tools" && row.contains("text")) {
      std::string t = row["text"];
      return t.substr(0, t.find("<|im_start|>user"));
    }
  return "";
}

TEST(SwiftTemplateLabels, HermesToolTurns) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  const std::string sys = qwen3_tools_system();
  ASSERT_FALSE(sys.empty());
  const std::string call =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call>";
  const std::string result =
      "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n"
      "<|im_start|>assistant\n";
  EncodeOptions o;
  o.tools = weather_tools().dump();  // ms-swift rows hold tools as a JSON string
  // default: the call and the answer are trained, the tool result is not; the call's end
  // token is trained through dynamic EOS.
  Encoded e = t.encode(weather_conv(), o);
  Expect x(*tok);
  x.add(sys + "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n", false);
  x.add(call, true).add("<|im_end|>\n", true).add(result, false);
  x.add("It is 21 C in Paris.", true).add("<|im_end|>\n", true);
  EXPECT_EQ(e.input_ids, x.ids);
  EXPECT_EQ(e.labels, x.labels);
  // last_round: the last user-or-tool turn starts the last round, so only the answer.
  o.loss_scale = "last_round";
  Encoded l = t.encode(weather_conv(), o);
  Expect y(*tok);
  y.add(sys + "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n", false);
  y.add(call, false).add("<|im_end|>\n", false).add(result, false);
  y.add("It is 21 C in Paris.", true).add("<|im_end|>\n", true);
  EXPECT_EQ(l.input_ids, y.ids);
  EXPECT_EQ(l.labels, y.labels);
  // ms-swift's own message forms give the same encoding: tool_call / tool_response roles
  // with JSON-string contents.
  json native = json::parse(R"([{"role": "user", "content": "Weather in Paris?"},
    {"role": "tool_call", "content": "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}"},
    {"role": "tool_response", "content": "{\"temp\": 21}"},
    {"role": "assistant", "content": "It is 21 C in Paris."}])");
  o.loss_scale = "default";
  EXPECT_EQ(t.encode(native, o).labels, e.labels);
}

TEST(SwiftTemplate, HermesParallelCallsAndStandaloneResults) {
  SwiftTemplate t(get_template_meta("qwen2_5"), nullptr);
  EncodeOptions o;
  o.mode = Mode::kInfer;
  o.system = "";
  json conv = json::parse(R"([{"role": "user", "content": "Q"},
    {"role": "tool_call", "content": {"name": "a", "arguments": {"x": 1}}},
    {"role": "tool_call", "content": {"name": "b", "parameters": "{\"y\": \"é\"}"}},
    {"role": "tool", "content": "r1"}, {"role": "tool", "content": {"ok": true}}])");
  EXPECT_EQ(t.render(conv, o),
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
            "<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n</tool_call>\n"
            "<tool_call>\n{\"name\": \"b\", \"arguments\": {\"y\": \"é\"}}\n</tool_call>"
            "<|im_end|>\n<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n"
            "<tool_response>\n{\"ok\": true}\n</tool_response><|im_end|>\n"
            "<|im_start|>assistant\n");
  // A tool result straight after a user turn joins that query as its own user block.
  json standalone = json::parse(R"([{"role": "user", "content": "Q"},
    {"role": "tool", "content": "R"}])");
  EXPECT_EQ(t.render(standalone, o),
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>user\n<tool_response>\nR\n"
            "</tool_response><|im_end|>\n<|im_start|>assistant\n");
  // With a system prompt the tools follow it after a blank line.
  o.system = "S";
  o.tools = json::array({{{"name", "f"}, {"description", "d"}, {"parameters", json::object()}}});
  json q = json::array({{{"role", "user"}, {"content", "Q"}}});
  EXPECT_EQ(t.render(q, o).rfind("<|im_start|>system\nS\n\n# Tools\n\nYou may call", 0), 0u);
  EXPECT_NE(t.render(q, o).find("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"f\", "
                                "\"description\": \"d\", \"parameters\": {}}}\n</tools>"),
            std::string::npos);
}

TEST(SwiftTemplate, ReactAndLlama3AgentTemplates) {
  json tools = json::array({{{"name", "f"}, {"description", "d"}, {"parameters", json::object()}}});
  json conv = json::parse(R"([{"role": "user", "content": "Q"},
    {"role": "tool_call", "content": {"name": "f", "arguments": {"x": "y"}}},
    {"role": "tool", "content": "R"}, {"role": "assistant", "content": "A"}])");
  EncodeOptions o;
  o.tools = tools;
  o.agent_template = "react_en";
  SwiftTemplate q(get_template_meta("qwen3_nothinking"), nullptr);
  // ReAct: the tool text replaces the system; calls are Action/Action Input lines (arguments
  // as Python prints them); the result follows "Observation:" inside the same answer.
  EXPECT_EQ(q.render(conv, o),
            "<|im_start|>system\nAnswer the following questions as best you can. You have "
            "access to the following tools:\n\nf: Call this tool to interact with the f API. "
            "What is the f API useful for? d Parameters: {} Format the arguments as a JSON "
            "object.\n\nUse the following format:\n\nQuestion: the input question you must "
            "answer\nThought: you should always think about what to do\nAction: the action to "
            "take, should be one of [f]\nAction Input: the input to the action\nObservation: "
            "the result of the action\n... (this Thought/Action/Action Input/Observation can be "
            "repeated zero or more times)\nThought: I now know the final answer\nFinal Answer: "
            "the final answer to the original input question\n\nBegin!\n<|im_end|>\n"
            "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nAction: f\nAction Input: "
            "{'x': 'y'}\nObservation:R\nA<|im_end|>\n");
  // llama3: the schemas go into the first user message; results are tool turns.
  o.agent_template.reset();
  SwiftTemplate l(get_template_meta("llama3"), nullptr);
  EXPECT_EQ(l.render(conv, o),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nGiven the following "
            "functions, please respond with a JSON for a function call with its proper "
            "arguments that best answers the given prompt.\n\nRespond in the format {\"name\": "
            "function name, \"parameters\": dictionary of argument name and its value}. Do not "
            "use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        "
            "\"name\": \"f\",\n        \"description\": \"d\",\n        \"parameters\": {}\n    "
            "}\n}\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": "
            "\"f\", \"parameters\": {\"x\": \"y\"}}<|eot_id|><|start_header_id|>tool"
            "<|end_header_id|>\n\nR<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
            "A<|eot_id|>");
  // Templates without a default agent template ask for one; bad calls are named.
  SwiftTemplate g(get_template_meta("gemma3_text"), nullptr);
  EXPECT_THROW(g.render(conv, o), swift::Error);
  o.agent_template = "hermes";
  EXPECT_NO_THROW(g.render(conv, o));
  o.agent_template = "nope";
  EXPECT_THROW(g.render(conv, o), swift::Error);
  o.agent_template = "hermes";
  json bad = conv;
  bad[1]["content"] = "not json";
  EXPECT_THROW(g.render(bad, o), swift::Error);
  bad[1]["content"] = json{{"arguments", json::object()}};
  EXPECT_THROW(g.render(bad, o), swift::Error);
  o.tools = "[{\"name\": ";
  EXPECT_THROW(g.render(conv, o), swift::Error);
  // Tools or call arguments nested without bound are refused before they are parsed.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  o.tools = deep;
  EXPECT_THROW(g.render(conv, o), swift::Error);
  o.tools = tools;
  bad[1]["content"] = "{\"name\": \"f\", \"arguments\": " + deep + "}";
  EXPECT_THROW(g.render(bad, o), swift::Error);
  EXPECT_TRUE(make_agent_template("hermes")
                  ->parse_tool_calls("<tool_call>{\"name\": \"f\", \"arguments\": " + deep +
                                     "}</tool_call>")
                  .empty());
}

// Token weights of an encoding, with the expected (text, weight) pieces tokenized one by one.
std::vector<float> weights_of(const swift::tok::Tokenizer& tok,
                              const std::vector<std::pair<std::string, float>>& pieces) {
  std::vector<float> w;
  for (const auto& [text, x] : pieces)
    for (std::size_t k = 0; k < tok.encode(text, false).size(); ++k) w.push_back(x);
  return w;
}

TEST(SwiftTemplateLabels, LossScaleModifiers) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  const std::string sys = qwen3_tools_system();
  const std::string call =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call>";
  const std::string result =
      "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n"
      "<|im_start|>assistant\n";
  EncodeOptions o;
  o.tools = weather_tools();
  o.loss_scale = "hermes";  // = default+hermes: tool calls weigh 2
  Encoded e = t.encode(weather_conv(), o);
  auto w = weights_of(
      *tok, {{sys + "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n", 0},
             {call, 2},
             {"<|im_end|>\n", 1},  // dynamic EOS
             {result, 0},
             {"It is 21 C in Paris.", 1},
             {"<|im_end|>\n", 1}});
  w[0] = 0;
  EXPECT_EQ(e.loss_scale, w);  // a modifier with weight 2 makes the encoding weighted
  // react: delimiters weigh 2 (Observation's text 0), Thought / Final Answer 1.
  json react = json::array({{{"role", "user"}, {"content", "Q"}},
                            {{"role", "assistant"},
                             {"content",
                              "Thought: t\nAction: f\nAction Input: {}\nObservation: r\n"
                              "Final Answer: y"}}});
  EncodeOptions r;
  r.loss_scale = "default+react";
  Encoded er = t.encode(react, r);
  auto wr = weights_of(*tok, {{"<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", 0},
                              {"Thought:", 1},
                              {" t\n", 1},
                              {"Action:", 2},
                              {" f\n", 2},
                              {"Action Input:", 2},
                              {" {}\n", 2},
                              {"Observation:", 2},
                              {" r\n", 0},
                              {"Final Answer:", 1},
                              {" y", 1},
                              {"<|im_end|>\n", 1}});
  wr[0] = 0;
  EXPECT_EQ(er.loss_scale, wr);
  // ignore_empty_think only looks at the start of an answer.
  json mid = json::array({{{"role", "user"}, {"content", "Q"}},
                          {{"role", "assistant"}, {"content", "A <think>\n</think>\nB"}}});
  EncodeOptions ie;
  ie.loss_scale = "default+ignore_empty_think";
  Encoded em = t.encode(mid, ie);
  Expect x(*tok);
  x.add("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", false);
  x.add("A <think>\n</think>\nB<|im_end|>\n", true);
  EXPECT_EQ(em.labels, x.labels);
  EXPECT_TRUE(em.loss_scale.empty());
  // Unknown and unbuilt modifiers are named.
  ie.loss_scale = "default+nope";
  EXPECT_THROW(t.encode(mid, ie), swift::Error);
  ie.loss_scale = "agentflan";
  EXPECT_THROW(t.encode(mid, ie), swift::Error);
}

TEST(SwiftTemplateLabels, PerMessageLossAndLossScale) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3_nothinking"), tok);
  json conv = multi_conv();
  conv[2]["loss"] = false;  // the history answer is not trained under default
  Encoded e = t.encode(conv, EncodeOptions());
  Expect x(*tok);
  x.add(kP0, false).add("Hello! How can I help?", false).add("<|im_end|>", false);
  x.add(kP1, false).add("Why did the chicken cross the road?", true).add("<|im_end|>\n", true);
  EXPECT_EQ(e.labels, x.labels);
  // loss: true trains it under last_round.
  conv[2]["loss"] = true;
  EncodeOptions lr;
  lr.loss_scale = "last_round";
  Encoded l = t.encode(conv, lr);
  Expect y(*tok);
  y.add(kP0, false).add("Hello! How can I help?", true).add("<|im_end|>\n", true);
  y.add(kP1 + 1, false).add("Why did the chicken cross the road?", true).add("<|im_end|>\n", true);
  EXPECT_EQ(l.labels, y.labels);
  // Merged answers keep their own controls; a float loss_scale weighs that answer when the
  // encoding is weighted (--is_binary_loss_scale false), and only masks when binary.
  json merged = json::array({{{"role", "user"}, {"content", "Q"}},
                             {{"role", "assistant"}, {"content", "A"}, {"loss", false}},
                             {{"role", "assistant"}, {"content", "B"}, {"loss_scale", 0.5}}});
  EncodeOptions wo;
  wo.is_binary_loss_scale = false;
  Encoded m = t.encode(merged, wo);
  auto w = weights_of(*tok, {{"<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", 0},
                             {"A", 0},
                             {"B", 0.5},
                             {"<|im_end|>\n", 1}});
  EXPECT_EQ(m.loss_scale, w);
  EXPECT_TRUE(t.encode(merged, EncodeOptions()).loss_scale.empty());
  merged[1]["loss"] = "no";
  EXPECT_THROW(t.encode(merged, EncodeOptions()), swift::Error);
}

TEST(SwiftTemplateLabels, InferenceEncodingIsThePromptText) {
  NEED_TOKENIZER(tok);
  SwiftTemplate t(get_template_meta("qwen3"), tok);
  json msgs = json::array({{{"role", "user"}, {"content", "Hi"}}});
  EncodeOptions o;
  o.mode = Mode::kInfer;
  Encoded e = t.encode(msgs, o);
  EXPECT_EQ(e.input_ids, tok->encode(t.render(msgs, o), false));
  EXPECT_TRUE(e.labels.empty());
}
#endif

}  // namespace

namespace {

// The e2e goldens (transformers' apply_chat_template, add_generation_prompt=True, qwen3 with
// enable_thinking=False) are ms-swift's default inference prompts too: hybrid templates default
// to thinking off.
TEST(SwiftTemplate, DefaultInferencePromptMatchesE2eGoldens) {
  for (const auto& [name, mt] :
       std::map<std::string, std::string>{{"qwen3", "qwen3"}, {"llama3", "llama"}}) {
    SwiftTemplate t(get_template_meta(template_for_model(mt)), nullptr, load_config(name));
    int n = 0;
    for (const auto& row : read_jsonl(data("e2e/" + name + ".jsonl"))) {
      // ms-swift merges consecutive same-role turns; HF renders them apart: not comparable.
      const json& m = row["messages"];
      bool repeated = false;
      for (std::size_t i = 1; i < m.size(); ++i)
        repeated = repeated || m[i]["role"] == m[i - 1]["role"];
      if (repeated) continue;
      EncodeOptions o;
      o.mode = Mode::kInfer;
      EXPECT_EQ(t.render(row["messages"], o), row["prompt_text"].get<std::string>()) << name;
      ++n;
    }
    EXPECT_EQ(n, 4) << name;
  }
}

}  // namespace

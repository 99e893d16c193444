// HF chat rendering parity: for each tokenizer (chat_template and special tokens copied from the
// real tokenizer_config.json into tests/data/templates/hf/), every golden row that transformers
// rendered with apply_chat_template must render to the same text here, and every row where the
// template (or transformers) raised must raise. With the tokenizer assets present, the ids of
// our text must equal the golden ids too.
#include <gtest/gtest.h>

#include "common/jsonl.h"
#include "common/test_assets.h"

#include <sys/stat.h>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "template/hf_chat.h"

namespace {

using json = nlohmann::ordered_json;

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
  if (j["chat_template"].is_string()) cfg.chat_template = j["chat_template"].get<std::string>();
  if (j["chat_template"].is_array()) {
    for (const auto& t : j["chat_template"]) {
      cfg.named_chat_templates.emplace_back(t["name"].get<std::string>(),
                                            t["template"].get<std::string>());
      if (t["name"] == "default") cfg.chat_template = t["template"].get<std::string>();
    }
  }
  return cfg;
}

struct Counts {
  int text = 0, text_ok = 0, err = 0, err_ok = 0;
};

Counts run_parity(const std::string& name) {
  auto cfg = load_config(name);
  std::map<std::string, json> convs;
  for (auto& c : read_jsonl(data("chat_conversations.jsonl"))) convs[c["id"]] = c;
  Counts n;
  for (const auto& row : read_jsonl(data("hf/" + name + ".chat.jsonl"))) {
    const json& conv = convs.at(row["id"].get<std::string>());
    json kwargs = row["kwargs"];
    if (conv.contains("tools")) kwargs["tools"] = conv["tools"];
    bool gp = row["add_generation_prompt"].get<bool>();
    std::string got, err;
    bool raised = false, template_raised = false;
    try {
      got = swift::tmpl::apply_chat_template(cfg, conv["messages"], gp, kwargs);
    } catch (const swift::jinja::TemplateRaised& e) {
      raised = template_raised = true;
      err = e.what();
    } catch (const swift::Error& e) {
      raised = true;
      err = e.what();
    }
    std::string tag = name + " " + row["id"].get<std::string>() + " gp=" + (gp ? "1" : "0") +
                      " kwargs=" + row["kwargs"].dump();
    if (row.contains("error")) {
      ++n.err;
      std::string want = row["error"].get<std::string>();
      bool ok = raised;
      const std::string prefix = "TemplateError: ";
      if (want.rfind(prefix, 0) == 0) ok = template_raised && err == want.substr(prefix.size());
      EXPECT_TRUE(ok) << tag << "\n want error: " << want << "\n got: " << (raised ? err : got);
      n.err_ok += ok;
    } else {
      ++n.text;
      EXPECT_FALSE(raised) << tag << " raised " << err;
      EXPECT_EQ(got, row["text"].get<std::string>()) << tag;
      n.text_ok += !raised && got == row["text"].get<std::string>();
    }
  }
  std::cout << name << " chat_text exact=" << n.text_ok << "/" << n.text << "\n"
            << name << " chat_errors exact=" << n.err_ok << "/" << n.err << "\n";
  return n;
}

class HfChat : public ::testing::TestWithParam<std::string> {};

TEST_P(HfChat, MatchesTransformers) {
  Counts n = run_parity(GetParam());
  EXPECT_EQ(n.text + n.err, 48);
}

INSTANTIATE_TEST_SUITE_P(
    Tokenizers,
    HfChat,
    ::testing::Values("qwen3", "llama3", "gemma3", "deepseek_v3", "llama2", "gptoss"));

#if defined(SWIFT_TEMPLATE_HAS_TOKENIZER)
// Ids of our rendering, through our tokenizer, against the golden ids (needs the assets that
// scripts/fetch-test-assets.sh downloads; skipped without them).
TEST(HfChatIds, MatchGoldenIds) {
  int tested = 0;
  for (const char* name : {"qwen3", "llama3", "gemma3", "deepseek_v3"}) {
    std::string dir = swift::testing::tokenizer_asset_dir(name);
    struct stat st {};
    if (stat((dir + "/tokenizer.json").c_str(), &st) != 0) continue;
    auto tok = swift::tok::Tokenizer::from_dir(dir);
    std::map<std::string, json> convs;
    for (auto& c : read_jsonl(data("chat_conversations.jsonl"))) convs[c["id"]] = c;
    int n = 0, ok = 0;
    for (const auto& row : read_jsonl(data(std::string("hf/") + name + ".chat.jsonl"))) {
      if (!row.contains("ids")) continue;
      const json& conv = convs.at(row["id"].get<std::string>());
      json kwargs = row["kwargs"];
      if (conv.contains("tools")) kwargs["tools"] = conv["tools"];
      std::string text = swift::tmpl::apply_chat_template(
          tok->config(), conv["messages"], row["add_generation_prompt"].get<bool>(), kwargs);
      ++n;
      bool same = tok->encode(text, false) == row["ids"].get<std::vector<std::int32_t>>();
      ok += same;
      EXPECT_TRUE(same) << name << " " << row["id"];
    }
    std::cout << name << " chat_ids exact=" << ok << "/" << n << "\n";
    ++tested;
  }
  if (tested == 0)
    GTEST_SKIP() << "tokenizer assets not found under " << swift::testing::tokenizer_asset_dir("");
}
#endif

// The e2e goldens' prompts were rendered by transformers with add_generation_prompt=True (qwen3
// with enable_thinking=False).
TEST(HfChat, E2ePromptsMatchTransformers) {
  for (const char* name : {"qwen3", "llama3"}) {
    auto cfg = load_config(name);
    json kwargs = json::object();
    if (std::string(name) == "qwen3") kwargs["enable_thinking"] = false;
    int n = 0;
    for (const auto& row : read_jsonl(data(std::string("e2e/") + name + ".jsonl"))) {
      EXPECT_EQ(swift::tmpl::apply_chat_template(cfg, row["messages"], true, kwargs),
                row["prompt_text"].get<std::string>())
          << name;
      ++n;
    }
    EXPECT_EQ(n, 5) << name;
  }
}

TEST(HfChat, ContextFollowsTransformers) {
  swift::tok::TokenizerConfig cfg;
  cfg.eos_token = "</s>";
  cfg.chat_template =
      "{{ bos_token is defined }}|{{ eos_token }}|{{ tools is none }}|{{ documents is none }}|"
      "{{ add_generation_prompt }}|{{ enable_thinking }}|{{ messages|length }}";
  json msgs = json::array({{{"role", "user"}, {"content", "hi"}}});
  EXPECT_EQ(swift::tmpl::apply_chat_template(cfg, msgs, true, json{{"enable_thinking", false}}),
            "False|</s>|True|True|True|False|1");
  EXPECT_THROW(swift::tmpl::apply_chat_template(cfg, msgs, true, json{{"messages", json::array()}}),
               swift::Error);
  EXPECT_THROW(
      swift::tmpl::apply_chat_template(cfg, msgs, false, json{{"add_generation_prompt", true}}),
      swift::Error);
}

TEST(HfChat, NamedTemplatesPickToolUseWithTools) {
  swift::tok::TokenizerConfig cfg;
  cfg.named_chat_templates = {{"default", "D"}, {"tool_use", "T"}};
  cfg.chat_template = "D";
  json msgs = json::array();
  EXPECT_EQ(swift::tmpl::apply_chat_template(cfg, msgs, false), "D");
  EXPECT_EQ(swift::tmpl::apply_chat_template(cfg, msgs, false, json{{"tools", json::array()}}),
            "T");
  EXPECT_EQ(swift::tmpl::apply_chat_template(cfg, msgs, false, json{{"chat_template", "tool_use"}}),
            "T");
  swift::tok::TokenizerConfig none;
  EXPECT_THROW(swift::tmpl::apply_chat_template(none, msgs, false), swift::Error);
}

TEST(HfChat, ContinueFinalMessage) {
  swift::tok::TokenizerConfig cfg;
  cfg.chat_template =
      "{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}</s>\n{% endfor %}";
  json msgs = json::array({{{"role", "user"}, {"content", "hi"}},
                           {{"role", "assistant"}, {"content", "The answer is "}}});
  EXPECT_EQ(
      swift::tmpl::apply_chat_template(cfg, msgs, false, json{{"continue_final_message", true}}),
      "<user>hi</s>\n<assistant>The answer is");
  EXPECT_THROW(
      swift::tmpl::apply_chat_template(cfg, msgs, true, json{{"continue_final_message", true}}),
      swift::Error);
}

}  // namespace

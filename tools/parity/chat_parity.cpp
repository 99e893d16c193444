// The "chat-parity" hook (argv = {"chat-parity", TOKDIR, CHAT.jsonl}): renders every golden
// conversation with the tokenizer's chat_template through our Jinja engine and compares with
// transformers' apply_chat_template output (text, ids of the text, and raised errors). Called
// by `swift-parity tokenizer`; also runnable as `swift-parity chat TOKDIR CHAT.jsonl`.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/subtool.h"

#if defined(SWIFT_TEMPLATE_HAS_TOKENIZER)
#include "template/hf_chat.h"
#include "tokenizer/tokenizer.h"

namespace {

using json = nlohmann::ordered_json;

std::string dir_of(const std::string& path) {
  auto p = path.rfind('/');
  return p == std::string::npos ? "." : path.substr(0, p);
}

std::string base_name(std::string dir) {
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  auto p = dir.rfind('/');
  return p == std::string::npos ? dir : dir.substr(p + 1);
}

std::map<std::string, json> load_conversations(const std::string& chat_path) {
  const std::string d = dir_of(chat_path);
  for (const std::string& cand :
       {d + "/chat_conversations.jsonl", d + "/../chat_conversations.jsonl",
        std::string("tests/data/tokenizers/chat_conversations.jsonl"),
        std::string("tests/data/templates/chat_conversations.jsonl")}) {
    std::ifstream f(cand);
    if (!f) continue;
    std::map<std::string, json> out;
    std::string line;
    while (std::getline(f, line))
      if (!line.empty()) {
        json c = json::parse(line);
        out[c["id"].get<std::string>()] = c;
      }
    return out;
  }
  return {};
}

std::string clip(const std::string& s) {
  std::string t = s.size() > 300 ? s.substr(0, 300) + "..." : s;
  std::string out;
  for (char c : t) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: chat-parity TOKDIR CHAT.jsonl\n";
    return 2;
  }
  const std::string dir = argv[1], chat_path = argv[2], name = base_name(dir);
  auto convs = load_conversations(chat_path);
  if (convs.empty()) {
    std::cout << name << " chat FAIL: chat_conversations.jsonl not found next to " << chat_path
              << "\n";
    return 1;
  }
  auto tok = swift::tok::Tokenizer::from_dir(dir);
  std::ifstream f(chat_path);
  if (!f) {
    std::cout << name << " chat FAIL: cannot open " << chat_path << "\n";
    return 1;
  }
  int text_n = 0, text_ok = 0, ids_n = 0, ids_ok = 0, err_n = 0, err_ok = 0, shown = 0;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    json row = json::parse(line);
    const std::string id = row["id"].get<std::string>();
    auto it = convs.find(id);
    if (it == convs.end()) {
      std::cout << "  conversation '" << id << "' missing\n";
      continue;
    }
    json kwargs = row.value("kwargs", json::object());
    if (it->second.contains("tools")) kwargs["tools"] = it->second["tools"];
    const bool gp = row.value("add_generation_prompt", false);
    std::string got, error;
    bool raised = false, template_raised = false;
    try {
      got = swift::tmpl::apply_chat_template(tok->config(), it->second["messages"], gp, kwargs);
    } catch (const swift::jinja::TemplateRaised& e) {
      raised = template_raised = true;
      error = e.what();
    } catch (const std::exception& e) {
      raised = true;
      error = e.what();
    }
    const std::string tag = fmt::format("{} gp={} kwargs={}", id, gp, kwargs.dump());
    if (row.contains("error")) {
      ++err_n;
      const std::string want = row["error"].get<std::string>();
      const std::string prefix = "TemplateError: ";
      bool ok = raised;
      // A template's own raise_exception must carry the template's message.
      if (ok && want.rfind(prefix, 0) == 0)
        ok = template_raised && want.substr(prefix.size()) == error;
      err_ok += ok;
      if (!ok && shown++ < 12)
        std::cout << "  MISMATCH error " << tag << "\n    got  " << (raised ? error : "no error")
                  << "\n    want " << clip(want) << "\n";
      continue;
    }
    ++text_n;
    ++ids_n;
    const std::string want = row["text"].get<std::string>();
    if (raised) {
      if (shown++ < 12) std::cout << "  MISMATCH text " << tag << "\n    raised " << error << "\n";
      continue;
    }
    text_ok += got == want;
    if (got != want && shown++ < 12)
      std::cout << "  MISMATCH text " << tag << "\n    got  " << clip(got) << "\n    want "
                << clip(want) << "\n";
    const auto ids = tok->encode(got, false);
    ids_ok += ids == row["ids"].get<std::vector<std::int32_t>>();
  }
  std::cout << fmt::format("{} chat_text exact={}/{}\n", name, text_ok, text_n);
  std::cout << fmt::format("{} chat_ids exact={}/{}\n", name, ids_ok, ids_n);
  std::cout << fmt::format("{} chat_errors exact={}/{}\n", name, err_ok, err_n);
  return (text_ok == text_n && ids_ok == ids_n && err_ok == err_n) ? 0 : 1;
}

int guarded(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "chat-parity: " << e.what() << "\n";
    return 1;
  }
}

swift::tools::RegisterHook hook("chat-parity", guarded);
swift::tools::RegisterMode mode("chat",
                                "TOKDIR CHAT.jsonl: HF chat_template rendering parity",
                                guarded);

}  // namespace
#endif  // SWIFT_TEMPLATE_HAS_TOKENIZER

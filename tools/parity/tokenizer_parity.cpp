// `swift-parity tokenizer TOKDIR TOKENS.jsonl [CHAT.jsonl]`: compares swift's tokenizer with the
// Hugging Face goldens row by row (ids, ids_with_special, decoded, decoded_skip_special; see
// ../shared/tools/make_tokenizer_goldens.py) and, with CHAT.jsonl, runs the template area's
// "chat-parity" hook. Exit 0 only when every row of every field is exact.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/subtool.h"
#include "core/error.h"
#include "tokenizer/tokenizer.h"

namespace {

using nlohmann::json;

std::string show_ids(const std::vector<std::int32_t>& v) {
  std::string s = "[";
  for (std::size_t k = 0; k < v.size() && k < 40; ++k) s += (k ? "," : "") + std::to_string(v[k]);
  if (v.size() > 40) s += ",...";
  return s + "]";
}

std::string base_name(std::string dir) {
  while (!dir.empty() && dir.back() == '/') dir.pop_back();
  const auto p = dir.rfind('/');
  return p == std::string::npos ? dir : dir.substr(p + 1);
}

int run(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: swift-parity tokenizer TOKDIR TOKENS.jsonl [CHAT.jsonl]\n";
    return 2;
  }
  const std::string dir = argv[1], tokens_path = argv[2];
  const std::string name = base_name(dir);
  std::ifstream probe(dir + "/tokenizer.json"), probe_spm(dir + "/tokenizer.model");
  if (!probe.good() && !probe_spm.good()) {
    std::cout << name << " FAIL: " << dir
              << " has no tokenizer.json (nor tokenizer.model); run scripts/fetch-test-assets.sh "
                 "(or set SWIFT_TEST_ASSETS to where it put them)\n";
    return 1;
  }
  auto tok = swift::tok::Tokenizer::from_dir(dir);
  std::ifstream in(tokens_path);
  SWIFT_CHECK(in.good(), "[parity] cannot open {}", tokens_path);

  const char* fields[] = {"ids", "ids_with_special", "decoded", "decoded_skip_special"};
  int exact[4] = {0, 0, 0, 0};
  int rows = 0, shown = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json row = json::parse(line);
    ++rows;
    const std::string text = row.at("text").get<std::string>();
    const auto want_ids = row.at("ids").get<std::vector<std::int32_t>>();
    const auto want_special = row.at("ids_with_special").get<std::vector<std::int32_t>>();
    // Decoding is checked from the reference ids so a tokenization mismatch does not hide it.
    const auto ids = tok->encode(text, false);
    const auto with_special = tok->encode_like_transformers(text, true);
    const std::string decoded = tok->decode(want_ids, false);
    const std::string decoded_skip = tok->decode(want_ids, true);
    const bool ok[4] = {ids == want_ids, with_special == want_special,
                        decoded == row.at("decoded").get<std::string>(),
                        decoded_skip == row.at("decoded_skip_special").get<std::string>()};
    for (int f = 0; f < 4; ++f) {
      exact[f] += ok[f];
      if (!ok[f] && shown < 12) {
        ++shown;
        std::string got, want;
        if (f == 0) got = show_ids(ids), want = show_ids(want_ids);
        if (f == 1) got = show_ids(with_special), want = show_ids(want_special);
        if (f == 2) got = json(decoded).dump(), want = row["decoded"].dump();
        if (f == 3) got = json(decoded_skip).dump(), want = row["decoded_skip_special"].dump();
        std::cout << fmt::format("  MISMATCH {} row {} text={}\n    got  {}\n    want {}\n",
                                 fields[f], rows, json(text).dump().substr(0, 120), got, want);
      }
    }
  }
  bool all = rows > 0;
  for (int f = 0; f < 4; ++f) {
    std::cout << fmt::format("{} {} exact={}/{}\n", name, fields[f], exact[f], rows);
    all &= exact[f] == rows;
  }
  if (argc >= 4) {
    // The token half of the chat goldens: each rendered text must encode to the reference ids.
    std::ifstream chat(argv[3]);
    SWIFT_CHECK(chat.good(), "[parity] cannot open {}", argv[3]);
    int chat_rows = 0, chat_exact = 0;
    while (std::getline(chat, line)) {
      if (line.empty()) continue;
      json row = json::parse(line);
      if (!row.contains("text") || !row.contains("ids")) continue;
      ++chat_rows;
      const auto want = row["ids"].get<std::vector<std::int32_t>>();
      const auto got = tok->encode(row["text"].get<std::string>(), false);
      chat_exact += got == want;
      if (got != want && shown < 12) {
        ++shown;
        std::cout << fmt::format("  MISMATCH chat_token_ids row {}\n    got  {}\n    want {}\n",
                                 chat_rows, show_ids(got), show_ids(want));
      }
    }
    std::cout << fmt::format("{} chat_token_ids exact={}/{}\n", name, chat_exact, chat_rows);
    all &= chat_exact == chat_rows;
    auto& hooks = swift::tools::hooks();
    auto it = hooks.find("chat-parity");
    if (it == hooks.end()) {
      std::cout << name << " chat FAIL (template engine not built)\n";
      all = false;
    } else {
      std::string a0 = "chat-parity", a1 = dir, a2 = argv[3];
      char* hook_argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
      const int rc = it->second(3, hook_argv);
      all &= rc == 0;
    }
  }
  return all ? 0 : 1;
}

swift::tools::RegisterMode reg("tokenizer",
                               "TOKDIR TOKENS.jsonl [CHAT.jsonl]: tokenizer parity vs HF goldens",
                               run);

}  // namespace

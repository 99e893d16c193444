// The registry table (parsed once from registry_data.inc) and the preprocessors of the
// registered datasets that do more than automatic format detection, each following the
// ms-swift class named beside it (swift/dataset/dataset/llm.py).
#include "dataset/registry.h"

#include <algorithm>
#include <mutex>

#include "core/error.h"
#include "core/strings.h"
#include "dataset/internal.h"

namespace swift::dataset {

namespace {

using json = nlohmann::ordered_json;

const char* const kRegistryJson =
#include "dataset/registry_data.inc"
    ;

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j) out.push_back(s.get<std::string>());
  return out;
}

std::vector<RegisteredDataset> parse_registry() {
  std::vector<RegisteredDataset> out;
  json all = json::parse(kRegistryJson);
  for (const auto& e : all) {
    RegisteredDataset d;
    d.ms_id = e.value("ms", "");
    d.hf_id = e.value("hf", "");
    d.dataset_name = e.value("name", "");
    d.preprocess = e.value("preprocess", "");
    d.columns = e.contains("columns") ? e["columns"] : json::object();
    d.tags = strings(e.value("tags", json::array()));
    if (e.contains("split")) d.split = strings(e["split"]);
    if (e.contains("subsets")) {
      for (const auto& s : e["subsets"]) {
        RegisteredSubset sub;
        if (s.is_string()) {
          sub.name = sub.subset = s.get<std::string>();
        } else {
          sub.name = s.value("name", "default");
          sub.subset = s.value("subset", sub.name);
          sub.split = strings(s.value("split", json::array()));
          sub.preprocess = s.value("preprocess", "");
          sub.weak = s.value("weak", false);
          sub.options = s;
        }
        d.subsets.push_back(std::move(sub));
      }
    }
    if (d.subsets.empty()) d.subsets.push_back(RegisteredSubset{"default"});
    SWIFT_ASSERT(d.preprocess.empty() || is_known_preprocessor(d.preprocess));
    for (const auto& s : d.subsets)
      SWIFT_ASSERT(s.preprocess.empty() || is_known_preprocessor(s.preprocess));
    out.push_back(std::move(d));
  }
  return out;
}

std::string text_of(const json& row, const char* key) {
  auto it = row.find(key);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
}

// AlpacaPreprocessor after ResponsePreprocessor's renames: output is the response.
std::string alpaca(json row, std::vector<json>* out) {
  json msg;
  std::string why = normalize_row_as(std::move(row), Format::kAlpaca, json(), &msg);
  if (why.empty()) out->push_back(std::move(msg));
  return why;
}

std::string response(json row, std::vector<json>* out) {
  json msg;
  std::string why = normalize_row_as(std::move(row), Format::kResponse, json(), &msg);
  if (why.empty()) out->push_back(std::move(msg));
  return why;
}

std::string messages(json row, std::vector<json>* out) {
  json msg;
  std::string why = normalize_row_as(std::move(row), Format::kMessages, json(), &msg);
  if (why.empty()) out->push_back(std::move(msg));
  return why;
}

// SelfCognitionPreprocessor: {{NAME}} / {{AUTHOR}} become --model_name / --model_author (the
// first value for rows tagged zh, the second otherwise), then the subset's query suffix and
// response prefix.
std::string self_cognition(json row, const PreprocessContext& ctx, std::vector<json>* out) {
  if (!row.contains("query") || !row["query"].is_string() || !row.contains("response") ||
      !row["response"].is_string())
    return "self-cognition row without query and response text";
  bool zh = text_of(row, "tag") == "zh";
  std::string q = row["query"].get<std::string>(), r = row["response"].get<std::string>();
  auto sub = [&](const std::vector<std::string>& vals, const char* placeholder) {
    if (vals.empty()) return;
    const std::string& v = zh ? vals[0] : vals[vals.size() > 1 ? 1 : 0];
    replace_all(q, placeholder, v);
    replace_all(r, placeholder, v);
  };
  sub(ctx.model_name, "{{NAME}}");
  sub(ctx.model_author, "{{AUTHOR}}");
  if (ctx.subset && ctx.subset->options.is_object()) {
    q += ctx.subset->options.value("query_suffix", "");
    r = ctx.subset->options.value("response_prefix", "") + r;
  }
  row.erase("tag");
  row["query"] = q;
  row["response"] = r;
  return response(std::move(row), out);
}

std::string python_list_repr(const json& v) {
  if (!v.is_array()) return v.is_string() ? v.get<std::string>() : v.dump();
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    s += v[i].is_string() ? "'" + v[i].get<std::string>() + "'" : v[i].dump();
  }
  return s + "]";
}

std::string scalar_text(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::string python_json_dumps(const json& v) {
  switch (v.type()) {
    case json::value_t::object: {
      std::string s = "{";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) s += ", ";
        first = false;
        s += python_json_dumps(json(it.key())) + ": " + python_json_dumps(it.value());
      }
      return s + "}";
    }
    case json::value_t::array: {
      std::string s = "[";
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) s += ", ";
        s += python_json_dumps(v[i]);
      }
      return s + "]";
    }
    case json::value_t::string: {
      // ensure_ascii: everything past ASCII as \uXXXX (UTF-16, surrogate pairs).
      const std::string& in = v.get_ref<const std::string&>();
      std::string s = "\"";
      for (std::size_t i = 0; i < in.size();) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        std::uint32_t cp = c;
        std::size_t len = 1;
        if (c >= 0xF0 && i + 3 < in.size()) {
          cp = ((c & 7u) << 18) | ((in[i + 1] & 0x3Fu) << 12) | ((in[i + 2] & 0x3Fu) << 6) |
               (in[i + 3] & 0x3Fu);
          len = 4;
        } else if (c >= 0xE0 && i + 2 < in.size()) {
          cp = ((c & 0xFu) << 12) | ((in[i + 1] & 0x3Fu) << 6) | (in[i + 2] & 0x3Fu);
          len = 3;
        } else if (c >= 0xC0 && i + 1 < in.size()) {
          cp = ((c & 0x1Fu) << 6) | (in[i + 1] & 0x3Fu);
          len = 2;
        }
        i += len;
        auto u16 = [&](std::uint32_t u) { s += fmt::format("\\u{:04x}", u); };
        switch (cp) {
          case '"':
            s += "\\\"";
            continue;
          case '\\':
            s += "\\\\";
            continue;
          case '\n':
            s += "\\n";
            continue;
          case '\r':
            s += "\\r";
            continue;
          case '\t':
            s += "\\t";
            continue;
          case '\b':
            s += "\\b";
            continue;
          case '\f':
            s += "\\f";
            continue;
          default:
            break;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0x10000)) {
          u16(cp);
        } else if (cp >= 0x10000) {
          cp -= 0x10000;
          u16(0xD800 + (cp >> 10));
          u16(0xDC00 + (cp & 0x3FF));
        } else {
          s += static_cast<char>(cp);
        }
      }
      return s + "\"";
    }
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::null:
      return "null";
    case json::value_t::number_float: {
      // Both print the shortest text that reads back the same double.
      return v.dump();
    }
    default:
      return v.dump();
  }
}

bool is_known_preprocessor(const std::string& name) {
  static const char* const kNames[] = {"alpaca",
                                       "alpaca_zh",
                                       "long_alpaca",
                                       "messages",
                                       "self_cognition",
                                       "blossom_math",
                                       "hh_rlhf_cn",
                                       "emoji",
                                       "orpo_dpo_mix",
                                       "countdown",
                                       "xlam_function_calling",
                                       "function_call_chatml"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

const std::vector<RegisteredDataset>& registered_datasets() {
  static const std::vector<RegisteredDataset> all = parse_registry();
  return all;
}

const RegisteredDataset* find_registered(const std::string& id) {
  std::string want = str::lower(id);
  for (const auto& d : registered_datasets()) {
    if ((!d.ms_id.empty() && str::lower(d.ms_id) == want) ||
        (!d.hf_id.empty() && str::lower(d.hf_id) == want))
      return &d;
  }
  return nullptr;
}

std::string apply_preprocessor(const std::string& name,
                               const json& raw,
                               const PreprocessContext& ctx,
                               std::vector<json>* out) {
  if (!raw.is_object()) return "row is not a JSON object";
  json row = raw;
  if (name == "alpaca") return alpaca(std::move(row), out);
  if (name == "alpaca_zh") {
    // AlpacaZhPreprocessor: an input starting with "输入：" loses that prefix.
    std::string input = text_of(row, "input");
    const std::string prefix = "\xE8\xBE\x93\xE5\x85\xA5\xEF\xBC\x9A";  // 输入：
    if (str::starts_with(input, prefix)) row["input"] = input.substr(prefix.size());
    return alpaca(std::move(row), out);
  }
  if (name == "long_alpaca") {
    // LongAlpacaPreprocessor: "Answer: " before the response is dropped (and the rest
    // stripped).
    std::string r = text_of(row, "output");
    if (r.empty()) r = text_of(row, "response");
    if (str::starts_with(r, "Answer: ")) {
      row.erase("response");
      row["output"] = str::trim(r.substr(8));
    }
    return alpaca(std::move(row), out);
  }
  if (name == "messages") return messages(std::move(row), out);
  if (name == "self_cognition") return self_cognition(std::move(row), ctx, out);
  if (name == "blossom_math") {
    // BlossomMathPreprocessor: response = output + "\n\nAnswer: " + answer.
    json r = {{"query", row.contains("query") ? row["query"] : json()},
              {"response", scalar_text(row.value("output", json(""))) +
                               "\n\nAnswer: " + scalar_text(row.value("answer", json("")))}};
    return response(std::move(r), out);
  }
  if (name == "hh_rlhf_cn") {
    // HHRLHFCNPreprocessor: the context turns plus the chosen turn; the rejected turn's text is
    // rejected_response. Turns carry their text under "text".
    if (!row.contains("messages") || !row["messages"].is_array() || !row.contains("chosen") ||
        !row["chosen"].is_object() || !row.contains("rejected") || !row["rejected"].is_object())
      return "hh_rlhf_cn row without context, chosen and rejected turns";
    json msgs = json::array();
    json turns = row["messages"];
    turns.push_back(row["chosen"]);
    for (auto& t : turns) {
      if (!t.is_object()) return "a turn is not an object";
      json m = {{"role", t.value("role", json())}, {"content", t.value("text", json())}};
      msgs.push_back(m);
    }
    row.erase("chosen");
    row["rejected_response"] = row["rejected"].value("text", json());
    row.erase("rejected");
    row["messages"] = msgs;
    return messages(std::move(row), out);
  }
  if (name == "emoji") {
    // EmojiPreprocessr: the variation selector U+FE0F is removed from every text.
    for (const char* k : {"query", "response", "rejected_response"}) {
      if (row.contains(k) && row[k].is_string()) {
        std::string s = row[k].get<std::string>();
        replace_all(s, "\xEF\xB8\x8F", "");
        row[k] = s;
      }
    }
    return response(std::move(row), out);
  }
  if (name == "orpo_dpo_mix") {
    // OrpoDPOMix40kPreprocessor: rows from toxic-dpo-v0.2 are left out.
    if (text_of(row, "source") == "toxic-dpo-v0.2") return "";
    return messages(std::move(row), out);
  }
  if (name == "countdown") {
    // CoundownTaskPreprocessor: the numbers and target become the question; target is kept.
    json target = row.contains("response") ? row["response"] : row.value("target", json());
    row.erase("response");
    row.erase("target");  // kept as its own column below, not read as the response
    row["query"] =
        "Using the numbers " + python_list_repr(row.value("nums", json())) +
        ", create an equation that equals " + scalar_text(target) +
        ".\nYou can use basic arithmetic operations (+, -, *, /) and each number can only be used "
        "once.\nShow your work in <think> </think> tags. And return the final equation and "
        "answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 * 4 = 4 </answer>.";
    std::string why = response(std::move(row), out);
    if (why.empty()) out->back()["target"] = target;
    return why;
  }
  if (name == "xlam_function_calling") {
    // XlamFunctionCallingPreprocessor: one tool_call message per call in `answers`.
    if (!row.contains("query") || !row["query"].is_string()) return "no query";
    std::string answers = text_of(row, "answers");
    if (!str::json_nesting_ok(answers)) return "answers is nested too deeply";
    json calls = json::parse(answers, nullptr, false);
    if (!calls.is_array()) return "answers is not a JSON list";
    json msgs = json::array({{{"role", "user"}, {"content", row["query"]}}});
    for (const auto& c : calls)
      msgs.push_back({{"role", "tool_call"}, {"content", python_json_dumps(c)}});
    json r = {{"messages", msgs}, {"tools", row.value("tools", json())}};
    out->push_back(std::move(r));
    return "";
  }
  if (name == "function_call_chatml") {
    // FunctionCallChatmlPreprocessor: function_description split on blank lines into tools;
    // a leading system message is dropped.
    std::vector<json> tmp;
    std::string why = messages(std::move(row), &tmp);
    if (!why.empty()) return why;
    json& res = tmp[0];
    std::string desc = text_of(res, "function_description");
    if (!desc.empty()) {
      json tools = json::array();
      std::size_t at = 0;
      for (;;) {
        std::size_t next = desc.find("\n\n", at);
        tools.push_back(desc.substr(at, next == std::string::npos ? std::string::npos : next - at));
        if (next == std::string::npos) break;
        at = next + 2;
      }
      res["tools"] = tools;
    }
    if (!res["messages"].empty() && res["messages"][0].value("role", "") == "system")
      res["messages"].erase(0);
    if (res["messages"].empty()) return "messages is empty";
    out->push_back(std::move(res));
    return "";
  }
  SWIFT_FAIL("[internal] unknown dataset preprocessor '{}'", name);
}

}  // namespace swift::dataset

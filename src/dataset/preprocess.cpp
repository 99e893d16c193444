// Row normalisation, following ms-swift's AutoPreprocessor: a dataset with a messages-like column
// (messages / conversation / conversations) is read as messages (role/content or from/value
// keys, sharegpt {human, assistant} pairs, OpenAI-style roles); one with both `instruction` and
// `input` columns as alpaca; anything else as query/response (+ history) with ms-swift's column
// aliases. The choice is made per dataset, from the union of its columns, as ms-swift does.
#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/strings.h"
#include "dataset/dataset.h"
#include "dataset/internal.h"

namespace swift::dataset {

namespace {

using json = nlohmann::ordered_json;

const std::vector<std::string> kMessageKeys = {"messages", "conversation", "conversations"};
const std::vector<std::string> kSystemKeys = {"system", "system_prompt"};
const std::vector<std::string> kQueryKeys = {"query",       "prompt",   "input",
                                             "instruction", "question", "problem"};
const std::vector<std::string> kResponseKeys = {"response", "answer",     "output",  "targets",
                                                "target",   "answer_key", "answers", "solution",
                                                "text",     "completion", "content"};

bool is_text(const json& v) {
  return v.is_string();
}

// Pops the first key of `keys` present in `row` (the alias order is ms-swift's).
json take_first(json& row, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    auto it = row.find(k);
    if (it != row.end()) {
      json v = std::move(*it);
      row.erase(it);
      // Remove the other aliases too so they do not leak into the row's extra columns.
      for (const auto& other : keys) row.erase(other);
      return v;
    }
  }
  return nullptr;
}

std::string role_of(const std::string& role) {
  if (role == "user" || role == "human") return "user";
  if (role == "assistant" || role == "gpt" || role == "bot") return "assistant";
  if (role == "function_call" || role == "function-call") return "tool_call";
  if (role == "function_response" || role == "function-response" || role == "observation" ||
      role == "observations" || role == "tool")
    return "tool_response";
  return role;
}

const std::set<std::string> kRoles = {"system", "user", "assistant", "tool_call", "tool_response"};

// Messages in any accepted spelling -> [{"role", "content"}]; "" or the reason it is unusable.
std::string to_messages(json messages, const json& system, json* out) {
  if (messages.is_string()) {
    if (!str::json_nesting_ok(messages.get<std::string>()))
      return "messages is a string nested too deeply";
    json parsed = json::parse(messages.get<std::string>(), nullptr, false);
    if (parsed.is_discarded()) return "messages is a string that is not JSON";
    messages = parsed;
  }
  if (!messages.is_array()) return "messages is not a list";
  if (messages.empty()) return "messages is empty";
  json result = json::array();
  const json& first = messages[0];
  if (!first.is_object()) return "a message is not an object";
  bool sharegpt = !first.contains("role") && !first.contains("content") &&
                  !first.contains("from") && !first.contains("value");
  if (sharegpt) {
    if (!system.is_null()) result.push_back({{"role", "system"}, {"content", system}});
    for (const auto& m : messages) {
      if (!m.is_object()) return "a message is not an object";
      json user = m.contains("human") ? m["human"] : (m.contains("user") ? m["user"] : json());
      json bot = m.contains("assistant")
                     ? m["assistant"]
                     : (m.contains("gpt") ? m["gpt"] : (m.contains("bot") ? m["bot"] : json()));
      if (!is_text(user)) return "a sharegpt turn has no human/user text";
      result.push_back({{"role", "user"}, {"content", user}});
      if (!bot.is_null()) {
        if (!is_text(bot)) return "a sharegpt turn's assistant text is not a string";
        result.push_back({{"role", "assistant"}, {"content", bot}});
      }
    }
    *out = result;
    return "";
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (!messages[i].is_object()) return "a message is not an object";
    // The message is moved, not copied: contents are the bulk of a dataset's bytes.
    json msg = std::move(messages[i]);
    json role = msg.contains("role") ? msg["role"] : (msg.contains("from") ? msg["from"] : json());
    if (!role.is_string()) return "a message has no role";
    json content = msg.contains("content") ? std::move(msg["content"])
                   : msg.contains("value") ? std::move(msg["value"])
                                           : json();
    msg.erase("from");
    msg.erase("value");
    msg["role"] = role_of(role.get<std::string>());
    bool has_tool_calls = msg.contains("tool_calls");
    if (!(content.is_string() || content.is_array() || (content.is_null() && has_tool_calls)))
      return "a message's content is not text";
    msg["content"] = content.is_null() ? json("") : std::move(content);
    if (kRoles.count(msg["role"].get<std::string>()) == 0)
      return "unknown role '" + role.get<std::string>() + "'";
    result.push_back(std::move(msg));
  }
  if (result[0]["role"] != "system" && !system.is_null()) {
    result.insert(result.begin(), json{{"role", "system"}, {"content", system}});
  }
  *out = result;
  return "";
}

}  // namespace

Format detect_format(const std::vector<json>& rows, const json& columns) {
  std::set<std::string> keys;
  for (const auto& r : rows) {
    if (!r.is_object()) continue;
    for (auto it = r.begin(); it != r.end(); ++it) {
      std::string k = it.key();
      if (columns.is_object() && columns.contains(k) && columns[k].is_string())
        k = columns[k].get<std::string>();
      keys.insert(k);
    }
  }
  for (const auto& k : kMessageKeys)
    if (keys.count(k)) return Format::kMessages;
  if (keys.count("instruction") && keys.count("input")) return Format::kAlpaca;
  return Format::kResponse;
}

std::string normalize_row_as(json raw, Format format, const json& columns, json* out) {
  if (!raw.is_object()) return "row is not a JSON object";
  json row;
  if (!columns.is_object() || columns.empty()) {
    row = std::move(raw);
  } else {
    row = json::object();
    for (auto it = raw.begin(); it != raw.end(); ++it) {
      std::string k = it.key();
      if (columns.contains(k) && columns[k].is_string()) k = columns[k].get<std::string>();
      row[k] = std::move(it.value());
    }
  }
  json system = take_first(row, kSystemKeys);
  if (!system.is_null() && !system.is_string()) return "system is not a string";
  if (system.is_string() && system.get<std::string>().empty()) system = nullptr;
  json messages;
  if (format == Format::kMessages) {
    json m = take_first(row, kMessageKeys);
    if (m.is_null()) return "no messages";
    std::string why = to_messages(std::move(m), system, &messages);
    if (!why.empty()) return why;
    if (row.contains("rejected_messages")) {
      json rejected;
      why = to_messages(std::move(row["rejected_messages"]), json(), &rejected);
      if (!why.empty()) return "rejected_messages: " + why;
      row["rejected_messages"] = std::move(rejected);
    }
  } else {
    json query, response;
    if (format == Format::kAlpaca) {
      json inst = row.contains("instruction") ? row["instruction"] : json();
      json input = row.contains("input") ? row["input"] : json();
      row.erase("instruction");
      row.erase("input");
      if (row.contains("output")) {
        response = row["output"];
        row.erase("output");
      }
      auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : ""; };
      if (!text(inst).empty() && !text(input).empty()) {
        query = text(inst) + "\n" + text(input);
      } else {
        query = !text(inst).empty() ? inst : input;
      }
      if (response.is_null()) response = take_first(row, kResponseKeys);
    } else {
      query = take_first(row, kQueryKeys);
      response = take_first(row, kResponseKeys);
    }
    // ms-swift picks the first element when the response is a list.
    if (response.is_array()) response = response.empty() ? json() : response[0];
    if (!response.is_null() && !response.is_string()) return "response is not a string";
    if (query.is_null() && response.is_string() && !row.contains("history")) {
      // Pre-training text (e.g. a .txt line or a lone `text` column): one assistant turn.
      messages = json::array({{{"role", "assistant"}, {"content", response}}});
      row["messages"] = messages;
      *out = std::move(row);
      return "";
    }
    if (!query.is_string()) return query.is_null() ? "no query column" : "query is not a string";
    json history = row.contains("history") ? row["history"] : json::array();
    row.erase("history");
    if (history.is_string()) {
      if (!str::json_nesting_ok(history.get<std::string>()))
        return "history is a string nested too deeply";
      history = json::parse(history.get<std::string>(), nullptr, false);
    }
    if (history.is_null()) history = json::array();
    if (!history.is_array()) return "history is not a list of [query, response] pairs";
    messages = json::array();
    if (!system.is_null()) messages.push_back({{"role", "system"}, {"content", system}});
    for (const auto& pair : history) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
        return "history is not a list of [query, response] pairs";
      messages.push_back({{"role", "user"}, {"content", pair[0]}});
      messages.push_back({{"role", "assistant"}, {"content", pair[1]}});
    }
    messages.push_back({{"role", "user"}, {"content", query}});
    if (!response.is_null()) messages.push_back({{"role", "assistant"}, {"content", response}});
  }
  row["messages"] = std::move(messages);
  *out = std::move(row);
  return "";
}

std::string normalize_row(const json& raw, const json& columns, json* out) {
  return normalize_row_as(raw, detect_format({raw}, columns), columns, out);
}

}  // namespace swift::dataset

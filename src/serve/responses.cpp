// Whole responses (chat.completion, text_completion, /v1/models), logprobs objects, ids and
// SSE framing (responses.h). The streamed chunk builders are in response_stream.cpp.
#include "serve/responses.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <random>

namespace swift::serve {

using ojson = nlohmann::ordered_json;

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kStop:
    default:
      return "stop";
  }
}

FinishReason finish_reason_from(std::string_view engine_reason, bool has_tool_calls) {
  if (has_tool_calls) return FinishReason::kToolCalls;
  if (engine_reason == "length") return FinishReason::kLength;
  return FinishReason::kStop;  // "stop", and "cancelled" (the client is gone; nobody reads it)
}

std::string make_id(std::string_view prefix) {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }());
  return fmt::format("{}{:016x}{:016x}", prefix, rng(), rng());
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte (RFC 3629)
    if (c < 0x80) {
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    // The longest prefix of a well-formed sequence (Unicode's "maximal subpart").
    std::size_t j = i + 1;
    while (len > 1 && j < i + len && j < n) {
      const unsigned char b = p[j];
      const bool ok = j == i + 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
      if (!ok) break;
      ++j;
    }
    if (len > 0 && j == i + len) {
      out.append(s.substr(i, len));
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for the broken sequence
    }
    i = j;
  }
  return out;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

ojson usage_json(const Usage& u) {
  return ojson{{"prompt_tokens", u.prompt_tokens},
               {"completion_tokens", u.completion_tokens},
               {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

namespace {

double finite_logprob(double lp) {
  return std::isfinite(lp) ? lp : -9999.0;
}

ojson token_bytes(std::string_view token) {
  ojson b = ojson::array();
  for (const char c : token) b.push_back(static_cast<int>(static_cast<unsigned char>(c)));
  return b;
}

}  // namespace

ojson chat_logprobs_json(const std::vector<TokenLogprob>& tokens) {
  ojson content = ojson::array();
  for (const auto& t : tokens) {
    ojson top = ojson::array();
    for (const auto& a : t.top)
      top.push_back({{"token", valid_utf8(a.token)},
                     {"logprob", finite_logprob(a.logprob)},
                     {"bytes", token_bytes(a.token)}});
    content.push_back({{"token", valid_utf8(t.token)},
                       {"logprob", finite_logprob(t.logprob)},
                       {"bytes", token_bytes(t.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return ojson{{"content", std::move(content)}, {"refusal", nullptr}};
}

ojson completion_logprobs_json(const std::vector<TokenLogprob>& tokens, std::size_t start_offset) {
  ojson toks = ojson::array(), lps = ojson::array(), tops = ojson::array(), offs = ojson::array();
  std::size_t offset = start_offset;
  for (const auto& t : tokens) {
    const std::string text = valid_utf8(t.token);
    toks.push_back(text);
    lps.push_back(finite_logprob(t.logprob));
    ojson top = ojson::object();
    for (const auto& a : t.top) {
      const std::string key = valid_utf8(a.token);
      if (!top.contains(key)) top[key] = finite_logprob(a.logprob);  // best first: keep the best
    }
    tops.push_back(std::move(top));
    offs.push_back(offset);
    offset += utf8_length(text);
  }
  return ojson{{"tokens", std::move(toks)},
               {"token_logprobs", std::move(lps)},
               {"top_logprobs", std::move(tops)},
               {"text_offset", std::move(offs)}};
}

ojson chat_completion_json(const std::string& id,
                           std::int64_t created,
                           const std::string& model,
                           const std::vector<ChatChoice>& choices,
                           const Usage& usage) {
  ojson out_choices = ojson::array();
  for (const auto& c : choices) {
    ojson msg;
    msg["role"] = "assistant";
    const bool only_calls = !c.tool_calls.empty() && c.content.empty();
    msg["content"] = only_calls ? ojson(nullptr) : ojson(valid_utf8(c.content));
    if (!c.reasoning_content.empty()) msg["reasoning_content"] = valid_utf8(c.reasoning_content);
    if (!c.tool_calls.empty()) {
      ojson calls = ojson::array();
      for (const auto& t : c.tool_calls)
        calls.push_back(
            {{"id", t.id.empty() ? make_id("call_") : valid_utf8(t.id)},
             {"type", "function"},
             {"function", {{"name", valid_utf8(t.name)}, {"arguments", valid_utf8(t.arguments)}}}});
      msg["tool_calls"] = std::move(calls);
    }
    ojson choice;
    choice["index"] = c.index;
    choice["message"] = std::move(msg);
    choice["logprobs"] = c.logprobs ? chat_logprobs_json(*c.logprobs) : ojson(nullptr);
    choice["finish_reason"] = finish_reason_name(c.finish_reason);
    out_choices.push_back(std::move(choice));
  }
  return ojson{{"id", id},       {"object", "chat.completion"},       {"created", created},
               {"model", model}, {"choices", std::move(out_choices)}, {"usage", usage_json(usage)}};
}

ojson completion_json(const std::string& id,
                      std::int64_t created,
                      const std::string& model,
                      const std::vector<CompletionChoice>& choices,
                      const Usage& usage) {
  ojson out_choices = ojson::array();
  for (const auto& c : choices) {
    ojson choice;
    choice["index"] = c.index;
    choice["text"] = valid_utf8(c.text);
    choice["logprobs"] =
        c.logprobs ? completion_logprobs_json(*c.logprobs, c.text_offset) : ojson(nullptr);
    choice["finish_reason"] = finish_reason_name(c.finish_reason);
    out_choices.push_back(std::move(choice));
  }
  return ojson{{"id", id},       {"object", "text_completion"},       {"created", created},
               {"model", model}, {"choices", std::move(out_choices)}, {"usage", usage_json(usage)}};
}

ojson models_json(const ServedModels& served, std::int64_t created, const std::string& owned_by) {
  ojson data = ojson::array();
  auto card = [&](const std::string& id) {
    return ojson{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", owned_by}};
  };
  data.push_back(card(served.name));
  for (const auto& a : served.adapters) {
    ojson c = card(a);
    c["parent"] = served.name;
    data.push_back(std::move(c));
  }
  return ojson{{"object", "list"}, {"data", std::move(data)}};
}

std::string json_text(const ojson& j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::string sse_data(const ojson& j) {
  return "data: " + json_text(j) + "\n\n";
}

std::string sse_done() {
  return "data: [DONE]\n\n";
}

std::string sse_error(const ApiError& e) {
  return sse_data(e.to_json());
}

}  // namespace swift::serve

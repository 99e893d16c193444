// The response half of the OpenAI protocol: whole and streamed objects parsed back from the text
// the builders produce, checked for OpenAI's field names and types, SSE framing, logprobs in
// both endpoints' shapes, ids, UTF-8 repair and the Prometheus text format.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <regex>
#include <string>

#include "serve/metrics_text.h"
#include "serve/responses.h"

namespace {

using nlohmann::ordered_json;
using namespace swift::serve;

// One SSE event: "data: <one line of JSON>\n\n"; returns the JSON.
ordered_json event_json(const std::string& ev) {
  EXPECT_EQ(ev.rfind("data: ", 0), 0u) << ev;
  EXPECT_GE(ev.size(), 8u);
  EXPECT_EQ(ev.substr(ev.size() - 2), "\n\n") << ev;
  const std::string payload = ev.substr(6, ev.size() - 8);
  EXPECT_EQ(payload.find('\n'), std::string::npos) << "an event's data is one line";
  return ordered_json::parse(payload);
}

void expect_chunk_header(const ordered_json& c) {
  EXPECT_EQ(c["id"], "chatcmpl-abc");
  EXPECT_EQ(c["object"], "chat.completion.chunk");
  EXPECT_EQ(c["created"], 1700000000);
  EXPECT_EQ(c["model"], "m");
  EXPECT_TRUE(c["choices"].is_array());
}

TEST(Ids, PrefixAndHex) {
  const std::string a = make_id("chatcmpl-"), b = make_id("chatcmpl-");
  EXPECT_TRUE(std::regex_match(a, std::regex("chatcmpl-[0-9a-f]{32}"))) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(make_id("cmpl-"), std::regex("cmpl-[0-9a-f]{32}")));
  EXPECT_GT(now_unix(), 1600000000);
}

TEST(FinishReasons, Names) {
  EXPECT_STREQ(finish_reason_name(FinishReason::kStop), "stop");
  EXPECT_STREQ(finish_reason_name(FinishReason::kLength), "length");
  EXPECT_STREQ(finish_reason_name(FinishReason::kToolCalls), "tool_calls");
  EXPECT_EQ(finish_reason_from("length", false), FinishReason::kLength);
  EXPECT_EQ(finish_reason_from("stop", false), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from("cancelled", false), FinishReason::kStop);
  EXPECT_EQ(finish_reason_from("stop", true), FinishReason::kToolCalls);
}

TEST(Utf8, Repair) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("\xe4\xb8\xad\xe6\x96\x87"), "\xe4\xb8\xad\xe6\x96\x87");
  EXPECT_EQ(valid_utf8("a\xff"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  // A truncated character is one U+FFFD, as Python's errors="replace" gives.
  EXPECT_EQ(valid_utf8("\xe4\xb8"), "\xEF\xBF\xBD");
  EXPECT_EQ(valid_utf8("\xe4\xb8x"), "\xEF\xBF\xBDx");
  EXPECT_EQ(valid_utf8("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(valid_utf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");
  EXPECT_EQ(utf8_length("h\xc3\xa9llo"), 5u);
  EXPECT_EQ(utf8_length(""), 0u);
}

TEST(Usage, Totals) {
  const ordered_json u = usage_json({10, 5});
  EXPECT_EQ(u["prompt_tokens"], 10);
  EXPECT_EQ(u["completion_tokens"], 5);
  EXPECT_EQ(u["total_tokens"], 15);
}

TEST(ChatCompletion, Shape) {
  std::vector<ChatChoice> choices(2);
  choices[0].content = "Hello!";
  choices[1].index = 1;
  choices[1].content = "Hi";
  choices[1].finish_reason = FinishReason::kLength;
  const ordered_json j = ordered_json::parse(
      json_text(chat_completion_json("chatcmpl-abc", 1700000000, "m", choices, {7, 3})));
  EXPECT_EQ(j["id"], "chatcmpl-abc");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_TRUE(j["created"].is_number_integer());
  EXPECT_EQ(j["model"], "m");
  ASSERT_EQ(j["choices"].size(), 2u);
  const auto& c0 = j["choices"][0];
  EXPECT_EQ(c0["index"], 0);
  EXPECT_EQ(c0["message"]["role"], "assistant");
  EXPECT_EQ(c0["message"]["content"], "Hello!");
  EXPECT_FALSE(c0["message"].contains("tool_calls"));
  EXPECT_TRUE(c0.contains("logprobs") && c0["logprobs"].is_null());
  EXPECT_EQ(c0["finish_reason"], "stop");
  EXPECT_EQ(j["choices"][1]["index"], 1);
  EXPECT_EQ(j["choices"][1]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["total_tokens"], 10);
}

TEST(ChatCompletion, ToolCalls) {
  ChatChoice c;
  c.tool_calls = {{"call_x", "get_weather", "{\"city\": \"Paris\"}"}, {"", "get_time", "{}"}};
  c.finish_reason = FinishReason::kToolCalls;
  const ordered_json j = chat_completion_json("id", 1, "m", {c}, {});
  const auto& msg = j["choices"][0]["message"];
  EXPECT_TRUE(msg["content"].is_null());  // only tool calls: content is null, as OpenAI sends
  ASSERT_EQ(msg["tool_calls"].size(), 2u);
  EXPECT_EQ(msg["tool_calls"][0]["id"], "call_x");
  EXPECT_EQ(msg["tool_calls"][0]["type"], "function");
  EXPECT_EQ(msg["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_TRUE(msg["tool_calls"][0]["function"]["arguments"].is_string());
  EXPECT_TRUE(std::regex_match(msg["tool_calls"][1]["id"].get<std::string>(),
                               std::regex("call_[0-9a-f]{32}")));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
  c.content = "Let me check.";
  EXPECT_EQ(chat_completion_json("id", 1, "m", {c}, {})["choices"][0]["message"]["content"],
            "Let me check.");
}

TEST(ChatCompletion, ReasoningContent) {
  ChatChoice c;
  c.content = "4";
  c.reasoning_content = "2+2";
  const auto j = chat_completion_json("id", 1, "m", {c}, {});
  EXPECT_EQ(j["choices"][0]["message"]["reasoning_content"], "2+2");
  c.reasoning_content.clear();
  EXPECT_FALSE(chat_completion_json("id", 1, "m", {c}, {})["choices"][0]["message"].contains(
      "reasoning_content"));
}

TEST(Logprobs, ChatShape) {
  std::vector<TokenLogprob> toks = {
      {"Hel", -0.5, {{"Hel", -0.5}, {"He", -1.5}}},
      {"\xe4\xb8", -std::numeric_limits<double>::infinity(), {}},  // a character's first bytes
  };
  ChatChoice c;
  c.content = "Hel";
  c.logprobs = toks;
  const ordered_json j =
      ordered_json::parse(json_text(chat_completion_json("id", 1, "m", {c}, {})));
  const auto& lp = j["choices"][0]["logprobs"];
  ASSERT_TRUE(lp["content"].is_array());
  EXPECT_TRUE(lp["refusal"].is_null());
  const auto& t0 = lp["content"][0];
  EXPECT_EQ(t0["token"], "Hel");
  EXPECT_DOUBLE_EQ(t0["logprob"].get<double>(), -0.5);
  EXPECT_EQ(t0["bytes"], ordered_json({72, 101, 108}));
  ASSERT_EQ(t0["top_logprobs"].size(), 2u);
  EXPECT_EQ(t0["top_logprobs"][1]["token"], "He");
  EXPECT_DOUBLE_EQ(t0["top_logprobs"][1]["logprob"].get<double>(), -1.5);
  EXPECT_EQ(t0["top_logprobs"][1]["bytes"], ordered_json({72, 101}));
  const auto& t1 = lp["content"][1];
  EXPECT_EQ(t1["token"], "\xEF\xBF\xBD");
  EXPECT_EQ(t1["bytes"], ordered_json({228, 184}));  // the raw bytes survive
  EXPECT_DOUBLE_EQ(t1["logprob"].get<double>(), -9999.0);
  EXPECT_TRUE(t1["top_logprobs"].is_array());
}

TEST(Logprobs, CompletionShape) {
  std::vector<TokenLogprob> toks = {{" h\xc3\xa9", -0.25, {{" h\xc3\xa9", -0.25}, {" a", -2}}},
                                    {"llo", -1.0, {{"llo", -1.0}}}};
  const ordered_json lp = completion_logprobs_json(toks, 5);
  EXPECT_EQ(lp["tokens"], ordered_json({" h\xc3\xa9", "llo"}));
  EXPECT_EQ(lp["token_logprobs"], ordered_json({-0.25, -1.0}));
  ASSERT_TRUE(lp["top_logprobs"][0].is_object());
  EXPECT_DOUBLE_EQ(lp["top_logprobs"][0][" a"].get<double>(), -2.0);
  EXPECT_EQ(lp["text_offset"], ordered_json({5, 8}));  // " hé" is 3 code points
}

TEST(Completion, Shape) {
  CompletionChoice c;
  c.text = " there";
  c.finish_reason = FinishReason::kLength;
  c.logprobs = std::vector<TokenLogprob>{{" there", -0.1, {}}};
  const ordered_json j =
      ordered_json::parse(json_text(completion_json("cmpl-1", 2, "m", {c}, {4, 1})));
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["id"], "cmpl-1");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["text"], " there");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["choices"][0]["logprobs"]["tokens"][0], " there");
  EXPECT_EQ(j["usage"]["total_tokens"], 5);
  c.logprobs.reset();
  EXPECT_TRUE(completion_json("c", 2, "m", {c}, {})["choices"][0]["logprobs"].is_null());
}

TEST(Models, ListWithAdapters) {
  const ordered_json j = models_json({"Qwen3-0.6B", {"lora-a"}}, 1700000000);
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  for (const auto& m : j["data"]) {
    EXPECT_EQ(m["object"], "model");
    EXPECT_EQ(m["created"], 1700000000);
    EXPECT_EQ(m["owned_by"], "swift");
    EXPECT_TRUE(m["id"].is_string());
  }
  EXPECT_EQ(j["data"][0]["id"], "Qwen3-0.6B");
  EXPECT_FALSE(j["data"][0].contains("parent"));
  EXPECT_EQ(j["data"][1]["id"], "lora-a");
  EXPECT_EQ(j["data"][1]["parent"], "Qwen3-0.6B");
}

TEST(Sse, Framing) {
  EXPECT_EQ(sse_done(), "data: [DONE]\n\n");
  EXPECT_EQ(sse_data(ordered_json{{"a", 1}}), "data: {\"a\":1}\n\n");
  // Newlines in text are escaped inside the JSON, so an event never spans lines.
  const ordered_json j = event_json(sse_data(ordered_json{{"text", "a\n\nb"}}));
  EXPECT_EQ(j["text"], "a\n\nb");
  const ordered_json err = event_json(sse_error(bad_request("x", "went wrong")));
  EXPECT_EQ(err["error"]["message"], "went wrong");
  EXPECT_EQ(err["error"]["type"], "invalid_request_error");
}

TEST(ChatStreamTest, EventsWithoutUsage) {
  ChatStream s("chatcmpl-abc", 1700000000, "m", false);
  ordered_json c = event_json(s.role(0));
  expect_chunk_header(c);
  EXPECT_FALSE(c.contains("usage"));
  ASSERT_EQ(c["choices"].size(), 1u);
  EXPECT_EQ(c["choices"][0]["index"], 0);
  EXPECT_EQ(c["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(c["choices"][0]["delta"]["content"], "");
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(c["choices"][0]["logprobs"].is_null());

  c = event_json(s.content(1, "Hel\nlo"));
  EXPECT_EQ(c["choices"][0]["index"], 1);
  EXPECT_EQ(c["choices"][0]["delta"]["content"], "Hel\nlo");
  EXPECT_FALSE(c["choices"][0]["delta"].contains("role"));

  const std::vector<TokenLogprob> lp = {{"Hel", -0.5, {{"Hel", -0.5}}}};
  c = event_json(s.content(0, "Hel", &lp));
  EXPECT_EQ(c["choices"][0]["logprobs"]["content"][0]["token"], "Hel");

  c = event_json(s.reasoning(0, "think"));
  EXPECT_EQ(c["choices"][0]["delta"]["reasoning_content"], "think");

  c = event_json(s.finish(0, FinishReason::kLength));
  EXPECT_TRUE(c["choices"][0]["delta"].is_object() && c["choices"][0]["delta"].empty());
  EXPECT_EQ(c["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(s.usage({1, 2}), "");
}

TEST(ChatStreamTest, IncludeUsage) {
  ChatStream s("chatcmpl-abc", 1700000000, "m", true);
  ordered_json c = event_json(s.content(0, "x"));
  ASSERT_TRUE(c.contains("usage"));
  EXPECT_TRUE(c["usage"].is_null());
  c = event_json(s.usage({12, 3}));
  expect_chunk_header(c);
  EXPECT_TRUE(c["choices"].empty());
  EXPECT_EQ(c["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(c["usage"]["completion_tokens"], 3);
  EXPECT_EQ(c["usage"]["total_tokens"], 15);
}

TEST(ChatStreamTest, ToolCallDelta) {
  ChatStream s("chatcmpl-abc", 1, "m", false);
  const ordered_json c =
      event_json(s.tool_calls(0, {{"call_1", "f", "{\"a\":1}"}, {"call_2", "g", "{}"}}));
  const auto& calls = c["choices"][0]["delta"]["tool_calls"];
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1]["index"], 1);
  EXPECT_EQ(calls[1]["id"], "call_2");
  EXPECT_EQ(calls[1]["type"], "function");
  EXPECT_EQ(calls[0]["function"]["name"], "f");
  EXPECT_EQ(calls[0]["function"]["arguments"], "{\"a\":1}");
}

TEST(ChatStreamTest, BrokenUtf8NeverThrows) {
  ChatStream s("chatcmpl-abc", 1, "m", false);
  const ordered_json c = event_json(s.content(0, "\xe4\xb8"));
  EXPECT_EQ(c["choices"][0]["delta"]["content"], "\xEF\xBF\xBD");
}

TEST(CompletionStreamTest, Events) {
  CompletionStream s("cmpl-1", 5, "m", true);
  const std::vector<TokenLogprob> lp = {{" a", -0.1, {}}};
  ordered_json c = event_json(s.text(2, " a", &lp, 7));
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["id"], "cmpl-1");
  EXPECT_EQ(c["choices"][0]["index"], 2);
  EXPECT_EQ(c["choices"][0]["text"], " a");
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(c["choices"][0]["logprobs"]["text_offset"][0], 7);
  EXPECT_TRUE(c["usage"].is_null());
  c = event_json(s.finish(2, FinishReason::kStop));
  EXPECT_EQ(c["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(c["choices"][0]["text"], "");
  c = event_json(s.usage({3, 4}));
  EXPECT_TRUE(c["choices"].empty());
  EXPECT_EQ(c["usage"]["total_tokens"], 7);
  EXPECT_EQ(CompletionStream("c", 1, "m", false).usage({1, 1}), "");
}

TEST(Metrics, CounterAndGauge) {
  MetricsText m;
  m.counter("swift_requests_total", "Requests answered.", 3, {{"route", "/v1/chat/completions"}});
  m.counter("swift_requests_total", "Requests answered.", 1, {{"route", "/v1/models"}});
  m.gauge("swift_running", "Sequences running.", 2);
  m.gauge("swift_kv_usage", "KV cache use.", 0.25);
  EXPECT_EQ(m.text(),
            "# HELP swift_requests_total Requests answered.\n"
            "# TYPE swift_requests_total counter\n"
            "swift_requests_total{route=\"/v1/chat/completions\"} 3\n"
            "swift_requests_total{route=\"/v1/models\"} 1\n"
            "# HELP swift_running Sequences running.\n"
            "# TYPE swift_running gauge\n"
            "swift_running 2\n"
            "# HELP swift_kv_usage KV cache use.\n"
            "# TYPE swift_kv_usage gauge\n"
            "swift_kv_usage 0.25\n");
}

TEST(Metrics, Histogram) {
  MetricsText m;
  m.histogram("swift_ttft_seconds", "Time to first token.", {0.1, 1}, {3, 5, 1}, 4.5,
              {{"model", "m"}});
  EXPECT_EQ(m.text(),
            "# HELP swift_ttft_seconds Time to first token.\n"
            "# TYPE swift_ttft_seconds histogram\n"
            "swift_ttft_seconds_bucket{model=\"m\",le=\"0.1\"} 3\n"
            "swift_ttft_seconds_bucket{model=\"m\",le=\"1\"} 8\n"
            "swift_ttft_seconds_bucket{model=\"m\",le=\"+Inf\"} 9\n"
            "swift_ttft_seconds_sum{model=\"m\"} 4.5\n"
            "swift_ttft_seconds_count{model=\"m\"} 9\n");
}

TEST(Metrics, EscapingAndSpecialValues) {
  MetricsText m;
  m.gauge("g", "a \\ help\nline", std::nan(""), {{"l", "q\"uo\\te\nx"}});
  m.gauge("h", "inf", std::numeric_limits<double>::infinity());
  EXPECT_NE(m.text().find("# HELP g a \\\\ help\\nline\n"), std::string::npos) << m.text();
  EXPECT_NE(m.text().find("g{l=\"q\\\"uo\\\\te\\nx\"} NaN\n"), std::string::npos) << m.text();
  EXPECT_NE(m.text().find("h +Inf\n"), std::string::npos) << m.text();
  EXPECT_THROW(m.gauge("bad name", "x", 1), swift::Error);
  EXPECT_THROW(m.counter("g", "now a counter", 1), swift::Error);
}

}  // namespace

// The request half of the OpenAI protocol: every validation rule of /v1/chat/completions and
// /v1/completions bodies with its exact status, type, param and code, the values that pass,
// and the error body's shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <limits>
#include <string>

#include "serve/protocol.h"
#include "serve_test_util.h"

namespace {

using nlohmann::ordered_json;
using namespace swift::serve;
using swift::serve::testing::chat_body;
using swift::serve::testing::chat_refused;
using swift::serve::testing::completion_body;
using swift::serve::testing::completion_refused;
using swift::serve::testing::limits;
using swift::serve::testing::served;

void expect_400(const ApiError& e, const std::string& param, const std::string& code = "") {
  EXPECT_EQ(e.status, 400) << e.message;
  EXPECT_EQ(e.type, "invalid_request_error") << e.message;
  EXPECT_EQ(e.param, param) << e.message;
  EXPECT_EQ(e.code, code) << e.message;
  EXPECT_FALSE(e.message.empty());
}

ChatRequest chat(const ordered_json& extra = ordered_json::object()) {
  return parse_chat_request(chat_body(extra), served(), limits());
}

CompletionRequest completion(const ordered_json& extra = ordered_json::object()) {
  return parse_completion_request(completion_body(extra), served(), limits());
}

ordered_json user_msg(const ordered_json& content) {
  return ordered_json::array({{{"role", "user"}, {"content", content}}});
}

// --- the error body ---

TEST(ApiError, BodyHasOpenAIShape) {
  ApiError e = bad_request("temperature", "too hot");
  const auto j = ordered_json::parse(e.body());
  ASSERT_TRUE(j.contains("error"));
  const auto& err = j["error"];
  EXPECT_EQ(err.size(), 4u);
  EXPECT_EQ(err["message"], "too hot");
  EXPECT_EQ(err["type"], "invalid_request_error");
  EXPECT_EQ(err["param"], "temperature");
  EXPECT_TRUE(err["code"].is_null());
  ApiError whole = bad_request("", "bad body");
  EXPECT_TRUE(ordered_json::parse(whole.body())["error"]["param"].is_null());
  ApiError coded = bad_request("messages", "long", "context_length_exceeded");
  EXPECT_EQ(coded.to_json()["error"]["code"], "context_length_exceeded");
}

TEST(ApiError, BodyNeverThrowsOnInvalidUtf8) {
  ApiError e = bad_request("x", std::string("bad \xff byte"));
  EXPECT_NO_THROW(ordered_json::parse(e.body()));
}

TEST(ApiError, FromExceptions) {
  const swift::Error user("[template] cannot render", "f", 1);
  ApiError e = api_error_from(user);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "[template] cannot render");
  const std::runtime_error internal("boom");
  e = api_error_from(internal);
  EXPECT_EQ(e.status, 500);
  EXPECT_EQ(e.type, "server_error");
  e = api_error_from(std::bad_alloc());
  EXPECT_EQ(e.status, 503);
  EXPECT_EQ(e.code, "server_is_overloaded");
  const ApiError req = chat_refused(chat_body({{"temperature", 5}}));
  try {
    parse_chat_request(chat_body({{"temperature", 5}}), served(), limits());
  } catch (const std::exception& ex) {
    EXPECT_EQ(api_error_from(ex).param, req.param);
    EXPECT_NE(std::string(ex.what()).find("[serve] "), std::string::npos);
  }
}

TEST(LimitsTest, DefaultsAreOpenAIs) {
  const Limits l;
  EXPECT_EQ(l.max_n, 128);
  EXPECT_EQ(l.max_logprobs, 20);  // ms-swift deploy's max_logprobs
  EXPECT_EQ(l.max_stop, 4);
  EXPECT_EQ(l.max_tools, 128);
  EXPECT_EQ(l.max_model_len, 0);
  EXPECT_FALSE(l.prompt_logprobs);
}

// --- the body as a whole ---

TEST(Body, EmptyIsRefused) {
  expect_400(chat_refused(""), "");
  expect_400(chat_refused("  \n"), "");
}

TEST(Body, BadJsonNamesTheByte) {
  ApiError e = chat_refused("{\"a\":}");
  expect_400(e, "");
  EXPECT_NE(e.message.find("at byte 6"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("[json.exception"), std::string::npos) << e.message;
  e = chat_refused("{\"messages\": [");
  expect_400(e, "");
  EXPECT_NE(e.message.find("byte"), std::string::npos) << e.message;
  expect_400(chat_refused("{\"a\":1,}"), "");
  expect_400(chat_refused("{'a': 1}"), "");
  expect_400(chat_refused("{\"a\": NaN}"), "");
  expect_400(chat_refused("{\"a\": Infinity}"), "");
  expect_400(chat_refused("{\"a\": 1} trailing"), "");
}

TEST(Body, NonObjectIsRefused) {
  for (const char* body : {"[]", "null", "123", "\"text\"", "true", "[{\"messages\": []}]"}) {
    ApiError e = chat_refused(body);
    expect_400(e, "");
    EXPECT_NE(e.message.find("must be a JSON object"), std::string::npos) << body;
    expect_400(completion_refused(body), "");
  }
}

TEST(Body, InvalidUtf8IsRefused) {
  ApiError e = chat_refused("{\"messages\": [{\"role\": \"user\", \"content\": \"\xc3\x28\"}]}");
  expect_400(e, "");
  EXPECT_NE(e.message.find("UTF-8"), std::string::npos) << e.message;
  EXPECT_NO_THROW(ordered_json::parse(e.body()));
}

TEST(Body, NestingIsBoundedBeforeParsing) {
  Limits l = limits();
  std::string deep(l.max_json_depth + 1, '[');
  ApiError e = chat_refused("{\"x\": " + deep + "}", l);
  expect_400(e, "");
  EXPECT_NE(e.message.find("nests deeper"), std::string::npos) << e.message;
  // Brackets inside strings do not count.
  EXPECT_NO_THROW(chat({{"user", std::string(1000, '[')}}));
}

TEST(Body, UnknownFieldsAreIgnored) {
  EXPECT_NO_THROW(chat({{"frobnicate", {1, 2, 3}}, {"metadata", {{"a", "b"}}}}));
  EXPECT_NO_THROW(completion({{"frobnicate", true}}));
}

TEST(Body, ParsesFromJsonValue) {
  const ordered_json b = ordered_json::parse(chat_body());
  EXPECT_EQ(chat_request_from_json(b, served(), limits()).messages.size(), 1u);
  expect_400(swift::serve::testing::refused(
                 [] { chat_request_from_json(ordered_json::array(), served(), limits()); }),
             "");
}

// --- model ---

TEST(Model, MissingMeansTheServedModel) {
  const ChatRequest r = parse_chat_request(R"({"messages": [{"role": "user", "content": "hi"}]})",
                                           served(), limits());
  EXPECT_EQ(r.model.name, "Qwen3-0.6B");
  EXPECT_EQ(r.model.adapter, "");
  EXPECT_EQ(chat({{"model", nullptr}}).model.name, "Qwen3-0.6B");
}

TEST(Model, AdapterNamesPickTheAdapter) {
  const ChatRequest r = chat({{"model", "lora-b"}});
  EXPECT_EQ(r.model.name, "lora-b");
  EXPECT_EQ(r.model.adapter, "lora-b");
  EXPECT_EQ(completion({{"model", "lora-a"}}).model.adapter, "lora-a");
}

TEST(Model, UnknownIs404ModelNotFound) {
  ApiError e = chat_refused(chat_body({{"model", "Qwen3-0.6"}}));
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "model_not_found");
  EXPECT_EQ(e.param, "model");
  EXPECT_NE(e.message.find("Qwen3-0.6"), std::string::npos);
  EXPECT_NE(e.message.find("did you mean 'Qwen3-0.6B'"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("'lora-a'"), std::string::npos) << e.message;
  EXPECT_EQ(completion_refused(completion_body({{"model", "gpt-4"}})).status, 404);
  // A client's huge name is clipped in the message.
  e = chat_refused(chat_body({{"model", std::string(5000, 'x')}}));
  EXPECT_LT(e.message.size(), 1000u);
}

TEST(Model, WrongTypeIs400) {
  expect_400(chat_refused(chat_body({{"model", 7}})), "model");
  expect_400(chat_refused(chat_body({{"model", {"a"}}})), "model");
}

// --- messages ---

TEST(Messages, MissingWrongTypeOrEmpty) {
  expect_400(chat_refused(R"({"model": "Qwen3-0.6B"})"), "messages");
  expect_400(chat_refused(R"({"messages": null})"), "messages");
  expect_400(chat_refused(R"({"messages": "hi"})"), "messages");
  expect_400(chat_refused(R"({"messages": {"role": "user"}})"), "messages");
  ApiError e = chat_refused(R"({"messages": []})");
  expect_400(e, "messages");
  EXPECT_NE(e.message.find("empty"), std::string::npos);
}

TEST(Messages, EachMustBeAnObjectWithAKnownRole) {
  expect_400(chat_refused(R"({"messages": ["hi"]})"), "messages[0]");
  expect_400(chat_refused(R"({"messages": [{"role": "user", "content": "a"}, 3]})"), "messages[1]");
  expect_400(chat_refused(R"({"messages": [{"content": "hi"}]})"), "messages[0].role");
  expect_400(chat_refused(R"({"messages": [{"role": 1, "content": "hi"}]})"), "messages[0].role");
  ApiError e = chat_refused(R"({"messages": [{"role": "usr", "content": "hi"}]})");
  expect_400(e, "messages[0].role");
  EXPECT_NE(e.message.find("did you mean 'user'"), std::string::npos) << e.message;
  e = chat_refused(R"({"messages": [{"role": "function", "content": "x"}]})");
  expect_400(e, "messages[0].role");
  EXPECT_NE(e.message.find("tools"), std::string::npos) << e.message;
}

TEST(Messages, RolesAndContentForms) {
  const ordered_json msgs = {
      {{"role", "developer"}, {"content", "be brief"}},
      {{"role", "system"}, {"content", "sys"}},
      {{"role", "user"},
       {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}},
       {"name", "bob"}},
      {{"role", "assistant"}, {"content", ""}},
      {{"role", "user"}, {"content", "again"}}};
  const ChatRequest r = chat({{"messages", msgs}});
  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[0].role, "system");  // developer is OpenAI's newer name for system
  EXPECT_EQ(r.messages[2].content, "ab");
  EXPECT_EQ(r.messages[2].name, "bob");
  EXPECT_EQ(r.messages[3].content, "");
  const ordered_json j = r.messages_json();
  EXPECT_EQ(j[2]["content"], "ab");
  EXPECT_EQ(j[2]["name"], "bob");
  EXPECT_FALSE(j[0].contains("tool_calls"));
}

TEST(Messages, ContentRules) {
  expect_400(chat_refused(chat_body({{"messages", user_msg(5)}})), "messages[0].content");
  expect_400(chat_refused(chat_body({{"messages", user_msg({{"k", "v"}})}})),
             "messages[0].content");
  expect_400(chat_refused(R"({"messages": [{"role": "user"}]})"), "messages[0].content");
  expect_400(chat_refused(R"({"messages": [{"role": "system", "content": null}]})"),
             "messages[0].content");
  expect_400(chat_refused(R"({"messages": [{"role": "assistant"}]})"), "messages[0].content");
  expect_400(chat_refused(chat_body({{"messages", user_msg({"text"})}})), "messages[0].content[0]");
  expect_400(chat_refused(chat_body({{"messages", user_msg({{{"text", "x"}}})}})),
             "messages[0].content[0].type");
  expect_400(chat_refused(chat_body({{"messages", user_msg({{{"type", "text"}}})}})),
             "messages[0].content[0].text");
  expect_400(chat_refused(chat_body({{"messages", user_msg({{{"type", "text"}, {"text", 3}}})}})),
             "messages[0].content[0].text");
  ApiError e = chat_refused(chat_body(
      {{"messages", user_msg({{{"type", "text"}, {"text", "look"}},
                              {{"type", "image_url"}, {"image_url", {{"url", "http://x"}}}}})}}));
  expect_400(e, "messages[0].content[1].type");
  EXPECT_NE(e.message.find("text-only"), std::string::npos) << e.message;
  expect_400(chat_refused(chat_body({{"messages", user_msg({{{"type", "hologram"}}})}})),
             "messages[0].content[0].type");
  expect_400(chat_refused(R"({"messages": [{"role": "user", "content": "x", "name": 3}]})"),
             "messages[0].name");
}

TEST(Messages, ToolCallsAndToolResults) {
  const ordered_json msgs = {
      {{"role", "user"}, {"content", "weather?"}},
      {{"role", "assistant"},
       {"content", nullptr},
       {"tool_calls",
        {{{"id", "call_1"},
          {"type", "function"},
          {"function", {{"name", "get_weather"}, {"arguments", "{\"city\": \"Paris\"}"}}}},
         {{"function", {{"name", "get_time"}, {"arguments", {{"tz", "CET"}}}}}}}}},
      {{"role", "tool"}, {"content", "22C"}, {"tool_call_id", "call_1"}},
      {{"role", "tool"}, {"content", "12:00"}}};
  const ChatRequest r = chat({{"messages", msgs}});
  ASSERT_EQ(r.messages[1].tool_calls.size(), 2u);
  EXPECT_FALSE(r.messages[1].content.has_value());
  EXPECT_EQ(r.messages[1].tool_calls[0].id, "call_1");
  EXPECT_EQ(r.messages[1].tool_calls[0].arguments, "{\"city\": \"Paris\"}");
  EXPECT_EQ(ordered_json::parse(r.messages[1].tool_calls[1].arguments)["tz"], "CET");
  EXPECT_EQ(r.messages[2].tool_call_id, "call_1");
  EXPECT_EQ(r.messages[3].tool_call_id, "");  // ms-swift rows carry none
  const ordered_json j = r.messages_json();
  EXPECT_TRUE(j[1]["content"].is_null());
  EXPECT_EQ(j[1]["tool_calls"][0]["type"], "function");
  EXPECT_EQ(j[1]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_TRUE(j[1]["tool_calls"][0]["function"]["arguments"].is_string());
  EXPECT_FALSE(j[1]["tool_calls"][1].contains("id"));
  EXPECT_EQ(j[2]["tool_call_id"], "call_1");
}

TEST(Messages, ToolCallRules) {
  auto with_calls = [](const ordered_json& calls, const char* role = "assistant") {
    return chat_body({{"messages", {{{"role", role}, {"content", "x"}, {"tool_calls", calls}}}}});
  };
  expect_400(chat_refused(with_calls({{"function", {{"name", "f"}}}}, "user")),
             "messages[0].tool_calls");
  expect_400(chat_refused(with_calls("f")), "messages[0].tool_calls");
  expect_400(chat_refused(with_calls({3})), "messages[0].tool_calls[0]");
  expect_400(chat_refused(with_calls({{{"type", "code"}, {"function", {{"name", "f"}}}}})),
             "messages[0].tool_calls[0].type");
  expect_400(chat_refused(with_calls({{{"id", "c"}}})), "messages[0].tool_calls[0].function");
  expect_400(chat_refused(with_calls({{{"function", "f"}}})), "messages[0].tool_calls[0].function");
  expect_400(chat_refused(with_calls({{{"function", {{"arguments", "{}"}}}}})),
             "messages[0].tool_calls[0].function.name");
  expect_400(chat_refused(with_calls({{{"function", {{"name", "f"}, {"arguments", 3}}}}})),
             "messages[0].tool_calls[0].function.arguments");
  expect_400(chat_refused(with_calls({{{"id", 5}, {"function", {{"name", "f"}}}}})),
             "messages[0].tool_calls[0].id");
  expect_400(chat_refused(R"({"messages": [{"role": "tool", "content": "r", "tool_call_id": 1}]})"),
             "messages[0].tool_call_id");
}

// --- sampling ---

TEST(Sampling, UnsetFieldsStayUnset) {
  const ChatRequest r = chat();
  const Sampling& s = r.sampling;
  EXPECT_FALSE(s.temperature || s.top_p || s.top_k || s.min_p || s.repetition_penalty ||
               s.presence_penalty || s.frequency_penalty || s.seed || s.max_tokens);
  EXPECT_EQ(s.n, 1);
  EXPECT_FALSE(s.logprobs);
  EXPECT_EQ(s.top_logprobs, 0);
  EXPECT_TRUE(s.stop.empty());
  EXPECT_TRUE(s.skip_special_tokens);
  EXPECT_FALSE(r.stream);
  // JSON null is "not given" too.
  EXPECT_FALSE(chat({{"temperature", nullptr}, {"max_tokens", nullptr}}).sampling.temperature);
}

TEST(Sampling, AcceptedValues) {
  const ChatRequest r = chat({{"temperature", 0},
                              {"top_p", 1.0},
                              {"top_k", 20},
                              {"min_p", 0.05},
                              {"repetition_penalty", 1.1},
                              {"presence_penalty", -2},
                              {"frequency_penalty", 2},
                              {"seed", 42},
                              {"max_tokens", 4096},
                              {"n", 3},
                              {"stop", {"\n\n", "END"}},
                              {"stop_token_ids", {2, 999}},
                              {"logprobs", true},
                              {"top_logprobs", 20},
                              {"ignore_eos", true},
                              {"skip_special_tokens", false},
                              {"include_stop_str_in_output", true},
                              {"user", "u-1"}});
  const Sampling& s = r.sampling;
  EXPECT_EQ(*s.temperature, 0.0);
  EXPECT_EQ(*s.top_p, 1.0);
  EXPECT_EQ(*s.top_k, 20);
  EXPECT_DOUBLE_EQ(*s.min_p, 0.05);
  EXPECT_DOUBLE_EQ(*s.repetition_penalty, 1.1);
  EXPECT_EQ(*s.presence_penalty, -2.0);
  EXPECT_EQ(*s.frequency_penalty, 2.0);
  EXPECT_EQ(*s.seed, 42u);
  EXPECT_EQ(*s.max_tokens, 4096);
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(s.stop_token_ids, (std::vector<std::int32_t>{2, 999}));
  EXPECT_TRUE(s.logprobs);
  EXPECT_EQ(s.top_logprobs, 20);
  EXPECT_TRUE(s.ignore_eos);
  EXPECT_FALSE(s.skip_special_tokens);
  EXPECT_TRUE(s.include_stop_str_in_output);
  EXPECT_EQ(r.user, "u-1");
  EXPECT_EQ(*chat({{"temperature", 2}}).sampling.temperature, 2.0);
  EXPECT_EQ(chat({{"stop", "###"}}).sampling.stop, std::vector<std::string>{"###"});
  EXPECT_EQ(*chat({{"top_k", -1}}).sampling.top_k, -1);
  EXPECT_EQ(*chat({{"top_k", 0}}).sampling.top_k, 0);
  EXPECT_EQ(chat({{"n", 2.0}}).sampling.n, 2);  // a whole number written as a float
}

TEST(Sampling, Temperature) {
  for (double t : {-0.1, 2.01, 100.0})
    expect_400(chat_refused(chat_body({{"temperature", t}})), "temperature");
  ApiError e = chat_refused(chat_body({{"temperature", "0.5"}}));
  expect_400(e, "temperature");
  EXPECT_NE(e.message.find("expected a number, but got a string"), std::string::npos) << e.message;
  expect_400(chat_refused(chat_body({{"temperature", true}})), "temperature");
  // Huge numbers: 1e308 is a double and out of range; 1e999 is no double at all (a 400 for
  // the body); neither reaches the sampler as Inf.
  expect_400(chat_refused(chat_body({{"temperature", 1e308}})), "temperature");
  e = chat_refused(R"({"messages": [{"role": "user", "content": "x"}], "temperature": 1e999})");
  expect_400(e, "");
  EXPECT_NE(e.message.find("number"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("1e999"), std::string::npos) << e.message;
  expect_400(chat_refused(R"({"messages": [{"role": "user", "content": "x"}], "top_p": -1e999})"),
             "");
}

TEST(Sampling, TopPTopKMinP) {
  for (double p : {0.0, -0.5, 1.0001}) expect_400(chat_refused(chat_body({{"top_p", p}})), "top_p");
  expect_400(chat_refused(chat_body({{"top_k", -2}})), "top_k");
  expect_400(chat_refused(chat_body({{"top_k", 0.5}})), "top_k");
  expect_400(chat_refused(chat_body({{"top_k", "5"}})), "top_k");
  expect_400(chat_refused(chat_body({{"min_p", 1.5}})), "min_p");
  expect_400(chat_refused(chat_body({{"min_p", -0.1}})), "min_p");
}

TEST(Sampling, Penalties) {
  expect_400(chat_refused(chat_body({{"repetition_penalty", 0}})), "repetition_penalty");
  expect_400(chat_refused(chat_body({{"repetition_penalty", -1}})), "repetition_penalty");
  expect_400(chat_refused(chat_body({{"presence_penalty", 2.5}})), "presence_penalty");
  expect_400(chat_refused(chat_body({{"frequency_penalty", -3}})), "frequency_penalty");
}

TEST(Sampling, N) {
  for (const ordered_json& n : {ordered_json(0), ordered_json(-1), ordered_json(129),
                                ordered_json(1000000000), ordered_json(1.5), ordered_json("2")})
    expect_400(chat_refused(chat_body({{"n", n}})), "n");
  Limits l = limits();
  l.max_n = 4;
  expect_400(chat_refused(chat_body({{"n", 5}}), l), "n");
  EXPECT_EQ(parse_chat_request(chat_body({{"n", 4}}), served(), l).sampling.n, 4);
}

TEST(Sampling, MaxTokens) {
  const ordered_json bad[] = {ordered_json(-1),
                              ordered_json(0),
                              ordered_json::parse("9223372036854775808"),  // 2^63
                              ordered_json::parse("18446744073709551615"),
                              ordered_json(1e30),
                              ordered_json(10.5),
                              ordered_json("10"),
                              ordered_json(4097)};  // past max_model_len
  for (const auto& v : bad) expect_400(chat_refused(chat_body({{"max_tokens", v}})), "max_tokens");
  ApiError e = chat_refused(chat_body({{"max_tokens", 5000}}));
  EXPECT_NE(e.message.find("4096"), std::string::npos) << e.message;
  // max_completion_tokens (OpenAI's newer name) wins and is the param named.
  EXPECT_EQ(*chat({{"max_tokens", 10}, {"max_completion_tokens", 20}}).sampling.max_tokens, 20);
  expect_400(chat_refused(chat_body({{"max_completion_tokens", 0}})), "max_completion_tokens");
  // Without a known context the cap is 2^31 - 1.
  Limits l = limits();
  l.max_model_len = 0;
  EXPECT_EQ(
      *parse_chat_request(chat_body({{"max_tokens", 100000}}), served(), l).sampling.max_tokens,
      100000);
  expect_400(chat_refused(chat_body({{"max_tokens", 1LL << 40}}), l), "max_tokens");
}

TEST(Sampling, Seed) {
  EXPECT_EQ(*chat({{"seed", 0}}).sampling.seed, 0u);
  EXPECT_EQ(*chat({{"seed", -1}}).sampling.seed, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(*chat({{"seed", ordered_json::parse("18446744073709551615")}}).sampling.seed,
            std::numeric_limits<std::uint64_t>::max());
  expect_400(chat_refused(chat_body({{"seed", 1.5}})), "seed");
  expect_400(chat_refused(chat_body({{"seed", "42"}})), "seed");
}

TEST(Sampling, Stop) {
  EXPECT_EQ(chat({{"stop", ordered_json::array()}}).sampling.stop.size(), 0u);
  EXPECT_EQ(chat({{"stop", {"a", "b", "c", "d"}}}).sampling.stop.size(), 4u);
  ApiError e = chat_refused(chat_body({{"stop", {"a", "b", "c", "d", "e"}}}));
  expect_400(e, "stop");
  EXPECT_NE(e.message.find("at most 4"), std::string::npos) << e.message;
  expect_400(chat_refused(chat_body({{"stop", std::vector<std::string>(100000, "x")}})), "stop");
  expect_400(chat_refused(chat_body({{"stop", {"a", 3}}})), "stop[1]");
  expect_400(chat_refused(chat_body({{"stop", {"a", ""}}})), "stop[1]");
  expect_400(chat_refused(chat_body({{"stop", ""}})), "stop");
  expect_400(chat_refused(chat_body({{"stop", 3}})), "stop");
  expect_400(chat_refused(chat_body({{"stop", {{"k", "v"}}}})), "stop");
  Limits l = limits();
  l.max_stop = 16;
  EXPECT_EQ(
      parse_chat_request(chat_body({{"stop", std::vector<std::string>(16, "x")}}), served(), l)
          .sampling.stop.size(),
      16u);
}

TEST(Sampling, StopTokenIds) {
  expect_400(chat_refused(chat_body({{"stop_token_ids", {1000}}})), "stop_token_ids[0]");
  expect_400(chat_refused(chat_body({{"stop_token_ids", {1, -1}}})), "stop_token_ids[1]");
  expect_400(chat_refused(chat_body({{"stop_token_ids", {"1"}}})), "stop_token_ids[0]");
  expect_400(chat_refused(chat_body({{"stop_token_ids", 5}})), "stop_token_ids");
}

TEST(Sampling, ChatLogprobs) {
  expect_400(chat_refused(chat_body({{"logprobs", true}, {"top_logprobs", 21}})), "top_logprobs");
  expect_400(chat_refused(chat_body({{"logprobs", true}, {"top_logprobs", -1}})), "top_logprobs");
  ApiError e = chat_refused(chat_body({{"top_logprobs", 5}}));
  expect_400(e, "top_logprobs");
  EXPECT_NE(e.message.find("\"logprobs\": true"), std::string::npos) << e.message;
  expect_400(chat_refused(chat_body({{"logprobs", 5}})), "logprobs");
  expect_400(chat_refused(chat_body({{"logprobs", "yes"}})), "logprobs");
  Limits l = limits();
  l.max_logprobs = 5;
  expect_400(chat_refused(chat_body({{"logprobs", true}, {"top_logprobs", 6}}), l), "top_logprobs");
  const ChatRequest r = chat({{"logprobs", true}});
  EXPECT_TRUE(r.sampling.logprobs);
  EXPECT_EQ(r.sampling.top_logprobs, 0);
  EXPECT_NO_THROW(chat({{"logprobs", false}, {"top_logprobs", 0}}));
}

TEST(Sampling, Streaming) {
  const ChatRequest r = chat({{"stream", true}, {"stream_options", {{"include_usage", true}}}});
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_FALSE(chat({{"stream", true}}).include_usage);
  expect_400(chat_refused(chat_body({{"stream", "true"}})), "stream");
  expect_400(chat_refused(chat_body({{"stream_options", {{"include_usage", true}}}})),
             "stream_options");
  expect_400(chat_refused(chat_body({{"stream", true}, {"stream_options", true}})),
             "stream_options");
  expect_400(
      chat_refused(chat_body({{"stream", true}, {"stream_options", {{"include_usage", 1}}}})),
      "stream_options.include_usage");
}

TEST(Sampling, UnsupportedAreRefusedByName) {
  expect_400(chat_refused(chat_body({{"best_of", 3}})), "best_of");
  EXPECT_NO_THROW(chat({{"best_of", 2}, {"n", 2}}));
  expect_400(chat_refused(chat_body({{"logit_bias", {{"50256", -100}}}})), "logit_bias");
  expect_400(chat_refused(chat_body({{"logit_bias", {1, 2}}})), "logit_bias");
  EXPECT_NO_THROW(chat({{"logit_bias", ordered_json::object()}}));
  expect_400(chat_refused(chat_body({{"num_beams", 4}})), "num_beams");
  expect_400(chat_refused(chat_body({{"use_beam_search", true}})), "use_beam_search");
}

// --- chat-only fields ---

TEST(Chat, ResponseFormat) {
  EXPECT_NO_THROW(chat({{"response_format", {{"type", "text"}}}}));
  ApiError e = chat_refused(chat_body({{"response_format", {{"type", "json_object"}}}}));
  expect_400(e, "response_format");
  EXPECT_NE(e.message.find("not supported"), std::string::npos);
  expect_400(chat_refused(chat_body({{"response_format", {{"type", "json_schema"}}}})),
             "response_format");
  expect_400(chat_refused(chat_body({{"response_format", {{"type", "yaml"}}}})),
             "response_format.type");
  expect_400(chat_refused(chat_body({{"response_format", ordered_json::object()}})),
             "response_format.type");
  expect_400(chat_refused(chat_body({{"response_format", "json"}})), "response_format");
  expect_400(chat_refused(chat_body({{"functions", {{{"name", "f"}}}}})), "functions");
}

ordered_json weather_tool() {
  return {
      {"type", "function"},
      {"function",
       {{"name", "get_weather"},
        {"description", "Weather of a city"},
        {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}};
}

TEST(Chat, Tools) {
  const ChatRequest r = chat({{"tools", {weather_tool()}}});
  ASSERT_TRUE(r.tools.is_array());
  EXPECT_EQ(r.tools[0]["function"]["name"], "get_weather");
  // Key order is kept: templates write the schemas as JSON text.
  EXPECT_EQ(r.tools[0]["function"].begin().key(), "name");
  EXPECT_TRUE(chat({{"tools", ordered_json::array()}}).tools.is_null());
  EXPECT_TRUE(chat().tools.is_null());
  expect_400(chat_refused(chat_body({{"tools", weather_tool()}})), "tools");
  expect_400(chat_refused(chat_body({{"tools", {"get_weather"}}})), "tools[0]");
  expect_400(chat_refused(chat_body({{"tools", {{{"type", "retrieval"}}}}})), "tools[0].type");
  expect_400(chat_refused(chat_body({{"tools", {{{"type", "function"}}}}})), "tools[0].function");
  expect_400(chat_refused(chat_body({{"tools", {{{"function", {{"description", "d"}}}}}}})),
             "tools[0].function.name");
  expect_400(chat_refused(chat_body({{"tools", {{{"function", {{"name", 3}}}}}}})),
             "tools[0].function.name");
  expect_400(chat_refused(chat_body(
                 {{"tools", {{{"function", {{"name", "f"}, {"parameters", "schema"}}}}}}})),
             "tools[0].function.parameters");
  expect_400(
      chat_refused(chat_body({{"tools", {{{"function", {{"name", "f"}, {"description", 1}}}}}}})),
      "tools[0].function.description");
  expect_400(chat_refused(chat_body({{"tools", std::vector<ordered_json>(129, weather_tool())}})),
             "tools");
}

TEST(Chat, ToolChoice) {
  EXPECT_EQ(chat().tool_choice.mode, ToolChoice::Mode::kAuto);
  EXPECT_EQ(chat({{"tool_choice", "none"}}).tool_choice.mode, ToolChoice::Mode::kNone);
  EXPECT_EQ(chat({{"tool_choice", "auto"}}).tool_choice.mode, ToolChoice::Mode::kAuto);
  EXPECT_EQ(chat({{"tools", {weather_tool()}}, {"tool_choice", "required"}}).tool_choice.mode,
            ToolChoice::Mode::kRequired);
  const ChatRequest r =
      chat({{"tools", {weather_tool()}},
            {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}}});
  EXPECT_EQ(r.tool_choice.mode, ToolChoice::Mode::kFunction);
  EXPECT_EQ(r.tool_choice.function, "get_weather");
  expect_400(chat_refused(chat_body({{"tool_choice", "required"}})), "tool_choice");
  expect_400(chat_refused(chat_body({{"tool_choice", "sometimes"}})), "tool_choice");
  expect_400(chat_refused(chat_body({{"tool_choice", 1}})), "tool_choice");
  expect_400(chat_refused(chat_body({{"tools", {weather_tool()}},
                                     {"tool_choice", {{"function", {{"name", "nope"}}}}}})),
             "tool_choice");
  expect_400(chat_refused(chat_body({{"tool_choice", {{"type", "function"}}}})),
             "tool_choice.function.name");
}

TEST(Chat, TemplateKwargs) {
  const ChatRequest r = chat({{"chat_template_kwargs", {{"enable_thinking", false}}}});
  EXPECT_EQ(r.chat_template_kwargs["enable_thinking"], false);
  EXPECT_TRUE(chat().chat_template_kwargs.is_object());
  expect_400(chat_refused(chat_body({{"chat_template_kwargs", "x"}})), "chat_template_kwargs");
  expect_400(
      chat_refused(chat_body({{"chat_template_kwargs", {{"messages", ordered_json::array()}}}})),
      "chat_template_kwargs.messages");
  expect_400(
      chat_refused(chat_body({{"chat_template_kwargs", {{"add_generation_prompt", false}}}})),
      "chat_template_kwargs.add_generation_prompt");
  expect_400(chat_refused(chat_body({{"user", 1}})), "user");
}

// --- /v1/completions ---

TEST(Completions, PromptForms) {
  CompletionRequest r = completion();
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_FALSE(r.prompts[0].is_tokens);
  EXPECT_EQ(r.prompts[0].text, "Once upon a time");
  r = completion({{"prompt", {"a", "b"}}});
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.prompts[1].text, "b");
  r = completion({{"prompt", {1, 2, 3}}});
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_TRUE(r.prompts[0].is_tokens);
  EXPECT_EQ(r.prompts[0].token_ids, (std::vector<std::int32_t>{1, 2, 3}));
  r = completion({{"prompt", {{1, 2}, {3}}}});
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_EQ(r.prompts[1].token_ids, std::vector<std::int32_t>{3});
  r = completion({{"prompt", {ordered_json("text"), ordered_json({5})}}});
  EXPECT_FALSE(r.prompts[0].is_tokens);
  EXPECT_TRUE(r.prompts[1].is_tokens);
}

TEST(Completions, PromptRules) {
  expect_400(completion_refused("{}"), "prompt");
  expect_400(completion_refused(completion_body({{"prompt", nullptr}})), "prompt");
  expect_400(completion_refused(completion_body({{"prompt", ""}})), "prompt");
  expect_400(completion_refused(completion_body({{"prompt", ordered_json::array()}})), "prompt");
  expect_400(completion_refused(completion_body({{"prompt", 5}})), "prompt");
  expect_400(completion_refused(completion_body({{"prompt", {{"k", "v"}}}})), "prompt");
  expect_400(completion_refused(completion_body({{"prompt", {ordered_json::array()}}})),
             "prompt[0]");
  expect_400(completion_refused(completion_body({{"prompt", {"a", ""}}})), "prompt[1]");
  expect_400(
      completion_refused(completion_body({{"prompt", {ordered_json("a"), ordered_json(1)}}})),
      "prompt[1]");
  expect_400(
      completion_refused(completion_body({{"prompt", {ordered_json(1), ordered_json("a")}}})),
      "prompt[1]");
  expect_400(completion_refused(completion_body({{"prompt", {1, -1}}})), "prompt[1]");
  expect_400(completion_refused(completion_body({{"prompt", {1000}}})), "prompt[0]");  // vocab
  expect_400(completion_refused(completion_body({{"prompt", {{1}, {2, 1.5}}}})), "prompt[1][1]");
  expect_400(completion_refused(completion_body({{"prompt", {{1}, {{2}}}}})), "prompt[1][0]");
  expect_400(completion_refused(completion_body({{"prompt", std::vector<std::string>(257, "a")}})),
             "prompt");
}

TEST(Completions, LogprobsEchoSuffix) {
  CompletionRequest r = completion({{"logprobs", 3}});
  EXPECT_TRUE(r.sampling.logprobs);
  EXPECT_EQ(r.sampling.top_logprobs, 3);
  r = completion({{"logprobs", 0}});
  EXPECT_TRUE(r.sampling.logprobs);
  EXPECT_EQ(r.sampling.top_logprobs, 0);
  EXPECT_FALSE(completion({{"logprobs", nullptr}}).sampling.logprobs);
  expect_400(completion_refused(completion_body({{"logprobs", 21}})), "logprobs");
  expect_400(completion_refused(completion_body({{"logprobs", -1}})), "logprobs");
  expect_400(completion_refused(completion_body({{"logprobs", true}})), "logprobs");
  EXPECT_TRUE(completion({{"echo", true}}).echo);
  expect_400(completion_refused(completion_body({{"echo", "yes"}})), "echo");
  ApiError e = completion_refused(completion_body({{"echo", true}, {"logprobs", 1}}));
  expect_400(e, "echo");
  Limits l = limits();
  l.prompt_logprobs = true;
  EXPECT_NO_THROW(
      parse_completion_request(completion_body({{"echo", true}, {"logprobs", 1}}), served(), l));
  expect_400(completion_refused(completion_body({{"suffix", "end"}})), "suffix");
  EXPECT_NO_THROW(completion({{"suffix", ""}}));
  expect_400(completion_refused(completion_body({{"suffix", 1}})), "suffix");
}

TEST(Completions, SharesSamplingRules) {
  const CompletionRequest r = completion({{"temperature", 0.5},
                                          {"max_tokens", 16},
                                          {"n", 2},
                                          {"stop", "\n"},
                                          {"stream", true},
                                          {"stream_options", {{"include_usage", true}}}});
  EXPECT_EQ(*r.sampling.temperature, 0.5);
  EXPECT_EQ(*r.sampling.max_tokens, 16);
  EXPECT_EQ(r.sampling.n, 2);
  EXPECT_TRUE(r.stream && r.include_usage);
  expect_400(completion_refused(completion_body({{"temperature", 3}})), "temperature");
  expect_400(completion_refused(completion_body({{"max_tokens", 0}})), "max_tokens");
  // top_logprobs is chat's field; completions ignore it like any unknown field.
  EXPECT_EQ(completion({{"top_logprobs", 2}}).sampling.top_logprobs, 0);
}

// --- after tokenization ---

TEST(ContextLength, PromptAndMaxTokens) {
  const Limits l = limits();  // 4096
  EXPECT_NO_THROW(check_context_length(100, 3996, l, "messages"));
  EXPECT_NO_THROW(check_context_length(4095, std::nullopt, l, "messages"));
  expect_400(swift::serve::testing::refused(
                 [&] { check_context_length(4096, std::nullopt, l, "messages"); }),
             "messages", "context_length_exceeded");
  ApiError e =
      swift::serve::testing::refused([&] { check_context_length(100, 3997, l, "prompt"); });
  expect_400(e, "max_tokens", "context_length_exceeded");
  EXPECT_NE(e.message.find("3996"), std::string::npos) << e.message;
  Limits unknown = l;
  unknown.max_model_len = 0;
  EXPECT_NO_THROW(check_context_length(1 << 30, 1 << 30, unknown, "prompt"));
}

}  // namespace

// Hostile request bodies against the protocol parsers: depth bombs of 10^5 levels, every prefix
// of valid bodies, random bytes, seeded mutations of valid bodies and a matrix of wrongly typed
// values for every field. Each must end in a request (if it happens to be valid) or one
// RequestError with a 4xx status and a dumpable body, quickly and without a crash (the suite is
// also built under ASan/UBSan).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "serve/protocol.h"
#include "serve/responses.h"
#include "serve_test_util.h"

namespace {

using nlohmann::ordered_json;
using namespace swift::serve;
using swift::serve::testing::limits;
using swift::serve::testing::served;

constexpr int kDeep = 100000;

// Parses `body` with both endpoints; true when either accepted it. Anything but a RequestError
// with a 4xx status and a well-formed error body fails the test.
bool survive(const std::string& body) {
  bool accepted = false;
  for (int endpoint = 0; endpoint < 2; ++endpoint) {
    try {
      if (endpoint == 0) {
        const ChatRequest r = parse_chat_request(body, served(), limits());
        (void)json_text(r.messages_json());  // what the server hands the formatter dumps
      } else {
        parse_completion_request(body, served(), limits());
      }
      accepted = true;
    } catch (const RequestError& e) {
      const ApiError& a = e.api_error();
      EXPECT_TRUE(a.status == 400 || a.status == 404) << a.status;
      EXPECT_FALSE(a.message.empty());
      const ordered_json j = ordered_json::parse(a.body());
      EXPECT_TRUE(j["error"]["message"].is_string());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "non-request exception: " << e.what() << " for body of " << body.size()
                    << " bytes";
    }
  }
  return accepted;
}

std::string valid_chat() {
  return R"({"model": "lora-a", "messages": [{"role": "system", "content": "be brief"},
    {"role": "user", "content": [{"type": "text", "text": "weather in Paris?"}]},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "content": "22C", "tool_call_id": "c1"}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters":
      {"type": "object", "properties": {"city": {"type": "string"}}}}}],
    "tool_choice": "auto", "temperature": 0.7, "top_p": 0.9, "max_tokens": 64, "n": 2,
    "stop": ["\n\n"], "seed": 7, "logprobs": true, "top_logprobs": 3, "stream": true,
    "stream_options": {"include_usage": true}, "chat_template_kwargs": {"enable_thinking": false}})";
}

std::string valid_completion() {
  return R"({"prompt": [[1, 2, 3], "text"], "echo": false, "logprobs": 2, "max_tokens": 8,
    "temperature": 0, "stop": "END", "n": 1, "suffix": null})";
}

TEST(Hostile, ValidBodiesAreAccepted) {
  EXPECT_TRUE(survive(valid_chat()));
  EXPECT_TRUE(survive(valid_completion()));
}

TEST(Hostile, DepthBombs) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> bombs = {
      std::string(kDeep, '['),
      std::string(kDeep, '[') + std::string(kDeep, ']'),
      [] {
        std::string s;
        for (int i = 0; i < kDeep; ++i) s += "{\"a\":";
        return s + "1" + std::string(kDeep, '}');
      }(),
      "{\"messages\": " + std::string(kDeep, '[') + std::string(kDeep, ']') + "}",
      "{\"messages\": [{\"role\": \"user\", \"content\": " + std::string(kDeep, '[') + "}]}",
      "{\"prompt\": " + std::string(kDeep, '[') + "1" + std::string(kDeep, ']') + "}",
      "{\"chat_template_kwargs\": " + std::string(kDeep / 2, '[') + "}",
  };
  for (const auto& b : bombs) EXPECT_FALSE(survive(b));
  // Numbers past double range, and integers past 64 bits.
  EXPECT_FALSE(survive("{\"messages\": [], \"n\": 1e999999}"));
  EXPECT_FALSE(survive("{\"max_tokens\": " + std::string(5000, '9') + "}"));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, 10.0);
}

TEST(Hostile, EveryPrefixOfValidBodies) {
  for (const std::string& body : {valid_chat(), valid_completion()})
    for (std::size_t n = 0; n < body.size(); ++n) survive(body.substr(0, n));
}

TEST(Hostile, RandomBytes) {
  std::mt19937 rng(1234);
  const std::string alphabet = "{}[]\":,0123456789.eE+-truefalsnl \\/u\n\t";
  for (int i = 0; i < 3000; ++i) {
    const std::size_t len = rng() % 200;
    std::string s;
    const bool json_ish = i % 2 == 0;
    for (std::size_t k = 0; k < len; ++k)
      s += json_ish ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xFF);
    if (json_ish && i % 4 == 0) s = "{" + s;
    survive(s);
  }
}

TEST(Hostile, MutatedValidBodies) {
  std::mt19937 rng(99);
  const std::string seeds[] = {valid_chat(), valid_completion()};
  const char interesting[] = {'{', '}', '[', ']', '"', ',', ':', '\\', '0', '-', 'e', '\xff', '\0'};
  int accepted = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string s = seeds[i % 2];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = interesting[rng() % sizeof(interesting)];
          break;
        case 1:
          s.erase(at, 1 + rng() % 8);
          break;
        default:
          s.insert(at, 1, interesting[rng() % sizeof(interesting)]);
      }
    }
    accepted += survive(s);
  }
  // Some mutations land in strings or whitespace and leave a valid request.
  EXPECT_GT(accepted, 0);
}

// Every field given every kind of wrong value: an error naming that field (or acceptance when
// the value happens to fit), never anything else.
TEST(Hostile, WrongTypeMatrix) {
  const std::vector<ordered_json> values = {nullptr,
                                            true,
                                            0,
                                            -1,
                                            1.5,
                                            1e308,
                                            ordered_json::parse("9223372036854775808"),
                                            ordered_json::parse("-9223372036854775808"),
                                            "",
                                            "x",
                                            ordered_json::array(),
                                            ordered_json::object(),
                                            {1, 2},
                                            {{"k", "v"}},
                                            ordered_json::array({ordered_json::array()})};
  const std::vector<std::string> chat_fields = {"model",
                                                "messages",
                                                "stream",
                                                "stream_options",
                                                "n",
                                                "seed",
                                                "stop",
                                                "max_tokens",
                                                "max_completion_tokens",
                                                "temperature",
                                                "top_p",
                                                "top_k",
                                                "min_p",
                                                "repetition_penalty",
                                                "presence_penalty",
                                                "frequency_penalty",
                                                "logprobs",
                                                "top_logprobs",
                                                "tools",
                                                "tool_choice",
                                                "chat_template_kwargs",
                                                "user",
                                                "response_format",
                                                "best_of",
                                                "logit_bias",
                                                "stop_token_ids",
                                                "ignore_eos",
                                                "skip_special_tokens",
                                                "include_stop_str_in_output",
                                                "num_beams",
                                                "use_beam_search",
                                                "functions"};
  const ordered_json base_chat = ordered_json::parse(valid_chat());
  const ordered_json base_completion = ordered_json::parse(valid_completion());
  int cases = 0;
  for (const auto& f : chat_fields) {
    for (const auto& v : values) {
      for (int endpoint = 0; endpoint < 2; ++endpoint) {
        ordered_json b = endpoint == 0 ? base_chat : base_completion;
        b[f] = v;
        if (endpoint == 1 && f == "messages") b["prompt"] = v;
        try {
          if (endpoint == 0)
            chat_request_from_json(b, served(), limits());
          else
            completion_request_from_json(b, served(), limits());
        } catch (const RequestError& e) {
          const ApiError& a = e.api_error();
          EXPECT_TRUE(a.status == 400 || a.status == 404);
          // The error names a field; for this one, or one the valid body's other fields
          // depend on (stream_options needs stream, tool_choice needs tools...).
          EXPECT_FALSE(a.param.empty()) << f << " = " << v.dump() << ": " << a.message;
        } catch (const std::exception& e) {
          ADD_FAILURE() << f << " = " << v.dump() << ": " << e.what();
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, static_cast<int>(chat_fields.size() * values.size() * 2));
}

TEST(Hostile, LargeButValidBodies) {
  // 10^4 messages and a 1 MB string parse fine (the body size limit is the transport's).
  ordered_json msgs = ordered_json::array();
  for (int i = 0; i < 10000; ++i)
    msgs.push_back({{"role", i % 2 ? "assistant" : "user"}, {"content", "turn"}});
  msgs.push_back({{"role", "user"}, {"content", std::string(1 << 20, 'a')}});
  const ChatRequest r =
      parse_chat_request(ordered_json{{"messages", msgs}}.dump(), served(), limits());
  EXPECT_EQ(r.messages.size(), 10001u);
  // 10^5 stop strings and 10^5 tools are refused by count, quickly.
  EXPECT_FALSE(survive(ordered_json{{"messages", {{{"role", "user"}, {"content", "x"}}}},
                                    {"stop", std::vector<std::string>(100000, "s")}}
                           .dump()));
}

}  // namespace

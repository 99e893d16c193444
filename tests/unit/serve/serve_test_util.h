// Helpers the serve protocol tests share: the served models and limits the cases run against,
// and "this body must be refused with status S and param P".
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "serve/protocol.h"

namespace swift::serve::testing {

inline ServedModels served() {
  return {"Qwen3-0.6B", {"lora-a", "lora-b"}};
}

inline Limits limits() {
  Limits l;
  l.max_model_len = 4096;
  l.vocab_size = 1000;
  return l;
}

// The ApiError a call throws as a RequestError (a failure is recorded when it does not throw or
// throws something else).
template <typename Fn>
ApiError refused(Fn fn) {
  try {
    fn();
  } catch (const RequestError& e) {
    return e.api_error();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-request error: " << e.what();
    return {};
  }
  ADD_FAILURE() << "the request was accepted";
  return {};
}

inline ApiError chat_refused(const std::string& body, const Limits& l = limits()) {
  return refused([&] { parse_chat_request(body, served(), l); });
}

inline ApiError completion_refused(const std::string& body, const Limits& l = limits()) {
  return refused([&] { parse_completion_request(body, served(), l); });
}

// A minimal valid chat body with `extra` fields merged in.
inline std::string chat_body(
    const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) {
  nlohmann::ordered_json b = {{"model", "Qwen3-0.6B"},
                              {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
  return b.dump();
}

inline std::string completion_body(
    const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) {
  nlohmann::ordered_json b = {{"prompt", "Once upon a time"}};
  for (auto it = extra.begin(); it != extra.end(); ++it) b[it.key()] = it.value();
  return b.dump();
}

}  // namespace swift::serve::testing

// The error half of the OpenAI protocol: what the HTTP layer sends for a request it refuses,
// `{"error":{"message","type","param","code"}}` with a 4xx status, and the exception the request
// parsers throw to carry it. Bad input is never a 5xx.
#pragma once

#include <nlohmann/json.hpp>

#include <exception>
#include <string>

#include "core/error.h"

namespace swift::serve {

struct ApiError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string param;  // the offending field, e.g. "messages[1].role"; "" is sent as null
  std::string code;   // a machine-readable reason, e.g. "model_not_found"; "" is sent as null

  // {"error":{"message":...,"type":...,"param":...|null,"code":...|null}}
  nlohmann::ordered_json to_json() const;
  // to_json() as text; invalid UTF-8 (echoed client text) is replaced, never thrown on.
  std::string body() const;
};

// 400 invalid_request_error naming `param` ("" for the body as a whole).
ApiError bad_request(std::string param, std::string message, std::string code = {});

// What the request parsers throw. A swift::Error, so code that catches those still reports the
// message; the server answers with api_error().
class RequestError : public swift::Error {
 public:
  RequestError(ApiError error, const char* file, int line);
  const ApiError& api_error() const { return error_; }

 private:
  ApiError error_;
};

// The response for any exception escaping a request: a RequestError as it is; any other
// swift::Error (a template that cannot hold the conversation, a prompt the engine refuses) is
// the client's input, so 400; anything else is the server's fault, 500 server_error, worded
// by describe_exception so that no raw library text reaches the client.
ApiError api_error_from(const std::exception& e);

}  // namespace swift::serve

// SWIFT_REQUEST_FAIL(bad_request("n", "..."));
#define SWIFT_REQUEST_FAIL(api_error) \
  throw ::swift::serve::RequestError((api_error), __FILE__, __LINE__)

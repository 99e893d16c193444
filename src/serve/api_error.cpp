// ApiError's JSON form and the mapping of exceptions to OpenAI error responses (api_error.h).
#include "serve/api_error.h"

#include <new>

namespace swift::serve {

nlohmann::ordered_json ApiError::to_json() const {
  nlohmann::ordered_json e;
  e["message"] = message;
  e["type"] = type;
  e["param"] = param.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(param);
  e["code"] = code.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(code);
  return nlohmann::ordered_json{{"error", std::move(e)}};
}

std::string ApiError::body() const {
  return to_json().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

ApiError bad_request(std::string param, std::string message, std::string code) {
  ApiError e;
  e.param = std::move(param);
  e.message = std::move(message);
  e.code = std::move(code);
  return e;
}

RequestError::RequestError(ApiError error, const char* file, int line)
    : swift::Error("[serve] " + error.message, file, line), error_(std::move(error)) {}

ApiError api_error_from(const std::exception& e) {
  if (const auto* r = dynamic_cast<const RequestError*>(&e)) return r->api_error();
  if (dynamic_cast<const swift::Error*>(&e)) return bad_request("", e.what());
  ApiError err;
  err.status = 500;
  err.type = "server_error";
  err.message = describe_exception(e);
  if (dynamic_cast<const std::bad_alloc*>(&e)) {
    // Out of memory is the server running short, not the client's fault: retry later.
    err.status = 503;
    err.code = "server_is_overloaded";
  }
  return err;
}

}  // namespace swift::serve

// Request bodies as JSON objects, model names and context-length checks (protocol.h). The
// endpoint-specific fields are read in chat_request.cpp and completion_request.cpp, the shared
// ones in request_common.cpp.
#include "serve/protocol.h"

#include <fmt/format.h>

#include "core/strings.h"
#include "serve/fields.h"

namespace swift::serve {

using detail::fail;
using detail::ojson;

ojson parse_body(std::string_view body, const Limits& limits) {
  if (str::trim(body).empty())
    fail("",
         "The request body is empty; send a JSON object such as {\"messages\": [...]} with "
         "Content-Type: application/json");
  const std::size_t bad = str::utf8_error_offset(body);
  if (bad != std::string_view::npos)
    fail("", fmt::format("The request body is not valid UTF-8 (byte {}); send the JSON as UTF-8 "
                         "text",
                         bad));
  if (str::json_nesting(body, limits.max_json_depth) > limits.max_json_depth)
    fail("", fmt::format("The request body nests deeper than {} levels of arrays and objects; no "
                         "valid request does, flatten it",
                         limits.max_json_depth));
  ojson j;
  try {
    j = ojson::parse(body.begin(), body.end());
  } catch (const ojson::parse_error& e) {
    fail("", fmt::format("We could not parse the JSON body of your request: {} (at byte {} of {}); "
                         "send one well-formed JSON object",
                         str::json_error_text(e.what()), e.byte, body.size()));
  } catch (const ojson::exception& e) {
    // out_of_range 406: a literal such as 1e999 that no double holds.
    fail("", fmt::format("The request body holds a number no double can hold ({}); send numbers "
                         "within about ±1.8e308",
                         detail::clip(str::json_error_text(e.what()), 120)));
  }
  detail::require_object_body(j);
  return j;
}

ModelChoice resolve_model(const std::string& requested, const ServedModels& served) {
  if (requested.empty() || requested == served.name) return {served.name, ""};
  for (const auto& a : served.adapters)
    if (requested == a) return {a, a};
  std::vector<std::string> names{served.name};
  names.insert(names.end(), served.adapters.begin(), served.adapters.end());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
  const std::string near = str::closest(requested, names);
  ApiError e;
  e.status = 404;
  e.param = "model";
  e.code = "model_not_found";
  e.message = fmt::format(
      "The model '{}' does not exist on this server{}; use one of {} (GET "
      "/v1/models lists them) or leave 'model' out for the served model",
      detail::clip(requested), near.empty() ? "" : " (did you mean '" + near + "'?)", list);
  SWIFT_REQUEST_FAIL(e);
}

void check_context_length(std::int64_t prompt_tokens,
                          std::optional<std::int64_t> max_tokens,
                          const Limits& limits,
                          const std::string& prompt_param) {
  const std::int64_t ctx = limits.max_model_len;
  if (ctx <= 0) return;
  if (prompt_tokens >= ctx)
    fail(prompt_param,
         fmt::format("This model's maximum context length is {} tokens, but the prompt has {} "
                     "tokens, which leaves no room for the answer; shorten the prompt",
                     ctx, prompt_tokens),
         "context_length_exceeded");
  if (max_tokens && *max_tokens > ctx - prompt_tokens)
    fail("max_tokens",
         fmt::format("This model's maximum context length is {} tokens; the prompt has {} and "
                     "max_tokens asks for {} more ({} in all); lower max_tokens to at most {} or "
                     "shorten the prompt",
                     ctx, prompt_tokens, *max_tokens, prompt_tokens + *max_tokens,
                     ctx - prompt_tokens),
         "context_length_exceeded");
}

}  // namespace swift::serve

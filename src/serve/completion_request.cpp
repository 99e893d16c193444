// POST /v1/completions bodies: the prompt in each of OpenAI's four forms (a string, strings,
// token ids, lists of token ids), echo, the integer logprobs, and the shared sampling fields
// (request_common.cpp). suffix (insertion) is refused by name.
#include <fmt/format.h>

#include "serve/fields.h"

namespace swift::serve {

using detail::fail;
using detail::field;
using detail::ojson;
using detail::wrong_type;

namespace {

constexpr const char* kPromptForms =
    "a string, an array of strings, an array of token ids or an array of token-id arrays";

Prompt text_prompt(const ojson& v, const std::string& param) {
  Prompt p;
  p.text = v.get<std::string>();
  if (p.text.empty())
    fail(param, fmt::format("'{}' is an empty string; send the text to complete", param));
  return p;
}

Prompt token_prompt(const ojson& ids, const std::string& param, const Limits& limits) {
  Prompt p;
  p.is_tokens = true;
  if (ids.empty())
    fail(param, fmt::format("'{}' is an empty list of token ids; send at least one", param));
  for (std::size_t k = 0; k < ids.size(); ++k)
    p.token_ids.push_back(detail::read_token_id(ids[k], fmt::format("{}[{}]", param, k), limits));
  return p;
}

std::vector<Prompt> read_prompts(const ojson& body, const Limits& limits) {
  const ojson* v = field(body, "prompt");
  if (!v) fail("prompt", "'prompt' is required; send the text to complete");
  if (v->is_string()) return {text_prompt(*v, "prompt")};
  if (!v->is_array()) wrong_type("prompt", kPromptForms, *v);
  if (v->empty()) fail("prompt", "'prompt' is an empty list; send at least one prompt");
  // A list of numbers is one prompt of token ids; otherwise each element is a prompt.
  if ((*v)[0].is_number()) return {token_prompt(*v, "prompt", limits)};
  if (v->size() > static_cast<std::size_t>(limits.max_prompts))
    fail("prompt", fmt::format("'prompt' holds {} prompts; this server takes at most {} per "
                               "request, split the batch",
                               v->size(), limits.max_prompts));
  std::vector<Prompt> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const ojson& e = (*v)[i];
    const std::string p = fmt::format("prompt[{}]", i);
    if (e.is_string())
      out.push_back(text_prompt(e, p));
    else if (e.is_array())
      out.push_back(token_prompt(e, p, limits));
    else
      wrong_type(p, "a string or an array of token ids", e);
  }
  return out;
}

}  // namespace

CompletionRequest completion_request_from_json(const ojson& body,
                                               const ServedModels& served,
                                               const Limits& limits) {
  detail::require_object_body(body);
  CompletionRequest req;
  req.prompts = read_prompts(body, limits);
  detail::Common c = detail::read_common(body, detail::Endpoint::kCompletions, served, limits);
  req.model = std::move(c.model);
  req.sampling = std::move(c.sampling);
  req.stream = c.stream;
  req.include_usage = c.include_usage;
  req.user = std::move(c.user);
  req.echo = detail::get_bool(body, "echo", "echo").value_or(false);
  if (const auto suffix = detail::get_string(body, "suffix", "suffix"); suffix && !suffix->empty())
    fail("suffix",
         "'suffix' (text inserted after the completion) is not supported by this "
         "server; leave it out and put the text in the prompt");
  if (req.echo && req.sampling.logprobs && !limits.prompt_logprobs)
    fail("echo",
         "'echo' with 'logprobs' needs the prompt's logprobs, which this server does not "
         "compute; drop one of the two");
  return req;
}

CompletionRequest parse_completion_request(std::string_view body,
                                           const ServedModels& served,
                                           const Limits& limits) {
  return completion_request_from_json(parse_body(body, limits), served, limits);
}

}  // namespace swift::serve

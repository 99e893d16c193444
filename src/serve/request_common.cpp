// The fields chat and text completions share: model, streaming and the sampling settings, each
// checked against OpenAI's documented range (or vLLM's, for the fields OpenAI lacks) and the
// server's Limits.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "serve/fields.h"

namespace swift::serve::detail {

namespace {

constexpr std::int64_t kMaxTokensCap = std::numeric_limits<std::int32_t>::max();

std::optional<double> number_in(
    const ojson& body, const char* key, double lo, double hi, bool lo_open, const char* hint) {
  const auto v = get_number(body, key, key);
  if (v && (*v < lo || *v > hi || (lo_open && *v == lo)))
    fail(key, fmt::format("'{}' is {}, but it must be {} {} and at most {}; {}", key, show(*v),
                          lo_open ? "above" : "at least", show(lo), show(hi), hint));
  return v;
}

// stop: one string or a list of at most max_stop non-empty strings.
std::vector<std::string> read_stop(const ojson& body, const Limits& limits) {
  const ojson* v = field(body, "stop");
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > static_cast<std::size_t>(limits.max_stop))
      fail("stop", fmt::format("'stop' has {} strings; this server takes at most {}; keep the "
                               "ones that matter",
                               v->size(), limits.max_stop));
    for (std::size_t i = 0; i < v->size(); ++i) {
      const ojson& s = (*v)[i];
      if (!s.is_string()) wrong_type(fmt::format("stop[{}]", i), "a string", s);
      out.push_back(s.get<std::string>());
    }
  } else {
    wrong_type("stop", "a string or an array of strings", *v);
  }
  for (std::size_t i = 0; i < out.size(); ++i)
    if (out[i].empty())
      fail(v->is_array() ? fmt::format("stop[{}]", i) : "stop",
           "A stop string is empty, which would end every answer at once; remove it");
  return out;
}

std::vector<std::int32_t> read_stop_token_ids(const ojson& body, const Limits& limits) {
  const ojson* v = field(body, "stop_token_ids");
  if (!v) return {};
  if (!v->is_array()) wrong_type("stop_token_ids", "an array of token ids", *v);
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i < v->size(); ++i)
    out.push_back(read_token_id((*v)[i], fmt::format("stop_token_ids[{}]", i), limits));
  return out;
}

// Sampling the engine does not have is refused rather than silently ignored.
void refuse_unsupported(const ojson& body, int n) {
  if (const auto best_of = get_int(body, "best_of", "best_of"); best_of && *best_of != n)
    fail("best_of", fmt::format("'best_of' ({}) is not supported by this server; leave it out or "
                                "set it equal to n ({})",
                                *best_of, n));
  if (const ojson* bias = field(body, "logit_bias")) {
    if (!bias->is_object()) wrong_type("logit_bias", "an object of token id: bias", *bias);
    if (!bias->empty())
      fail("logit_bias", "'logit_bias' is not supported by this server; leave it out");
  }
  if (const auto beams = get_int(body, "num_beams", "num_beams"); beams && *beams > 1)
    fail("num_beams",
         "Beam search ('num_beams' > 1) is not supported by this server; leave it "
         "out to sample");
  if (get_bool(body, "use_beam_search", "use_beam_search").value_or(false))
    fail("use_beam_search", "Beam search is not supported by this server; leave it out");
}

std::optional<std::int64_t> read_max_tokens(const ojson& body, const Limits& limits) {
  const char* key = field(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  const auto v = get_int(body, key, key);
  if (!v) return v;
  if (*v < 1)
    fail(key, fmt::format("'{}' is {}, but it must be at least 1; leave it out to generate up to "
                          "the end of the context",
                          key, *v));
  const std::int64_t cap = limits.max_model_len > 0 ? limits.max_model_len : kMaxTokensCap;
  if (*v > cap)
    fail(key, fmt::format(
                  "'{}' is {}, but {} at most {} tokens (prompt included); ask for at "
                  "most {} or leave it out",
                  key, *v,
                  limits.max_model_len > 0 ? "this model's context holds" : "this server generates",
                  cap, cap));
  return v;
}

}  // namespace

std::int32_t read_token_id(const ojson& v, const std::string& param, const Limits& limits) {
  if (!v.is_number()) wrong_type(param, "a token id (an integer)", v);
  const std::int64_t id = as_int(v, param);
  const std::int64_t end =
      limits.vocab_size > 0 ? limits.vocab_size : std::numeric_limits<std::int32_t>::max();
  if (id < 0 || id >= end)
    fail(param, fmt::format("Token id {} is outside the vocabulary [0, {}); send ids the model's "
                            "tokenizer produced",
                            id, end));
  return static_cast<std::int32_t>(id);
}

Common read_common(const ojson& body,
                   Endpoint endpoint,
                   const ServedModels& served,
                   const Limits& limits) {
  Common c;
  c.model = resolve_model(get_string(body, "model", "model").value_or(""), served);
  c.user = get_string(body, "user", "user").value_or("");
  c.stream = get_bool(body, "stream", "stream").value_or(false);
  if (const ojson* so = field(body, "stream_options")) {
    if (!so->is_object()) wrong_type("stream_options", "an object", *so);
    if (!c.stream)
      fail("stream_options",
           "'stream_options' is only allowed when 'stream' is true; set "
           "\"stream\": true or leave stream_options out");
    c.include_usage =
        get_bool(*so, "include_usage", "stream_options.include_usage").value_or(false);
  }

  Sampling& s = c.sampling;
  s.temperature =
      number_in(body, "temperature", 0, 2, false, "use 0 for greedy decoding, about 0.7 to sample");
  s.top_p = number_in(body, "top_p", 0, 1, true, "1 keeps every token");
  s.min_p = number_in(body, "min_p", 0, 1, false, "0 turns it off");
  s.presence_penalty = number_in(body, "presence_penalty", -2, 2, false, "0 turns it off");
  s.frequency_penalty = number_in(body, "frequency_penalty", -2, 2, false, "0 turns it off");
  s.repetition_penalty = get_number(body, "repetition_penalty", "repetition_penalty");
  if (s.repetition_penalty && *s.repetition_penalty <= 0)
    fail("repetition_penalty",
         fmt::format("'repetition_penalty' is {}, but it must be above 0; 1 turns it off, values "
                     "above 1 discourage repeats",
                     show(*s.repetition_penalty)));
  s.top_k = get_int(body, "top_k", "top_k");
  if (s.top_k && *s.top_k < -1)
    fail("top_k",
         fmt::format("'top_k' is {}, but it must be -1 or 0 (off) or a positive count", *s.top_k));
  if (const ojson* seed = field(body, "seed")) {
    if (seed->is_number_unsigned())
      s.seed = seed->get<std::uint64_t>();
    else
      s.seed = static_cast<std::uint64_t>(as_int(*seed, "seed"));
  }
  s.max_tokens = read_max_tokens(body, limits);
  s.stop = read_stop(body, limits);
  s.stop_token_ids = read_stop_token_ids(body, limits);

  if (const auto n = get_int(body, "n", "n")) {
    if (*n < 1 || *n > limits.max_n)
      fail("n", fmt::format("'n' is {}, but this server makes 1 to {} choices per request; lower "
                            "it",
                            *n, limits.max_n));
    s.n = static_cast<int>(*n);
  }

  const auto check_logprobs = [&](std::int64_t k, const char* key) {
    if (k < 0 || k > limits.max_logprobs)
      fail(key, fmt::format("'{}' is {}, but it must be between 0 and {} (this server's "
                            "max_logprobs); lower it",
                            key, k, limits.max_logprobs));
    return static_cast<int>(k);
  };
  if (endpoint == Endpoint::kChat) {
    s.logprobs = get_bool(body, "logprobs", "logprobs").value_or(false);
    if (const auto k = get_int(body, "top_logprobs", "top_logprobs")) {
      s.top_logprobs = check_logprobs(*k, "top_logprobs");
      if (s.top_logprobs > 0 && !s.logprobs)
        fail("top_logprobs",
             "'top_logprobs' needs \"logprobs\": true; set it or leave "
             "top_logprobs out");
    }
  } else if (const ojson* lp = field(body, "logprobs")) {
    // OpenAI's completions take an integer; a boolean is the chat form sent to the wrong route.
    if (!lp->is_number())
      wrong_type("logprobs", "an integer (how many alternatives per token)", *lp);
    s.top_logprobs = check_logprobs(as_int(*lp, "logprobs"), "logprobs");
    s.logprobs = true;
  }

  s.ignore_eos = get_bool(body, "ignore_eos", "ignore_eos").value_or(false);
  s.skip_special_tokens =
      get_bool(body, "skip_special_tokens", "skip_special_tokens").value_or(true);
  s.include_stop_str_in_output =
      get_bool(body, "include_stop_str_in_output", "include_stop_str_in_output").value_or(false);
  refuse_unsupported(body, s.n);
  return c;
}

}  // namespace swift::serve::detail

// POST /v1/completions. As in ms-swift (ChatCompletionRequest.from_cmpl_request), a text prompt
// is the content of one user message, rendered by the chat template; a prompt of token ids is
// taken as it is (a vLLM extension ms-swift lacks). Each prompt of a batch is one engine
// request; choice i of prompt p is index p * n + i. echo puts the prompt text before the
// answer.
#include "infer/session.h"
#include "serve/server_internal.h"
#include "tokenizer/tokenizer.h"

namespace swift::serve {

namespace {

const char* kRoute = "/v1/completions";

struct Part {
  std::shared_ptr<RequestHandle> h;
  std::string echo;  // the prompt text when echo
  bool done = false;
};

struct CompletionStreamState {
  Server::State* st = nullptr;
  std::vector<Part> parts;
  CompletionStream stream;
  int n = 1;
  bool logprobs = false;
  bool echo = false;
  bool finished = false;
  int idle_ticks = 0;
  std::vector<bool> echoed;
  std::vector<std::size_t> offsets;  // code points sent per choice (text_offset)
  CompletionStreamState(std::string id, std::int64_t created, std::string model, bool usage)
      : stream(std::move(id), created, std::move(model), usage) {}
};

}  // namespace

void handle_completion(Server::State& st, const httplib::Request& req, httplib::Response& res) {
  try {
    CompletionRequest cr = parse_completion_request(req.body, st.served, st.limits);
    const infer::Session& s = st.session;
    std::vector<infer::GenerationRequest> gens;
    std::vector<std::string> echoes;
    for (std::size_t p = 0; p < cr.prompts.size(); ++p) {
      const Prompt& pr = cr.prompts[p];
      std::vector<std::int32_t> ids;
      std::string text;
      if (pr.is_tokens) {
        ids = pr.token_ids;
        text = s.tok->decode(ids, false);
      } else {
        nlohmann::ordered_json messages = nlohmann::ordered_json::array();
        messages.push_back({{"role", "user"}, {"content", pr.text}});
        ids = s.chat->prompt_ids(messages);
        text = pr.text;
      }
      const std::string param =
          cr.prompts.size() > 1 ? "prompt[" + std::to_string(p) + "]" : std::string("prompt");
      check_context_length(static_cast<std::int64_t>(ids.size()), cr.sampling.max_tokens, st.limits,
                           param);
      gens.push_back(st.generation_request(cr.sampling, std::move(ids), cr.model.adapter));
      echoes.push_back(cr.echo ? text : std::string());
    }
    // Every prompt is checked before any is queued; a full queue cancels those already in.
    std::vector<Part> parts;
    try {
      for (std::size_t p = 0; p < gens.size(); ++p)
        parts.push_back({st.submit(gens[p]), echoes[p], false});
    } catch (...) {
      for (auto& part : parts) part.h->cancel();
      throw;
    }
    const int n = cr.sampling.n;

    if (!cr.stream) {
      std::vector<CompletionChoice> choices;
      Usage usage;
      for (std::size_t p = 0; p < parts.size(); ++p) {
        auto& h = parts[p].h;
        std::vector<WorkerEvent> ignored;
        while (!h->done()) {
          ignored.clear();
          h->wait(&ignored, std::chrono::milliseconds(500));
        }
        st.record_finish(*h, -1);
      }
      for (std::size_t p = 0; p < parts.size(); ++p)
        if (!parts[p].h->error().empty()) SWIFT_REQUEST_FAIL(bad_request("", parts[p].h->error()));
      for (std::size_t p = 0; p < parts.size(); ++p) {
        const auto& r = parts[p].h->result();
        usage.prompt_tokens += r.prompt_tokens;
        usage.completion_tokens += r.completion_tokens;
        for (const auto& c : r.choices) {
          CompletionChoice cc;
          cc.index = static_cast<int>(p) * n + c.index;
          cc.text = parts[p].echo + s.answer_text(c.text);
          cc.finish_reason = finish_reason_from(c.finish_reason, false);
          if (gens[p].logprobs) {
            cc.logprobs = token_logprobs(s, c.logprobs);
            cc.text_offset = utf8_length(parts[p].echo);
          }
          choices.push_back(std::move(cc));
        }
        if (st.options.result_path) {
          std::string all;
          for (const auto& c : r.choices) all += s.answer_text(c.text);
          st.log_result(nlohmann::ordered_json::parse(req.body), all, gens[p]);
        }
      }
      st.send_json(res,
                   completion_json(make_id("cmpl-"), now_unix(), cr.model.name, choices, usage),
                   kRoute);
      return;
    }

    auto ss = std::make_shared<CompletionStreamState>(make_id("cmpl-"), now_unix(), cr.model.name,
                                                      cr.include_usage);
    ss->st = &st;
    ss->parts = std::move(parts);
    ss->n = n;
    ss->logprobs = cr.sampling.logprobs;
    ss->echo = cr.echo;
    ss->echoed.assign(ss->parts.size() * static_cast<std::size_t>(n), false);
    ss->offsets.assign(ss->parts.size() * static_cast<std::size_t>(n), 0);
    ++st.open_streams;
    st.count(kRoute, 200);
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [ss](std::size_t, httplib::DataSink& sink) {
          std::string out;
          auto& parts = ss->parts;
          const infer::Session& s = ss->st->session;
          bool all_done = true;
          bool any = false;
          for (std::size_t p = 0; p < parts.size(); ++p) {
            if (parts[p].done) continue;
            all_done = false;
            std::vector<WorkerEvent> events;
            if (!parts[p].h->wait(&events, std::chrono::milliseconds(any ? 0 : 100))) continue;
            any = true;
            for (const auto& e : events) {
              if (e.done) {
                parts[p].done = true;
                ss->st->record_finish(*parts[p].h, -1);
                if (!parts[p].h->error().empty())
                  out += sse_error(bad_request("", parts[p].h->error()));
                continue;
              }
              const int index = static_cast<int>(p) * ss->n + e.choice;
              const auto slot = static_cast<std::size_t>(index);
              std::string text;
              if (ss->echo && !ss->echoed[slot]) {
                text = parts[p].echo;
                ss->echoed[slot] = true;
              }
              text += e.text;
              std::vector<TokenLogprob> lp;
              if (ss->logprobs && e.sampled) lp = token_logprobs(s, {*e.sampled});
              if (!text.empty() || !lp.empty())
                out += ss->stream.text(index, text, lp.empty() ? nullptr : &lp, ss->offsets[slot]);
              ss->offsets[slot] += utf8_length(text);
              if (e.choice_finished)
                out += ss->stream.finish(index, finish_reason_from(e.finish_reason, false));
            }
          }
          if (all_done ||
              std::all_of(parts.begin(), parts.end(), [](const Part& x) { return x.done; })) {
            if (!ss->finished) {
              Usage u;
              for (const auto& part : parts) {
                u.prompt_tokens += part.h->result().prompt_tokens;
                u.completion_tokens += part.h->result().completion_tokens;
              }
              out += ss->stream.usage(u);
              out += sse_done();
              ss->finished = true;
            }
          }
          if (out.empty() && !any && ++ss->idle_ticks >= 10) {
            out = ": keep-alive\n\n";
            ss->idle_ticks = 0;
          }
          if (!out.empty() && !sink.write(out.data(), out.size())) return false;
          if (ss->finished) sink.done();
          return true;
        },
        [ss, &st](bool success) {
          if (!success || !ss->finished)
            for (auto& part : ss->parts) part.h->cancel();
          --st.open_streams;
        });
  } catch (const std::exception& e) {
    st.send_error(res, api_error_from(e), kRoute);
  }
}

}  // namespace swift::serve

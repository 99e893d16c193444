// Continuous-batching engine; see engine.h.
#include "infer/engine.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "core/error.h"
#include "infer/text_stream.h"
#include "model/causal_lm.h"
#include "nn/kv_cache.h"
#include "tokenizer/tokenizer.h"

namespace swift::infer {

namespace {

// One choice of one request: its cache sequence, tokens so far and stream state.
struct Sequence {
  std::uint64_t request = 0;
  int choice = 0;
  std::int64_t cache_seq = -1;
  std::vector<std::int32_t> tokens;  // prompt + generated
  std::size_t prompt_len = 0;
  std::vector<std::int32_t> generated;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<TextStream> stream;
  bool done = false;
  // Choices 1..n-1 wait (no blocks, not scheduled) for choice 0 to prefill the prompt, then fork
  // its cache; choice 0 holds them until then. Invariant: a waiting child finishes only with
  // its leader (cancel), so the pointers stay valid while they are used.
  bool awaiting_fork = false;
  std::vector<Sequence*> fork_children;
  bool preempt = false;  // gave its blocks back this step; moves to Impl::preempted
};

struct Request {
  std::uint64_t id = 0;
  GenerationRequest req;
  StreamCallback on_delta;
  GenerationResult result;
  std::int64_t max_new = 0;  // resolved max_new_tokens
  int unfinished = 0;
  bool admitted = false;
};

}  // namespace

struct Engine::Impl {
  std::shared_ptr<model::CausalLM> model;
  std::shared_ptr<const tok::Tokenizer> tokenizer;
  EngineOptions options;
  std::int64_t max_model_len = 0;
  std::unique_ptr<nn::PagedKvCache> cache;
  std::map<std::string, std::shared_ptr<nn::AdapterHook>> adapters;
  std::shared_ptr<nn::AdapterHook> base_hook;
  at::Device device = at::kCPU;  // where the weights live; inputs go there

  mutable std::recursive_mutex mu;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, Request> requests;  // waiting, running and finished-not-taken
  std::deque<std::uint64_t> waiting;
  std::vector<std::unique_ptr<Sequence>> running;  // admission order
  // Preempted sequences, readmitted before any new request: they re-prefill prompt + generated
  // tokens and continue with the same sampler and text stream.
  std::deque<std::unique_ptr<Sequence>> preempted;
  std::mt19937_64 seed_source{std::random_device{}()};
  EngineStats counters;

  // Frees the sequence's KV blocks, flushes its text and reports the final delta.
  void finish_sequence(Sequence& s,
                       Request& r,
                       const std::string& reason,
                       std::string text,
                       std::int32_t token = -1,
                       const SampledToken* sampled = nullptr);
  void emit(Request& r, const StreamDelta& d) {
    if (r.on_delta) r.on_delta(d);
  }
  void admit();
  void handle_token(Sequence& s, Request& r, const SampledToken& t);
  bool kv_fits(std::int64_t extra_blocks) const {
    if (options.max_kv_blocks <= 0) return true;
    return cache->num_used_blocks() + extra_blocks <= options.max_kv_blocks;
  }
  bool holds_blocks(const Sequence& s) const {
    return !s.done && !s.preempt && s.cache_seq >= 0 && !cache->block_table(s.cache_seq).empty();
  }
  // Scheduling under the KV budget: older sequences come first; a sequence short of blocks
  // preempts the most recently admitted ones after it, else waits or (decode) preempts itself.
  using Scheduled = std::set<const Sequence*>;
  Sequence* victim_after(const Sequence& s, const Scheduled& scheduled);
  bool others_hold_blocks(const Sequence& s) const;
  void preempt(Sequence& s);
  void fail_alone(Sequence& s);
  bool room_to_decode(Sequence& s, const Scheduled& scheduled);
  std::int64_t room_to_prefill(Sequence& s, std::int64_t len, const Scheduled& scheduled);
  void park_preempted();
};

Engine::Engine(std::shared_ptr<model::CausalLM> model,
               std::shared_ptr<const tok::Tokenizer> tokenizer,
               EngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  SWIFT_CHECK(model != nullptr, "[infer] the engine needs a model");
  SWIFT_CHECK(tokenizer != nullptr, "[infer] the engine needs a tokenizer");
  SWIFT_CHECK(options.block_size > 0, "[infer] block_size must be positive");
  SWIFT_CHECK(options.max_num_batched_tokens > 0, "[infer] max_num_batched_tokens must be > 0");
  auto& m = *impl_;
  m.model = std::move(model);
  m.tokenizer = std::move(tokenizer);
  m.options = options;
  const std::int64_t model_max = m.model->config().max_position_embeddings;
  m.max_model_len = options.max_model_len > 0 ? options.max_model_len : model_max;
  if (model_max > 0) m.max_model_len = std::min(m.max_model_len, model_max);
  SWIFT_CHECK(m.max_model_len > 0,
              "[infer] max_model_len is unknown: the config has no max_position_embeddings; pass "
              "--max_model_len");
  m.cache = std::make_unique<nn::PagedKvCache>(m.model->config().num_layers,
                                               m.model->cache_kv_heads(), m.model->cache_k_dim(),
                                               m.model->cache_v_dim(), options.block_size);
  m.base_hook = options.base_adapter;
  if (!m.model->parameters().empty()) m.device = m.model->parameters().begin()->second.device();
}

Engine::~Engine() = default;

void Engine::add_adapter(const std::string& name, std::shared_ptr<nn::AdapterHook> hook) {
  std::lock_guard<std::recursive_mutex> lock(impl_->mu);
  SWIFT_CHECK(!name.empty(), "[infer] an adapter needs a name");
  SWIFT_CHECK(hook != nullptr, "[infer] adapter '{}' is empty", name);
  impl_->adapters[name] = std::move(hook);
}

bool Engine::has_adapter(const std::string& name) const {
  std::lock_guard<std::recursive_mutex> lock(impl_->mu);
  return name.empty() || impl_->adapters.count(name) != 0;
}

std::vector<std::string> Engine::adapter_names() const {
  std::lock_guard<std::recursive_mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [name, hook] : impl_->adapters) out.push_back(name);
  return out;
}

const EngineOptions& Engine::options() const {
  return impl_->options;
}
std::int64_t Engine::max_model_len() const {
  return impl_->max_model_len;
}

std::uint64_t Engine::submit(GenerationRequest request, StreamCallback on_delta) {
  auto& m = *impl_;
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  const auto plen = static_cast<std::int64_t>(request.prompt_ids.size());
  SWIFT_CHECK(plen > 0, "[infer] the prompt is empty: nothing to generate from");
  SWIFT_CHECK(plen < m.max_model_len,
              "[infer] the prompt has {} tokens but max_model_len is {}: shorten the input or "
              "raise --max_model_len",
              plen, m.max_model_len);
  const auto vocab = m.model->config().vocab_size;
  for (auto id : request.prompt_ids)
    SWIFT_CHECK(id >= 0 && id < vocab,
                "[infer] prompt token id {} is outside the vocabulary (0..{})", id, vocab - 1);
  SWIFT_CHECK(request.n >= 1 && request.n <= 128, "[infer] n must be between 1 and 128, got {}",
              request.n);
  SWIFT_CHECK(
      m.options.max_kv_blocks <= 0 || m.cache->blocks_for(plen + 1) <= m.options.max_kv_blocks,
      "[infer] a prompt of {} tokens does not fit the KV budget of {} blocks of {} tokens "
      "even alone: shorten the input or raise --max_kv_blocks",
      plen, m.options.max_kv_blocks, m.options.block_size);
  SWIFT_CHECK(request.adapter.empty() || m.adapters.count(request.adapter),
              "[infer] unknown adapter '{}'", request.adapter);
  const auto& sp = request.sampling;
  SWIFT_CHECK(sp.temperature >= 0 && std::isfinite(sp.temperature),
              "[infer] temperature must be a number >= 0, got {}", sp.temperature);
  SWIFT_CHECK(request.max_new_tokens != 0,
              "[infer] max_new_tokens must be at least 1 (or unset for no limit), got 0");
  SWIFT_CHECK(sp.top_p > 0 && sp.top_p <= 1, "[infer] top_p must be in (0, 1], got {}", sp.top_p);
  SWIFT_CHECK(sp.min_p >= 0 && sp.min_p <= 1, "[infer] min_p must be in [0, 1], got {}", sp.min_p);
  SWIFT_CHECK(sp.repetition_penalty > 0, "[infer] repetition_penalty must be > 0, got {}",
              sp.repetition_penalty);
  SWIFT_CHECK(sp.top_logprobs >= 0 && sp.top_logprobs <= 20,
              "[infer] top_logprobs must be between 0 and 20, got {}", sp.top_logprobs);
  Request r;
  r.id = m.next_id++;
  r.max_new = m.max_model_len - plen;
  if (request.max_new_tokens >= 0) r.max_new = std::min(r.max_new, request.max_new_tokens);
  if (!request.sampling.seed) request.sampling.seed = m.seed_source();
  r.req = std::move(request);
  r.on_delta = std::move(on_delta);
  r.result.id = r.id;
  r.result.prompt_tokens = plen;
  r.result.choices.resize(r.req.n);
  for (int i = 0; i < r.req.n; ++i) r.result.choices[i].index = i;
  const auto id = r.id;
  m.requests.emplace(id, std::move(r));
  m.waiting.push_back(id);
  return id;
}

void Engine::Impl::finish_sequence(Sequence& s,
                                   Request& r,
                                   const std::string& reason,
                                   std::string text,
                                   std::int32_t token,
                                   const SampledToken* sampled) {
  if (s.done) return;
  s.done = true;
  if (s.cache_seq >= 0) cache->free_sequence(s.cache_seq);
  s.cache_seq = -1;
  text += s.stream->finish();  // what was held back (nothing once a stop string matched)
  auto& choice = r.result.choices[s.choice];
  choice.text += text;
  choice.finish_reason = reason;
  if (--r.unfinished == 0) r.result.finished = true;
  StreamDelta d;
  d.request = r.id;
  d.choice = s.choice;
  d.text = std::move(text);
  d.token = token;
  d.sampled = sampled;
  d.finished = true;
  d.finish_reason = reason;
  emit(r, d);
}

void Engine::cancel(std::uint64_t id) {
  auto& m = *impl_;
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  auto it = m.requests.find(id);
  if (it == m.requests.end() || it->second.result.finished) return;
  Request& r = it->second;
  if (!r.admitted) {
    m.waiting.erase(std::remove(m.waiting.begin(), m.waiting.end(), id), m.waiting.end());
    for (auto& c : r.result.choices) c.finish_reason = "cancelled";
    r.result.finished = true;
    for (int i = 0; i < r.req.n; ++i) {
      StreamDelta d;
      d.request = id;
      d.choice = i;
      d.finished = true;
      d.finish_reason = "cancelled";
      m.emit(r, d);
    }
    return;
  }
  for (auto& s : m.running)
    if (s->request == id && !s->done) m.finish_sequence(*s, r, "cancelled", "");
  for (auto& s : m.preempted)
    if (s->request == id && !s->done) m.finish_sequence(*s, r, "cancelled", "");
  m.preempted.erase(std::remove_if(m.preempted.begin(), m.preempted.end(),
                                   [](const std::unique_ptr<Sequence>& s) { return s->done; }),
                    m.preempted.end());
}

void Engine::Impl::admit() {
  const auto full = [&](std::int64_t more) {
    const auto live = static_cast<std::int64_t>(running.size());
    return options.max_num_seqs > 0 && live > 0 && live + more > options.max_num_seqs;
  };
  // Preempted sequences first, in order; no new request overtakes them.
  while (!preempted.empty()) {
    auto& s = preempted.front();
    if (s->done) {
      preempted.pop_front();
      continue;
    }
    if (full(1)) return;
    if (!running.empty() &&
        !kv_fits(cache->blocks_for(static_cast<std::int64_t>(s->tokens.size()) + 1)))
      return;
    s->cache_seq = cache->add_sequence();
    running.push_back(std::move(s));
    preempted.pop_front();
  }
  while (!waiting.empty()) {
    Request& r = requests.at(waiting.front());
    const auto n = static_cast<std::int64_t>(r.req.n);
    if (full(n)) break;
    const auto plen = static_cast<std::int64_t>(r.req.prompt_ids.size());
    // The shared prompt plus about a block of its own per further choice; alone it is admitted
    // anyway (submit() checked that the prompt fits) and preemption sorts out the choices.
    if (!running.empty() && !kv_fits(cache->blocks_for(plen + 1) + (n - 1))) break;
    waiting.pop_front();
    r.admitted = true;
    r.unfinished = r.req.n;
    std::vector<std::string> stops = r.req.stop;
    Sequence* leader = nullptr;
    for (int i = 0; i < r.req.n; ++i) {
      auto s = std::make_unique<Sequence>();
      s->request = r.id;
      s->choice = i;
      s->tokens = r.req.prompt_ids;
      s->prompt_len = r.req.prompt_ids.size();
      SamplingParams sp = r.req.sampling;
      sp.seed = *sp.seed + static_cast<std::uint64_t>(i);
      if (!r.req.logprobs) sp.top_logprobs = 0;
      s->sampler = std::make_unique<Sampler>(sp);
      s->stream = std::make_unique<TextStream>(tokenizer, stops, r.req.skip_special_tokens);
      if (i == 0) {
        s->cache_seq = cache->add_sequence();
        leader = s.get();
      } else {
        s->awaiting_fork = true;
        leader->fork_children.push_back(s.get());
      }
      running.push_back(std::move(s));
    }
    counters.prompt_tokens += plen * n;
  }
}

void Engine::Impl::handle_token(Sequence& s, Request& r, const SampledToken& t) {
  auto& choice = r.result.choices[s.choice];
  s.tokens.push_back(t.id);
  s.generated.push_back(t.id);
  choice.token_ids.push_back(t.id);
  if (r.req.logprobs) choice.logprobs.push_back(t);
  r.result.completion_tokens += 1;
  counters.generated_tokens += 1;
  const SampledToken* sampled = r.req.logprobs ? &choice.logprobs.back() : nullptr;
  const auto& eos_ids = r.req.stop_token_ids;
  const bool eos =
      !r.req.ignore_eos && std::find(eos_ids.begin(), eos_ids.end(), t.id) != eos_ids.end();
  std::string delta = eos ? std::string() : s.stream->push(t.id);
  if (eos || s.stream->stopped()) {
    if (s.stream->stopped() && r.req.include_stop_str_in_output) delta += s.stream->matched_stop();
    finish_sequence(s, r, "stop", std::move(delta), t.id, sampled);
    return;
  }
  if (static_cast<std::int64_t>(s.generated.size()) >= r.max_new ||
      static_cast<std::int64_t>(s.tokens.size()) >= max_model_len) {
    finish_sequence(s, r, "length", std::move(delta), t.id, sampled);
    return;
  }
  choice.text += delta;
  StreamDelta d;
  d.request = r.id;
  d.choice = s.choice;
  d.text = std::move(delta);
  d.token = t.id;
  d.sampled = sampled;
  emit(r, d);
}

Sequence* Engine::Impl::victim_after(const Sequence& s, const Scheduled& scheduled) {
  for (auto it = running.rbegin(); it != running.rend() && it->get() != &s; ++it)
    if (holds_blocks(**it) && !scheduled.count(it->get())) return it->get();
  return nullptr;
}

bool Engine::Impl::others_hold_blocks(const Sequence& s) const {
  for (const auto& o : running)
    if (o.get() != &s && holds_blocks(*o)) return true;
  return false;
}

void Engine::Impl::preempt(Sequence& s) {
  // Its tokens, sampler and stream stay; the KV is recomputed when it is readmitted. Children
  // still waiting for a preempted leader keep waiting (it is always still prefilling).
  cache->free_sequence(s.cache_seq);
  s.cache_seq = -1;
  s.preempt = true;
  ++counters.preemptions;
}

void Engine::Impl::fail_alone(Sequence& s) {
  Request& r = requests.at(s.request);
  if (r.result.error.empty())
    r.result.error = fmt::format(
        "[infer] choice {} reached {} tokens and does not fit the KV budget of {} blocks of {} "
        "tokens even alone: raise --max_kv_blocks or lower max_tokens",
        s.choice, s.tokens.size(), options.max_kv_blocks, options.block_size);
  finish_sequence(s, r, "length", "");
}

bool Engine::Impl::room_to_decode(Sequence& s, const Scheduled& scheduled) {
  while (!kv_fits(cache->blocks_needed(s.cache_seq, 1))) {
    if (Sequence* v = victim_after(s, scheduled)) {
      preempt(*v);
      continue;
    }
    if (others_hold_blocks(s)) {
      preempt(s);  // older sequences hold the rest: wait for them
    } else {
      fail_alone(s);
    }
    return false;
  }
  return true;
}

std::int64_t Engine::Impl::room_to_prefill(Sequence& s,
                                           std::int64_t len,
                                           const Scheduled& scheduled) {
  if (options.max_kv_blocks <= 0) return len;
  for (;;) {
    if (kv_fits(cache->blocks_needed(s.cache_seq, len))) return len;
    Sequence* v = victim_after(s, scheduled);
    if (!v) break;
    preempt(*v);
  }
  // A shorter chunk that fits (a prefilling sequence shares no block, so no copy on write).
  const std::int64_t avail = options.max_kv_blocks - cache->num_used_blocks();
  const std::int64_t have = static_cast<std::int64_t>(cache->block_table(s.cache_seq).size());
  const std::int64_t fit =
      (have + std::max<std::int64_t>(avail, 0)) * cache->block_size() - cache->length(s.cache_seq);
  if (fit > 0) return std::min(fit, len);
  if (!others_hold_blocks(s)) fail_alone(s);
  return 0;
}

void Engine::Impl::park_preempted() {
  std::vector<std::unique_ptr<Sequence>> out;
  for (auto& s : running)
    if (s->preempt && !s->done) out.push_back(std::move(s));
  running.erase(std::remove_if(running.begin(), running.end(),
                               [](const std::unique_ptr<Sequence>& s) { return s == nullptr; }),
                running.end());
  for (auto& s : out) s->preempt = false;
  // At the front, in admission order: the oldest of them is readmitted first.
  preempted.insert(preempted.begin(), std::make_move_iterator(out.begin()),
                   std::make_move_iterator(out.end()));
}

bool Engine::step() {
  auto& m = *impl_;
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  m.admit();
  if (m.running.empty()) return false;
  torch::NoGradGuard no_grad;

  // Work of this step: decoding sequences feed their newest token, prefilling ones a chunk
  // (a preempted sequence re-prefills prompt + generated tokens). Blocks are reserved here so
  // the budget counts them before the forward.
  struct Work {
    Sequence* seq;
    std::int64_t begin, len;  // tokens [begin, begin + len) of seq->tokens
    bool samples;             // reaches the end of the known tokens: sample the next one
  };
  std::int64_t budget = m.options.max_num_batched_tokens;
  std::vector<Work> work;
  Impl::Scheduled scheduled;
  const auto decoding = [&](const Sequence& s) {
    const auto cached = m.cache->length(s.cache_seq);
    return static_cast<std::int64_t>(s.tokens.size()) - cached == 1 &&
           cached >= static_cast<std::int64_t>(s.prompt_len);
  };
  const auto schedulable = [&](const Sequence& s) {
    return !s.done && !s.preempt && !s.awaiting_fork && s.cache_seq >= 0 && !scheduled.count(&s);
  };
  for (auto& sp : m.running) {  // decode first: they cost one token each
    Sequence& s = *sp;
    if (!schedulable(s) || !decoding(s)) continue;
    if (!m.room_to_decode(s, scheduled)) continue;
    const auto cached = m.cache->length(s.cache_seq);
    m.cache->reserve(s.cache_seq, 1);
    work.push_back({&s, cached, 1, true});
    scheduled.insert(&s);
    --budget;
  }
  for (auto& sp : m.running) {
    Sequence& s = *sp;
    if (!schedulable(s) || decoding(s)) continue;
    if (budget <= 0 && !work.empty()) break;
    const auto cached = m.cache->length(s.cache_seq);
    const auto known = static_cast<std::int64_t>(s.tokens.size());
    std::int64_t len = std::min(known - cached, std::max<std::int64_t>(budget, 1));
    len = m.room_to_prefill(s, len, scheduled);
    if (len <= 0) break;  // first come, first served: later ones wait too
    m.cache->reserve(s.cache_seq, len);
    work.push_back({&s, cached, len, cached + len == known});
    scheduled.insert(&s);
    budget -= len;
    m.counters.prefill_tokens += len;
  }
  m.park_preempted();

  // One forward per adapter group (each forward applies one adapter).
  std::map<std::string, std::vector<Work*>> groups;
  for (auto& w : work) groups[m.requests.at(w.seq->request).req.adapter].push_back(&w);
  {
    for (auto& [adapter, all_items] : groups) {
      std::vector<Work*> items;  // a callback of an earlier group may have cancelled some
      for (Work* w : all_items)
        if (!w->seq->done) items.push_back(w);
      if (items.empty()) continue;
      model::ForwardContext ctx;
      ctx.adapters = adapter.empty() ? m.base_hook.get() : m.adapters.at(adapter).get();
      std::vector<std::int64_t> ids, pos;
      model::PackedBatch batch;
      model::KvContext kv;
      kv.cache = m.cache.get();
      ctx.kv = &kv;
      batch.cu_seqlens.push_back(0);
      std::vector<Work*> sampling;
      for (Work* w : items) {
        for (std::int64_t i = 0; i < w->len; ++i) {
          ids.push_back(w->seq->tokens[w->begin + i]);
          pos.push_back(w->begin + i);
        }
        batch.cu_seqlens.push_back(static_cast<std::int64_t>(ids.size()));
        kv.seq_ids.push_back(w->seq->cache_seq);
        if (w->samples) {
          ctx.rows.push_back(static_cast<std::int64_t>(ids.size()) - 1);
          sampling.push_back(w);
        }
      }
      if (sampling.empty()) ctx.rows.push_back(static_cast<std::int64_t>(ids.size()) - 1);
      batch.input_ids = torch::tensor(ids, torch::kInt64).to(m.device);
      batch.position_ids = torch::tensor(pos, torch::kInt64).to(m.device);
      at::Tensor logits = m.model->forward(batch, ctx).to(torch::kFloat32).cpu();
      for (std::size_t i = 0; i < sampling.size(); ++i) {
        Sequence& s = *sampling[i]->seq;
        if (s.done) continue;  // cancelled from a callback of this step
        Request& r = m.requests.at(s.request);
        const at::Tensor row = logits[static_cast<std::int64_t>(i)];
        // The other choices take the prompt's blocks now (before choice 0 may finish and free
        // them) and sample from the same logits, each with its own seed.
        std::vector<Sequence*> children = std::move(s.fork_children);
        s.fork_children.clear();
        for (Sequence* c : children) {
          if (c->done) continue;
          c->cache_seq = m.cache->fork_sequence(s.cache_seq);
          c->awaiting_fork = false;
          m.counters.prefix_shared_tokens += static_cast<std::int64_t>(c->prompt_len);
        }
        m.handle_token(s, r, s.sampler->sample(row, r.req.prompt_ids, s.generated));
        for (Sequence* c : children)
          if (!c->done)
            m.handle_token(*c, r, c->sampler->sample(row, r.req.prompt_ids, c->generated));
      }
    }
  }
  m.running.erase(std::remove_if(m.running.begin(), m.running.end(),
                                 [](const std::unique_ptr<Sequence>& s) { return s->done; }),
                  m.running.end());
  ++m.counters.steps;
  return true;
}

void Engine::run() {
  while (step()) {
  }
}

bool Engine::idle() const {
  std::lock_guard<std::recursive_mutex> lock(impl_->mu);
  return impl_->running.empty() && impl_->waiting.empty() && impl_->preempted.empty();
}

bool Engine::finished(std::uint64_t id) const {
  std::lock_guard<std::recursive_mutex> lock(impl_->mu);
  auto it = impl_->requests.find(id);
  return it != impl_->requests.end() && it->second.result.finished;
}

GenerationResult Engine::take_result(std::uint64_t id) {
  auto& m = *impl_;
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  auto it = m.requests.find(id);
  SWIFT_CHECK(it != m.requests.end(), "[infer] unknown request {}", id);
  SWIFT_CHECK(it->second.result.finished, "[infer] request {} has not finished", id);
  GenerationResult out = std::move(it->second.result);
  m.requests.erase(it);
  return out;
}

std::vector<GenerationResult> Engine::generate(std::vector<GenerationRequest> requests) {
  std::vector<std::uint64_t> ids;
  ids.reserve(requests.size());
  for (auto& r : requests) ids.push_back(submit(std::move(r)));
  run();
  std::vector<GenerationResult> out;
  out.reserve(ids.size());
  for (auto id : ids) out.push_back(take_result(id));
  return out;
}

EngineStats Engine::stats() const {
  auto& m = *impl_;
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  EngineStats s = m.counters;
  s.waiting = static_cast<std::int64_t>(m.waiting.size() + m.preempted.size());
  s.running = static_cast<std::int64_t>(m.running.size());
  s.kv_blocks = m.cache->num_blocks();
  s.kv_free_blocks = m.cache->num_free_blocks();
  s.kv_sequences = m.cache->num_sequences();
  s.kv_used_blocks = m.cache->num_used_blocks();
  return s;
}

}  // namespace swift::infer

// The continuous-batching engine against transformers' greedy goldens (tests/data/e2e), and its
// own contracts: batched == alone (sampling included), chunked prefill changes nothing, every KV
// block comes back after finishing or cancelling, streamed deltas add up to the text, stop
// strings, several adapters in one batch.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/e2e_model.h"
#include "core/error.h"
#include "infer/engine.h"
#include "infer/text_stream.h"
#include "io/hf_config.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"
#include "tuners/lora.h"

namespace {

using swift::infer::Engine;
using swift::infer::EngineOptions;
using swift::infer::GenerationRequest;
using swift::infer::GenerationResult;
using swift::infer::StreamDelta;

struct E2eCase {
  std::vector<std::int32_t> prompt;
  std::vector<std::int32_t> response_ids;
  std::string response;
};

struct Loaded {
  std::shared_ptr<swift::model::CausalLM> model;
  std::shared_ptr<const swift::tok::Tokenizer> tok;
  std::vector<std::int32_t> eos;
  std::vector<E2eCase> cases;
};

Loaded load_e2e(const std::string& name, const std::string& tokenizer) {
  Loaded l;
  std::string dir = swift::testing::e2e_model_dir(name, tokenizer);
  if (dir.empty()) return l;
  l.model = swift::model::load_causal_lm(dir);
  l.tok = swift::tok::Tokenizer::from_dir(dir);
  for (const auto& e : swift::io::load_generation_config(dir)["eos_token_id"])
    l.eos.push_back(e.get<std::int32_t>());
  std::ifstream in(dir + "/e2e_golden.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    l.cases.push_back({j["prompt_ids"].get<std::vector<std::int32_t>>(),
                       j["response_ids"].get<std::vector<std::int32_t>>(),
                       j["response"].get<std::string>()});
  }
  return l;
}

GenerationRequest greedy(const Loaded& l, const E2eCase& c) {
  GenerationRequest r;
  r.prompt_ids = c.prompt;
  r.sampling.temperature = 0;
  r.max_new_tokens = 16;
  r.stop_token_ids = l.eos;
  return r;
}

void expect_all_blocks_free(const Engine& e) {
  auto s = e.stats();
  EXPECT_EQ(s.kv_sequences, 0);
  EXPECT_EQ(s.kv_free_blocks, s.kv_blocks);
  EXPECT_EQ(s.running, 0);
  EXPECT_EQ(s.waiting, 0);
}

class EngineE2e : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(EngineE2e, GreedyMatchesTransformersAloneAndBatched) {
  Loaded l = load_e2e(GetParam().first, GetParam().second);
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing: run scripts/fetch-test-assets.sh";
  ASSERT_FALSE(l.cases.empty());
  for (std::int64_t max_seqs : {1, 32}) {
    for (std::int64_t chunk : {2048, 7}) {
      EngineOptions o;
      o.max_num_seqs = max_seqs;
      o.max_num_batched_tokens = chunk;
      Engine engine(l.model, l.tok, o);
      std::vector<GenerationRequest> reqs;
      for (const auto& c : l.cases) reqs.push_back(greedy(l, c));
      auto results = engine.generate(reqs);
      ASSERT_EQ(results.size(), l.cases.size());
      for (std::size_t i = 0; i < results.size(); ++i) {
        SCOPED_TRACE("case " + std::to_string(i) + " max_num_seqs " + std::to_string(max_seqs) +
                     " chunk " + std::to_string(chunk));
        ASSERT_EQ(results[i].choices.size(), 1u);
        EXPECT_EQ(results[i].choices[0].token_ids, l.cases[i].response_ids);
        EXPECT_EQ(results[i].choices[0].text, l.cases[i].response);
        EXPECT_EQ(results[i].prompt_tokens, static_cast<std::int64_t>(l.cases[i].prompt.size()));
      }
      expect_all_blocks_free(engine);
    }
  }
}

TEST_P(EngineE2e, SeededSamplingIsTheSameInABatch) {
  Loaded l = load_e2e(GetParam().first, GetParam().second);
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  auto make = [&](const E2eCase& c, std::uint64_t seed) {
    GenerationRequest r = greedy(l, c);
    r.sampling.temperature = 1.3;
    r.sampling.top_k = 50;
    r.sampling.top_p = 0.9;
    r.sampling.repetition_penalty = 1.1;
    r.sampling.seed = seed;
    r.n = 2;
    r.logprobs = true;
    r.sampling.top_logprobs = 3;
    r.max_new_tokens = 12;
    return r;
  };
  std::vector<GenerationResult> alone;
  {
    Engine engine(l.model, l.tok, EngineOptions{1});
    for (std::size_t i = 0; i < l.cases.size(); ++i)
      alone.push_back(engine.generate({make(l.cases[i], 100 + i)})[0]);
  }
  Engine engine(l.model, l.tok);
  std::vector<GenerationRequest> reqs;
  for (std::size_t i = 0; i < l.cases.size(); ++i) reqs.push_back(make(l.cases[i], 100 + i));
  auto batched = engine.generate(reqs);
  for (std::size_t i = 0; i < l.cases.size(); ++i) {
    ASSERT_EQ(batched[i].choices.size(), 2u);
    for (int c = 0; c < 2; ++c) {
      EXPECT_EQ(batched[i].choices[c].token_ids, alone[i].choices[c].token_ids);
      EXPECT_EQ(batched[i].choices[c].text, alone[i].choices[c].text);
      ASSERT_EQ(batched[i].choices[c].logprobs.size(), batched[i].choices[c].token_ids.size());
      EXPECT_EQ(batched[i].choices[c].logprobs[0].top.size(), 3u);
    }
  }
  // The two choices of a request draw from different seeds.
  bool any_differs = false;
  for (const auto& r : batched) any_differs |= r.choices[0].token_ids != r.choices[1].token_ids;
  EXPECT_TRUE(any_differs);
  expect_all_blocks_free(engine);
}

TEST_P(EngineE2e, StreamedDeltasAddUpToTheText) {
  Loaded l = load_e2e(GetParam().first, GetParam().second);
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  Engine engine(l.model, l.tok);
  std::map<std::uint64_t, std::string> streamed;
  std::map<std::uint64_t, int> finishes;
  std::vector<std::uint64_t> ids;
  for (const auto& c : l.cases) {
    GenerationRequest r = greedy(l, c);
    r.sampling.temperature = 0.8;
    r.sampling.seed = 7;
    r.max_new_tokens = 24;
    ids.push_back(engine.submit(r, [&](const StreamDelta& d) {
      // Every delta is complete UTF-8 on its own.
      EXPECT_EQ(swift::infer::complete_utf8_prefix(d.text), d.text.size());
      streamed[d.request] += d.text;
      if (d.finished) ++finishes[d.request];
    }));
  }
  engine.run();
  for (auto id : ids) {
    auto r = engine.take_result(id);
    EXPECT_EQ(streamed[id], r.choices[0].text);
    EXPECT_EQ(finishes[id], 1);
    EXPECT_EQ(r.choices[0].text,
              l.tok->decode(std::vector<std::int32_t>(r.choices[0].token_ids), true));
  }
}

INSTANTIATE_TEST_SUITE_P(Models,
                         EngineE2e,
                         ::testing::Values(std::make_pair("qwen3_e2e", "qwen3"),
                                           std::make_pair("llama3_e2e", "llama3")));

TEST(Engine, CancelReturnsEveryBlock) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  EngineOptions o;
  o.block_size = 4;
  Engine engine(l.model, l.tok, o);
  std::vector<std::uint64_t> ids;
  for (const auto& c : l.cases) {
    GenerationRequest r = greedy(l, c);
    r.max_new_tokens = 40;
    r.stop_token_ids.clear();
    ids.push_back(engine.submit(r, [&](const StreamDelta& d) {
      // Cancel the first request from its own callback after three tokens.
      if (d.request == ids[0] && !d.finished && engine.stats().generated_tokens > 3)
        engine.cancel(d.request);
    }));
  }
  engine.step();
  engine.step();
  EXPECT_GT(engine.stats().kv_sequences, 0);
  engine.cancel(ids[1]);
  engine.run();
  auto first = engine.take_result(ids[0]);
  EXPECT_EQ(first.choices[0].finish_reason, "cancelled");
  EXPECT_LT(first.choices[0].token_ids.size(), 40u);
  EXPECT_EQ(engine.take_result(ids[1]).choices[0].finish_reason, "cancelled");
  EXPECT_EQ(engine.take_result(ids[2]).choices[0].finish_reason, "length");
  expect_all_blocks_free(engine);
  // A request cancelled before it ran.
  auto waiting = engine.submit(greedy(l, l.cases[0]));
  engine.cancel(waiting);
  EXPECT_TRUE(engine.finished(waiting));
  EXPECT_FALSE(engine.step());
  expect_all_blocks_free(engine);
}

TEST(Engine, StopStringsAndLengths) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  Engine engine(l.model, l.tok);
  const E2eCase& c = l.cases[0];
  // Stop at a piece of the known greedy answer.
  const std::string stop = c.response.substr(6, 5);
  GenerationRequest r = greedy(l, c);
  r.stop = {stop};
  auto out = engine.generate({r})[0].choices[0];
  EXPECT_EQ(out.finish_reason, "stop");
  EXPECT_EQ(out.text, c.response.substr(0, c.response.find(stop)));
  r.include_stop_str_in_output = true;
  out = engine.generate({r})[0].choices[0];
  EXPECT_EQ(out.text, c.response.substr(0, c.response.find(stop) + stop.size()));
  // An EOS id ends the answer and is not shown.
  std::size_t k = 3;  // the first position >= 3 whose id did not occur before
  while (std::find(c.response_ids.begin(), c.response_ids.begin() + k, c.response_ids[k]) !=
         c.response_ids.begin() + k)
    ++k;
  r = greedy(l, c);
  r.stop_token_ids = {c.response_ids[k]};
  out = engine.generate({r})[0].choices[0];
  EXPECT_EQ(out.finish_reason, "stop");
  EXPECT_EQ(out.token_ids.size(), k + 1);
  EXPECT_EQ(out.text, l.tok->decode(std::vector<std::int32_t>(c.response_ids.begin(),
                                                              c.response_ids.begin() + k),
                                    true));
  r.ignore_eos = true;
  EXPECT_EQ(engine.generate({r})[0].choices[0].token_ids.size(), 16u);
  // max_model_len bounds prompt + generation.
  EngineOptions o;
  o.max_model_len = static_cast<std::int64_t>(c.prompt.size()) + 5;
  Engine short_engine(l.model, l.tok, o);
  r = greedy(l, c);
  out = short_engine.generate({r})[0].choices[0];
  EXPECT_EQ(out.token_ids.size(), 5u);
  EXPECT_EQ(out.finish_reason, "length");
  r.prompt_ids.resize(o.max_model_len, r.prompt_ids[0]);
  EXPECT_THROW(short_engine.submit(r), swift::Error);
}

TEST(Engine, RejectsBadRequests) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  Engine engine(l.model, l.tok);
  GenerationRequest r = greedy(l, l.cases[0]);
  auto bad = r;
  bad.prompt_ids.clear();
  EXPECT_THROW(engine.submit(bad), swift::Error);
  bad = r;
  bad.prompt_ids[0] = 1 << 30;
  EXPECT_THROW(engine.submit(bad), swift::Error);
  bad = r;
  bad.adapter = "nope";
  EXPECT_THROW(engine.submit(bad), swift::Error);
  bad = r;
  bad.sampling.top_p = 0;
  EXPECT_THROW(engine.submit(bad), swift::Error);
  bad = r;
  bad.sampling.temperature = -1;
  EXPECT_THROW(engine.submit(bad), swift::Error);
  bad = r;
  bad.n = 0;
  EXPECT_THROW(engine.submit(bad), swift::Error);
  expect_all_blocks_free(engine);
}

TEST(Engine, SeveralAdaptersInOneBatch) {
  const std::string dir = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/qwen3";
  auto model = swift::model::load_causal_lm(dir);
  std::shared_ptr<const swift::tok::Tokenizer> tok;
  {
    Loaded l = load_e2e("qwen3_e2e", "qwen3");
    if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
    tok = l.tok;
  }
  std::vector<std::int32_t> prompt;
  for (int i = 0; i < 9; ++i) prompt.push_back((i * 37 + 5) % model->config().vocab_size);
  // References: the base alone, and the model with the adapter alone.
  std::vector<std::int64_t> p64(prompt.begin(), prompt.end());
  auto base_ids = model->generate_greedy(p64, 6);
  auto adapter = swift::tuners::LoraAdapter::load(dir + "/adapter", *model);
  auto lora_ids = model->generate_greedy(p64, 6, -1, adapter.get());

  Engine engine(std::shared_ptr<swift::model::CausalLM>(std::move(model)), tok);
  engine.add_adapter("lora", adapter);
  GenerationRequest base;
  base.prompt_ids = prompt;
  base.sampling.temperature = 0;
  base.max_new_tokens = 6;
  base.skip_special_tokens = false;
  GenerationRequest with = base;
  with.adapter = "lora";
  auto results = engine.generate({base, with, base, with});
  for (int i = 0; i < 4; ++i) {
    const auto& want = i % 2 ? lora_ids : base_ids;
    EXPECT_EQ(std::vector<std::int64_t>(results[i].choices[0].token_ids.begin(),
                                        results[i].choices[0].token_ids.end()),
              want)
        << "request " << i;
  }
  expect_all_blocks_free(engine);
}

}  // namespace

namespace {

GenerationRequest sampled(const Loaded& l, const E2eCase& c, std::uint64_t seed, int n) {
  GenerationRequest r = greedy(l, c);
  r.sampling.temperature = 1.2;
  r.sampling.top_k = 40;
  r.sampling.repetition_penalty = 1.1;
  r.sampling.seed = seed;
  r.n = n;
  r.max_new_tokens = 14;
  r.ignore_eos = true;
  return r;
}

// n choices prefill the prompt once and fork it; each choice equals a separate n = 1 request
// with seed + i, greedy and sampled, streamed or not.
TEST(Engine, ChoicesForkOnePrefilledPrompt) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  for (bool greedy_run : {true, false}) {
    for (std::int64_t block : {16, 4}) {
      SCOPED_TRACE(std::string(greedy_run ? "greedy" : "sampled") + " block " +
                   std::to_string(block));
      EngineOptions o;
      o.block_size = block;
      const E2eCase& c = l.cases[1];
      auto make = [&](std::uint64_t seed, int n) {
        GenerationRequest r = sampled(l, c, seed, n);
        if (greedy_run) r.sampling.temperature = 0;
        return r;
      };
      std::vector<GenerationResult> alone;
      std::int64_t alone_prefill = 0;
      for (int i = 0; i < 4; ++i) {
        Engine e(l.model, l.tok, o);
        alone.push_back(e.generate({make(50 + i, 1)})[0]);
        alone_prefill += e.stats().prefill_tokens;
      }
      Engine engine(l.model, l.tok, o);
      std::map<int, std::string> streamed;
      auto id =
          engine.submit(make(50, 4), [&](const StreamDelta& d) { streamed[d.choice] += d.text; });
      engine.run();
      auto forked = engine.take_result(id);
      ASSERT_EQ(forked.choices.size(), 4u);
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(forked.choices[i].token_ids, alone[i].choices[0].token_ids) << "choice " << i;
        EXPECT_EQ(forked.choices[i].text, alone[i].choices[0].text) << "choice " << i;
        EXPECT_EQ(streamed[i], forked.choices[i].text);
      }
      auto s = engine.stats();
      const auto plen = static_cast<std::int64_t>(c.prompt.size());
      EXPECT_EQ(s.prefill_tokens, plen);
      EXPECT_EQ(alone_prefill, 4 * plen);
      EXPECT_EQ(s.prefix_shared_tokens, 3 * plen);
      EXPECT_EQ(forked.completion_tokens, 4 * 14);
      expect_all_blocks_free(engine);
    }
  }
}

// A KV budget far below what the batch needs: decoding preempts the most recently admitted
// sequences, which recompute later; every output equals the unconstrained run and the budget
// is never exceeded.
TEST(Engine, TinyKvBudgetPreemptsWithoutChangingOutputs) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  std::vector<GenerationRequest> reqs;
  for (std::size_t i = 0; i < l.cases.size(); ++i) {
    GenerationRequest g = greedy(l, l.cases[i]);
    g.max_new_tokens = 14;
    g.ignore_eos = true;
    reqs.push_back(g);
    reqs.push_back(sampled(l, l.cases[i], 300 + i, i % 2 ? 2 : 1));
  }
  EngineOptions free_opts;
  free_opts.block_size = 4;
  std::vector<GenerationResult> want;
  {
    Engine e(l.model, l.tok, free_opts);
    want = e.generate(reqs);
    EXPECT_EQ(e.stats().preemptions, 0);
  }
  for (std::int64_t chunk : {2048, 5}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    EngineOptions o = free_opts;
    o.max_kv_blocks = 14;  // the longest sequence (35 + 14 tokens) needs 13 blocks of 4
    o.max_num_batched_tokens = chunk;
    Engine engine(l.model, l.tok, o);
    std::int64_t peak = 0;
    std::vector<std::uint64_t> ids;
    std::map<std::pair<std::uint64_t, int>, std::string> streamed;
    for (auto r : reqs)
      ids.push_back(engine.submit(r, [&](const StreamDelta& d) {
        peak = std::max(peak, engine.stats().kv_used_blocks);
        streamed[{d.request, d.choice}] += d.text;
      }));
    while (!engine.idle()) {
      engine.step();
      peak = std::max(peak, engine.stats().kv_used_blocks);
    }
    EXPECT_GT(engine.stats().preemptions, 0);
    EXPECT_LE(peak, o.max_kv_blocks);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto got = engine.take_result(ids[i]);
      ASSERT_EQ(got.choices.size(), want[i].choices.size());
      EXPECT_TRUE(got.error.empty()) << got.error;
      for (std::size_t c = 0; c < got.choices.size(); ++c) {
        EXPECT_EQ(got.choices[c].token_ids, want[i].choices[c].token_ids) << "request " << i;
        EXPECT_EQ(got.choices[c].text, want[i].choices[c].text) << "request " << i;
        EXPECT_EQ(got.choices[c].finish_reason, want[i].choices[c].finish_reason);
        const std::pair<std::uint64_t, int> key(ids[i], static_cast<int>(c));
        EXPECT_EQ(streamed[key], got.choices[c].text);
      }
    }
    expect_all_blocks_free(engine);
  }
}

// One sequence that outgrows the budget on its own ends with "length" and an error message
// instead of looping; a prompt that can never fit is refused at submit.
TEST(Engine, ASequenceTooLongForTheBudgetAloneFinishes) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  const E2eCase& c = l.cases[0];  // 14 prompt tokens
  EngineOptions o;
  o.block_size = 4;
  o.max_kv_blocks = 5;  // 20 tokens
  Engine engine(l.model, l.tok, o);
  GenerationRequest r = greedy(l, c);
  r.max_new_tokens = 40;
  r.ignore_eos = true;
  auto other = r;
  other.n = 2;
  auto id = engine.submit(r);
  auto id2 = engine.submit(other);
  engine.run();
  for (auto i : {id, id2}) {
    auto res = engine.take_result(i);
    for (const auto& ch : res.choices) {
      EXPECT_EQ(ch.finish_reason, "length");
      // Positions 14..19 fill the budget; the token sampled from position 19 needs no block.
      ASSERT_EQ(ch.token_ids.size(), 7u);
      EXPECT_EQ(ch.token_ids,
                std::vector<std::int32_t>(c.response_ids.begin(), c.response_ids.begin() + 7));
    }
    EXPECT_NE(res.error.find("KV budget"), std::string::npos) << res.error;
  }
  expect_all_blocks_free(engine);
  GenerationRequest big = r;
  big.prompt_ids.assign(20, c.prompt[0]);
  EXPECT_THROW(engine.submit(big), swift::Error);
}

// Cancelling forked choices (mid-decode, from a callback, or while waiting for a preempted
// leader) returns every shared block once the last holder goes.
TEST(Engine, CancelFreesSharedBlocks) {
  Loaded l = load_e2e("qwen3_e2e", "qwen3");
  if (!l.model) GTEST_SKIP() << "tokenizer test asset missing";
  EngineOptions o;
  o.block_size = 4;
  o.max_kv_blocks = 24;
  Engine engine(l.model, l.tok, o);
  std::vector<std::uint64_t> ids;
  for (std::size_t i = 0; i < l.cases.size(); ++i) {
    GenerationRequest r = sampled(l, l.cases[i], 9 + i, 3);
    r.max_new_tokens = 30;
    ids.push_back(engine.submit(r, [&, i](const StreamDelta& d) {
      if (i == 0 && d.choice == 1 && !d.finished) engine.cancel(d.request);
    }));
  }
  engine.step();
  engine.step();
  engine.step();
  engine.cancel(ids[2]);
  EXPECT_GT(engine.stats().kv_used_blocks, 0);
  engine.run();
  EXPECT_EQ(engine.take_result(ids[0]).choices[2].finish_reason, "cancelled");
  EXPECT_EQ(engine.take_result(ids[2]).choices[0].finish_reason, "cancelled");
  for (std::size_t i = 3; i < ids.size(); ++i)
    for (const auto& ch : engine.take_result(ids[i]).choices) EXPECT_EQ(ch.finish_reason, "length");
  engine.take_result(ids[1]);
  expect_all_blocks_free(engine);
  EXPECT_EQ(engine.stats().kv_used_blocks, 0);
}

}  // namespace

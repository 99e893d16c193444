// swift-bench serve: load on a running OpenAI-compatible server (swift deploy, or any other):
// C concurrent streamed /v1/completions requests with token-id prompts (greedy, ignore_eos, a
// fixed length), R rounds each. Reports time-to-first-token p50/p99, decode tokens/s measured
// as swift-bench decode measures the engine (tokens after every stream has its first one,
// over the time they take) and the overall completion tokens/s. Prompts are the same ids
// swift-bench decode uses, so the two compare side by side (tools/bench/serve_bench.sh).
#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/subtool.h"
#include "core/error.h"
#include "random_model.h"

namespace {

using swift::bench::arg_value;
using Clock = std::chrono::steady_clock;

struct Sample {
  double ttft = 0;
  Clock::time_point first, last;
  int tokens = 0;        // streamed text events (a token that ends mid-character has none)
  int usage_tokens = 0;  // completion tokens of the usage event
  bool ok = false;
};

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double k = p * static_cast<double>(v.size() - 1);
  const auto i = static_cast<std::size_t>(k);
  const double f = k - static_cast<double>(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

Sample one_request(const std::string& host,
                   int port,
                   const std::string& key,
                   const nlohmann::json& body) {
  Sample s;
  httplib::Client cli(host, port);
  cli.set_read_timeout(600, 0);
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.headers.emplace("Content-Type", "application/json");
  if (!key.empty()) req.headers.emplace("Authorization", "Bearer " + key);
  req.body = body.dump();
  std::string buf;
  const auto t0 = Clock::now();
  req.content_receiver = [&](const char* data, std::size_t len, std::uint64_t, std::uint64_t) {
    buf.append(data, len);
    std::size_t pos;
    while ((pos = buf.find("\n\n")) != std::string::npos) {
      const std::string ev = buf.substr(0, pos);
      buf.erase(0, pos + 2);
      if (ev.rfind("data: {", 0) != 0) continue;
      auto j = nlohmann::json::parse(ev.substr(6), nullptr, false);
      if (j.is_object() && j.contains("usage") && j["usage"].is_object())
        s.usage_tokens = j["usage"].value("completion_tokens", 0);
      if (!j.is_object() || !j.contains("choices") || j["choices"].empty()) continue;
      const auto& c = j["choices"][0];
      if (!c.contains("text") || !c["text"].is_string() || c["text"].get<std::string>().empty())
        continue;
      const auto now = Clock::now();
      if (s.tokens == 0) {
        s.first = now;
        s.ttft = std::chrono::duration<double>(now - t0).count();
      }
      s.last = now;
      ++s.tokens;
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err;
  s.ok = cli.send(req, res, err) && res.status == 200;
  if (s.usage_tokens > 0) s.tokens = s.usage_tokens;  // the events' timing, usage's count
  return s;
}

int run(int argc, char** argv) {
  const std::string url = arg_value(argc, argv, "url", "http://127.0.0.1:8000");
  const std::string key = arg_value(argc, argv, "api_key", "");
  const auto levels = parse_list(arg_value(argc, argv, "concurrency", "1,8,32"));
  const int prompt_len = std::stoi(arg_value(argc, argv, "prompt_len", "32"));
  const int new_tokens = std::stoi(arg_value(argc, argv, "new_tokens", "32"));
  const int rounds = std::stoi(arg_value(argc, argv, "rounds", "2"));
  const std::int64_t vocab = std::stoll(arg_value(argc, argv, "vocab", "151936"));
  const auto colon = url.rfind(':');
  SWIFT_CHECK(url.rfind("http://", 0) == 0 && colon != std::string::npos && colon > 6,
              "[bench] --url must be http://host:port, got {}", url);
  const std::string host = url.substr(7, colon - 7);
  const int port = std::stoi(url.substr(colon + 1));

  auto body = [&](int salt) {
    std::vector<std::int32_t> ids;  // the prompts of swift-bench decode
    for (int i = 0; i < prompt_len; ++i)
      ids.push_back(static_cast<std::int32_t>((i * 7919 + salt * 104729 + 13) % (vocab - 1000)));
    return nlohmann::json{{"prompt", ids},
                          {"max_tokens", new_tokens},
                          {"temperature", 0},
                          {"ignore_eos", true},
                          {"stream", true},
                          {"skip_special_tokens", false},
                          {"stream_options", {{"include_usage", true}}}};
  };
  one_request(host, port, key, body(0));  // warm-up
  nlohmann::json summary = nlohmann::json::object();
  for (int c : levels) {
    std::vector<double> ttfts;
    double decode_sum = 0, steady_sum = 0, total_tokens = 0, wall = 0;
    int failures = 0;
    for (int round = 0; round < rounds; ++round) {
      std::vector<Sample> samples(static_cast<std::size_t>(c));
      std::vector<std::thread> threads;
      const auto t0 = Clock::now();
      for (int i = 0; i < c; ++i)
        threads.emplace_back([&, i] {
          samples[static_cast<std::size_t>(i)] = one_request(host, port, key, body(100 + i));
        });
      for (auto& t : threads) t.join();
      wall += std::chrono::duration<double>(Clock::now() - t0).count();
      // Decode rate as swift-bench decode: from the moment every stream has its first token.
      Clock::time_point all_first = t0, end = t0;
      for (const auto& s : samples) {
        if (!s.ok) ++failures;
        ttfts.push_back(s.ttft);
        all_first = std::max(all_first, s.first);
        end = std::max(end, s.last);
        total_tokens += s.tokens;
      }
      double after = 0;
      // Tokens produced after all_first: each stream's tokens are evenly spaced between its
      // first and last, so count those past all_first by interpolation.
      for (const auto& s : samples) {
        if (s.tokens <= 1) continue;
        const double span = std::chrono::duration<double>(s.last - s.first).count();
        const double past = std::chrono::duration<double>(s.last - all_first).count();
        after += span > 0 ? (s.tokens - 1) * std::clamp(past / span, 0.0, 1.0) : 0;
      }
      const double dt = std::chrono::duration<double>(end - all_first).count();
      decode_sum += dt > 0 ? after / dt : 0;
      // The same while every stream is still running (from the last first token to the first
      // last one): requests that arrive staggered also end staggered, and the ragged tail runs
      // a smaller batch, which the in-process benchmark (all submitted at once) never has.
      Clock::time_point first_end = end;
      for (const auto& s : samples)
        if (s.tokens > 1) first_end = std::min(first_end, s.last);
      double steady = 0;
      for (const auto& s : samples) {
        if (s.tokens <= 1) continue;
        const double span = std::chrono::duration<double>(s.last - s.first).count();
        const double in = std::chrono::duration<double>(first_end - all_first).count();
        steady += span > 0 ? (s.tokens - 1) * std::clamp(in / span, 0.0, 1.0) : 0;
      }
      const double sdt = std::chrono::duration<double>(first_end - all_first).count();
      steady_sum += sdt > 0 ? steady / sdt : 0;
    }
    const double decode = decode_sum / rounds;
    const double steady = steady_sum / rounds;
    const double overall = total_tokens / wall;
    std::cout << fmt::format(
        "{:3d} concurrent: ttft p50 {:7.1f} ms  p99 {:7.1f} ms  decode {:8.1f} tokens/s  (all "
        "running {:8.1f})  overall {:8.1f} tokens/s  failures {}\n",
        c, 1000 * percentile(ttfts, 0.5), 1000 * percentile(ttfts, 0.99), decode, steady, overall,
        failures);
    summary[std::to_string(c)] = {{"ttft_p50_ms", 1000 * percentile(ttfts, 0.5)},
                                  {"ttft_p99_ms", 1000 * percentile(ttfts, 0.99)},
                                  {"decode_tokens_per_s", decode},
                                  {"decode_all_running_tokens_per_s", steady},
                                  {"overall_tokens_per_s", overall},
                                  {"failures", failures}};
  }
  std::cout << summary.dump() << "\n";
  return 0;
}

swift::tools::RegisterMode reg(
    "serve",
    "[--url http://127.0.0.1:8000] [--api_key K] [--concurrency 1,8,32] [--prompt_len 32] "
    "[--new_tokens 32] [--rounds 2] [--vocab 151936]: streamed load on an OpenAI-compatible "
    "server: TTFT p50/p99 and decode tokens/s per concurrency level",
    run);

}  // namespace

// `swift-bench tokenizer [TOKDIR] [--threads N] [--mb M]`: load time (wall and CPU), encoding
// throughput (MB/s of UTF-8 input) single-threaded and with encode_batch over N threads, on the
// tokenizer corpus (tests/data/tokenizers/tokenizer_corpus.jsonl) repeated to about M MB with a
// warm word cache, and on ~1 MB of unique words (cold cache: every word goes through BPE).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/subtool.h"
#include "tokenizer/tokenizer.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run(int argc, char** argv) {
  std::string dir;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double mb = 4.0;
  std::string corpus =
      std::string(SWIFT_SOURCE_DIR) + "/tests/data/tokenizers/tokenizer_corpus.jsonl";
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "--threads" && k + 1 < argc) {
      threads = std::atoi(argv[++k]);
    } else if (a == "--mb" && k + 1 < argc) {
      mb = std::atof(argv[++k]);
    } else if (a == "--corpus" && k + 1 < argc) {
      corpus = argv[++k];
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage: swift-bench tokenizer [TOKDIR] [--threads N] [--mb M] [--corpus F]\n";
      return 0;
    } else {
      dir = a;
    }
  }
  if (dir.empty()) {
    const char* env = std::getenv("SWIFT_TEST_ASSETS");
    const char* home = std::getenv("HOME");
    dir =
        (env ? std::string(env) : std::string(home ? home : "") + "/.cache/swift-cpp/test-assets") +
        "/tokenizers/qwen3";
  }
  std::vector<std::string> base;
  {
    std::ifstream in(corpus);
    if (!in.good()) {
      std::cerr << "cannot open corpus " << corpus << "\n";
      return 1;
    }
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) base.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  }
  std::vector<std::string> texts;
  std::size_t bytes = 0;
  const auto want = static_cast<std::size_t>(mb * 1e6);
  while (bytes < want && !base.empty()) {
    for (const auto& t : base) {
      texts.push_back(t);
      bytes += t.size();
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  const std::clock_t l0 = std::clock();
  auto tok = swift::tok::Tokenizer::from_dir(dir);
  std::cout << fmt::format(
      "tokenizer {} loaded in {:.3f} s ({:.3f} CPU-s; {} tokens)\n", dir, seconds_since(t0),
      static_cast<double>(std::clock() - l0) / CLOCKS_PER_SEC, tok->vocab_size());
  // Warm the word cache the way a long run would.
  (void)tok->encode_batch(std::vector<std::string>(texts.begin(), texts.begin() + base.size()));

  std::size_t n_tokens = 0;
  t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  for (const auto& t : texts) n_tokens += tok->encode(t, false).size();
  const double single = seconds_since(t0);
  // CPU time as well: on a shared machine wall time also counts other processes.
  const double single_cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  t0 = std::chrono::steady_clock::now();
  const auto batch = tok->encode_batch(texts, false, threads);
  const double multi = seconds_since(t0);
  std::cout << fmt::format("corpus: {} texts, {:.2f} MB, {} tokens\n", texts.size(), bytes / 1e6,
                           n_tokens);
  std::cout << fmt::format("encode 1 thread : {:8.2f} MB/s  {:10.0f} tokens/s\n",
                           bytes / 1e6 / single, n_tokens / single);
  std::cout << fmt::format("encode 1 thread : {:8.2f} MB/s per CPU-second\n",
                           bytes / 1e6 / single_cpu);
  std::cout << fmt::format("encode {} threads: {:8.2f} MB/s  {:10.0f} tokens/s\n", threads,
                           bytes / 1e6 / multi, n_tokens / multi);
  // Uncached: unique words defeat the word cache. "w<number>x" words, one 1 MB text (mostly the
  // pre-tokenizer: most tokenizers split digits), then random letter words in 1 kB texts (every
  // word goes through the BPE merge loop: its worst case).
  std::string unique;
  for (int k = 0; unique.size() < 1000000; ++k) unique += "w" + std::to_string(k * 7919) + "x ";
  auto cpu_since = [](std::clock_t c) {
    return static_cast<double>(std::clock() - c) / CLOCKS_PER_SEC;
  };
  t0 = std::chrono::steady_clock::now();
  std::clock_t uc = std::clock();
  const auto u = tok->encode(unique, false);
  const double us = seconds_since(t0), us_cpu = cpu_since(uc);
  std::cout << fmt::format(
      "encode unique words (1 thread, cold cache): {:.2f} MB/s  ({:.2f} MB/s per CPU-second)\n",
      unique.size() / 1e6 / us, unique.size() / 1e6 / us_cpu);
  std::vector<std::string> words_texts(1);
  std::size_t words_bytes = 0;
  std::uint64_t rng = 88172645463325252ull;
  while (words_bytes < 1000000) {
    std::string& t = words_texts.back();
    t += ' ';
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    const int len = 4 + static_cast<int>(rng % 9);
    for (int c = 0; c < len; ++c) t += static_cast<char>('a' + (rng >> (5 * c + 8)) % 26);
    words_bytes += static_cast<std::size_t>(len) + 1;
    if (t.size() >= 1000) words_texts.emplace_back();
  }
  t0 = std::chrono::steady_clock::now();
  uc = std::clock();
  std::size_t words_tokens = 0;
  for (const auto& t : words_texts) words_tokens += tok->encode(t, false).size();
  const double ws = seconds_since(t0), ws_cpu = cpu_since(uc);
  std::cout << fmt::format(
      "encode unique letter words (1 thread, cold cache): {:.2f} MB/s  {:.0f} tokens/s  ({:.2f} "
      "MB/s per CPU-second)\n",
      words_bytes / 1e6 / ws, words_tokens / ws, words_bytes / 1e6 / ws_cpu);
  t0 = std::chrono::steady_clock::now();
  std::size_t dbytes = 0;
  for (std::size_t k = 0; k < batch.size() && k < 20000; ++k)
    dbytes += tok->decode(batch[k]).size();
  std::cout << fmt::format("decode 1 thread : {:8.2f} MB/s\n", dbytes / 1e6 / seconds_since(t0));
  return u.empty() ? 1 : 0;
}

swift::tools::RegisterMode reg("tokenizer",
                               "[TOKDIR] [--threads N] [--mb M]: tokenizer encode MB/s",
                               run);

}  // namespace

// `swift-bench parquet FILE [--repeat N] [--messages]`: Parquet -> rows throughput of the
// reader (file MB/s and rows/s, wall clock, best of N), and with --messages the whole dataset
// path (rows normalised to messages by load_dataset). tools/reference/bench_parquet.py runs it
// next to pyarrow on the same file.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "common/subtool.h"
#include "core/fs.h"
#include "dataset/dataset.h"
#include "dataset/parquet/parquet.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int run(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: swift-bench parquet FILE [--repeat N] [--messages]\n");
    return 2;
  }
  std::string path = argv[1];
  int repeat = 3;
  bool messages = false;
  for (int k = 2; k < argc; ++k) {
    std::string a = argv[k];
    if (a == "--repeat" && k + 1 < argc) repeat = std::max(1, std::atoi(argv[++k]));
    if (a == "--messages") messages = true;
  }
  double mb = static_cast<double>(swift::fs::file_size(path)) / 1e6;
  double best = 1e30;
  std::size_t rows = 0, bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    swift::parquet::Reader reader(path);
    rows = 0;
    bytes = 0;
    reader.for_each_row([&](nlohmann::ordered_json&& row) {
      ++rows;
      bytes += row.size();
    });
    best = std::min(best, seconds_since(t0));
  }
  fmt::print(
      "parquet rows: {} rows, {:.1f} MB file, best of {}: {:.3f} s = {:.1f} MB/s, {:.0f} rows/s\n",
      rows, mb, repeat, best, mb / best, rows / best);
  if (messages) {
    double best_m = 1e30;
    std::size_t n = 0;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      n = swift::dataset::load_dataset(path, swift::dataset::LoadOptions()).size();
      best_m = std::min(best_m, seconds_since(t0));
    }
    fmt::print("load_dataset messages: {} rows, best of {}: {:.3f} s = {:.1f} MB/s\n", n, repeat,
               best_m, mb / best_m);
  }
  return 0;
}

swift::tools::RegisterMode reg("parquet",
                               "Parquet reader throughput: FILE [--repeat N] [--messages]",
                               run);

}  // namespace

// The Parquet reader against files written by pyarrow: every row equals pyarrow's own reading
// of the same file (the .jsonl next to it, made by tools/reference/make_parquet_fixtures.py),
// and truncated or mutated copies of those files either read or fail with swift::Error, never
// a crash (this suite also runs under ASan/UBSan as test_parquet_san).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.h"
#include "core/fs.h"
#include "dataset/parquet/parquet.h"
#include "dataset/parquet/thrift.h"

namespace swift::parquet {
namespace {

namespace stdfs = std::filesystem;
using json = nlohmann::ordered_json;

const char* kFixtures[] = {"messages_snappy_v2",  "messages_zstd_v1",     "alpaca_zh_zstd",
                           "types_gzip_v1_plain", "types_snappy_v2_dict", "types_brotli_v2",
                           "delta_none",          "runs_zstd_v2",         "empty"};

std::string fixture(const std::string& name, const char* ext) {
  return std::string(SWIFT_SOURCE_DIR) + "/tests/data/parquet/" + name + ext;
}

std::vector<json> expected_rows(const std::string& name) {
  std::vector<json> rows;
  std::ifstream in(fixture(name, ".jsonl"));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(json::parse(line));
  return rows;
}

std::vector<json> read_all(const std::string& path, const ReaderLimits& limits = ReaderLimits()) {
  Reader r(path, limits);
  std::vector<json> rows;
  r.for_each_row([&](json&& row) { rows.push_back(std::move(row)); });
  EXPECT_EQ(static_cast<std::int64_t>(rows.size()), r.num_rows());
  return rows;
}

class ParquetFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(ParquetFixture, RowsEqualPyarrowReading) {
  std::string name = GetParam();
  auto want = expected_rows(name);
  auto got = read_all(fixture(name, ".parquet"));
  ASSERT_EQ(got.size(), want.size()) << name;
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << name << " row " << i << "\n got:  " << got[i].dump()
                               << "\n want: " << want[i].dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Pyarrow, ParquetFixture, ::testing::ValuesIn(kFixtures));

TEST(Parquet, RowGroupsStreamOneAtATime) {
  Reader r(fixture("messages_snappy_v2", ".parquet"));
  ASSERT_EQ(r.num_row_groups(), 3u);  // 120 rows in groups of 50
  EXPECT_EQ(r.row_group_num_rows(0), 50);
  EXPECT_EQ(r.row_group_num_rows(2), 20);
  std::size_t n = 0;
  r.read_row_group(2, [&](json&& row) {
    EXPECT_EQ(row["id"], 100 + static_cast<int>(n));
    ++n;
  });
  EXPECT_EQ(n, 20u);
  EXPECT_EQ(r.column_names(), (std::vector<std::string>{"messages", "source", "id"}));
}

// Expects swift::Error mentioning `part` (and the file), nothing else.
void expect_error(const std::string& path, const char* part) {
  try {
    read_all(path);
    ADD_FAILURE() << "no error for " << path;
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
}

class ParquetBad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() / ("swift_parquet_" + std::to_string(::getpid()));
    stdfs::create_directories(dir_);
  }
  void TearDown() override { stdfs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  stdfs::path dir_;
};

TEST_F(ParquetBad, ClearErrors) {
  std::string good = fs::read_file(fixture("messages_snappy_v2", ".parquet"));
  expect_error(write("short.parquet", "PAR1"), "too short");
  expect_error(write("text.parquet", std::string(100, 'x')), "not a Parquet file");
  expect_error(write("cut.parquet", good.substr(0, good.size() / 2)), "not a Parquet file");
  std::string enc = good;
  enc.replace(enc.size() - 4, 4, "PARE");
  expect_error(write("enc.parquet", enc), "encrypted");
  std::string big_footer = good;
  big_footer.replace(big_footer.size() - 8, 4, std::string("\xff\xff\xff\x7f", 4));
  expect_error(write("footer.parquet", big_footer), "footer length");
  // Data pages cut off while the footer still claims them.
  std::string tail = good.substr(good.size() - 8 - 2000);
  std::string hollow = good.substr(0, 4) + std::string(good.size() - 4 - tail.size(), '\0') + tail;
  try {
    read_all(write("hollow.parquet", hollow));
    ADD_FAILURE() << "zeroed pages read without error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[parquet]"), std::string::npos) << e.what();
  }
  try {
    Reader r((dir_ / "missing.parquet").string());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.parquet not found"), std::string::npos)
        << e.what();  // fs::open_regular wording
  }
  try {
    Reader r(dir_.string());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos);
  }
}

// Every truncation point near the ends and random byte flips everywhere: each copy reads or
// fails with swift::Error; anything else (a crash, another exception) fails the test.
TEST_F(ParquetBad, MutatedFilesNeverCrash) {
  ReaderLimits limits;
  limits.max_page_bytes = 8u << 20;
  limits.max_values_per_chunk = 1u << 20;
  std::mt19937 rng(7);
  std::size_t ok = 0, errors = 0;
  auto attempt = [&](const std::string& bytes) {
    std::string p = write("m.parquet", bytes);
    try {
      read_all(p, limits);
      ++ok;
    } catch (const Error&) {
      ++errors;
    }
  };
  for (const char* name : kFixtures) {
    std::string good = fs::read_file(fixture(name, ".parquet"));
    // Truncations: inside the footer, inside the data, and cut-and-keep-the-footer.
    for (std::size_t cut = 1; cut < std::min<std::size_t>(good.size(), 64); ++cut)
      attempt(good.substr(0, good.size() - cut));
    for (int i = 0; i < 40; ++i) {
      std::size_t at = rng() % good.size();
      attempt(good.substr(0, at) +
              good.substr(good.size() - 8 - std::min<std::size_t>(good.size() - 8, rng() % 600)));
    }
    // Byte flips: few at a time, anywhere; most land in page data or the footer.
    int flips = 150;
    for (int i = 0; i < flips; ++i) {
      std::string bad = good;
      int k = 1 + static_cast<int>(rng() % 4);
      for (int j = 0; j < k; ++j) {
        // Half of the flips aim at the footer, where one byte changes the most.
        std::size_t footer = std::min<std::size_t>(good.size(), 1500);
        std::size_t at = (rng() & 1) ? good.size() - 1 - rng() % footer : rng() % good.size();
        bad[at] = static_cast<char>(rng() & 0xff);
      }
      attempt(bad);
    }
  }
  EXPECT_GT(errors, 0u);
  EXPECT_GT(ok + errors, 2000u);
}

TEST(Parquet, LooksLikeParquet) {
  EXPECT_TRUE(looks_like_parquet(fixture("alpaca_zh_zstd", ".parquet")));
  EXPECT_FALSE(looks_like_parquet(fixture("alpaca_zh_zstd", ".jsonl")));
  EXPECT_FALSE(looks_like_parquet("/nonexistent"));
}

TEST(Parquet, UnsupportedCodecSaysWhatToDo) {
  try {
    read_all(fixture("refused_lz4", ".parquet"));
    ADD_FAILURE();
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("lz4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("compression='zstd'"), std::string::npos) << msg;
  }
}

// Random bytes into the Thrift decoder: it returns or throws swift::Error, nothing else.
TEST(Parquet, ThriftDecoderOnRandomBytes) {
  std::mt19937 rng(11);
  std::size_t ok = 0, errors = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string buf(1 + rng() % 64, '\0');
    for (auto& c : buf) c = static_cast<char>(rng() & 0xff);
    // Bias towards plausible headers: small deltas and struct/list types.
    if (i % 2) buf[0] = static_cast<char>(0x10 | (rng() % 13));
    try {
      std::size_t used = 0;
      thrift::decode_struct(buf, &used, "fuzz");
      EXPECT_LE(used, buf.size());
      ++ok;
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(ok, 0u);
  EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace swift::parquet

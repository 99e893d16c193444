// TensorBoard event files: the bytes TensorBoard's own writer produces for the same events
// (tests/data/train/tb_golden.tfevents from tools/reference/make_tensorboard_golden.py), CRC-32C
// against its published check value, a round trip through EventWriter, and torn or corrupt files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "train/tensorboard.h"

namespace {

namespace stdfs = std::filesystem;
using namespace swift::train;

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(TensorBoard, Crc32cCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // RFC 3720's CRC-32C check value
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(TensorBoard, BytesEqualTensorBoardsOwnWriter) {
  const std::string golden =
      read(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/tb_golden.tfevents");
  ASSERT_FALSE(golden.empty());
  std::string ours = tfrecord(event_file_version(1700000000.5));
  ours += tfrecord(event_scalar(1700000001.25, 1, "train/loss", 2.5f));
  ours += tfrecord(event_scalar(1700000001.5, 1, "train/learning_rate", 1e-4f));
  ours += tfrecord(event_scalar(1700000002.0, 2, "train/grad_norm", 0.0f));
  ours += tfrecord(event_scalar(1700000003.0, 0, "train/epoch", 0.125f));
  ours += tfrecord(event_scalar(1700000004.0, 10, "eval/loss", -3.75f));
  ours += tfrecord(event_scalar(1700000005.0, 123456789, "train/\xE6\x8D\x9F\xE5\xA4\xB1", 1e30f));
  EXPECT_EQ(ours, golden);
}

TEST(TensorBoard, WriterRoundTripAndTornTail) {
  const auto dir = stdfs::temp_directory_path() / ("swift_tb_" + std::to_string(::getpid()));
  stdfs::remove_all(dir);
  std::string path;
  {
    EventWriter w(dir.string());
    path = w.path();
    EXPECT_NE(stdfs::path(path).filename().string().find("events.out.tfevents."),
              std::string::npos);
    for (int s = 1; s <= 5; ++s) w.scalar("train/loss", 1.0f / s, s);
    w.scalar("eval/loss", 0.5f, 5);
  }
  std::string version;
  auto ev = read_scalar_events(path, &version);
  EXPECT_EQ(version, "brain.Event:2");
  ASSERT_EQ(ev.size(), 6u);
  EXPECT_EQ(ev[2].tag, "train/loss");
  EXPECT_EQ(ev[2].step, 3);
  EXPECT_FLOAT_EQ(ev[2].value, 1.0f / 3);
  EXPECT_GT(ev[2].wall_time, 1.6e9);
  // A crash in the middle of a record: the reader stops before it, as TensorBoard's does.
  const std::string bytes = read(path);
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 7); }
  EXPECT_EQ(read_scalar_events(path).size(), 5u);
  // A flipped byte inside a record is an error, never silently wrong numbers.
  std::string bad = bytes;
  bad[bad.size() - 9] ^= 0x40;
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << bad; }
  EXPECT_THROW(read_scalar_events(path), swift::Error);
  stdfs::remove_all(dir);
}

}  // namespace

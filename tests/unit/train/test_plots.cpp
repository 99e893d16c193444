// images/*.png: ms-swift's smoothing of the loss curve (tests/data/train/tb_smoothing.json, made by
// ms-swift's tensorboard_smoothing), and plot_images writing one 800x500 PNG per scalar tag
// named as ms-swift names them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "train/plots.h"
#include "train/tensorboard.h"

namespace {

namespace stdfs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Plots, SmoothingEqualsMsSwift) {
  const auto cases = nlohmann::json::parse(
      read(std::string(SWIFT_SOURCE_DIR) + "/tests/data/train/tb_smoothing.json"));
  ASSERT_EQ(cases.size(), 3u);
  for (const auto& c : cases) {
    const auto got = swift::train::tensorboard_smoothing(c["values"].get<std::vector<double>>(),
                                                         c["smooth"].get<double>());
    const auto want = c["smoothed"].get<std::vector<double>>();
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << i;
  }
}

TEST(Plots, OnePngPerTagNamedAsMsSwift) {
  const auto dir = stdfs::temp_directory_path() / ("swift_plots_" + std::to_string(::getpid()));
  stdfs::remove_all(dir);
  {
    swift::train::EventWriter w((dir / "runs").string());
    for (int s = 1; s <= 20; ++s) w.scalar("train/loss", 2.0f / s, s);
    w.scalar("eval/loss", 0.7f, 20);                                          // a single point
    for (int s = 1; s <= 20; ++s) w.scalar("train/learning_rate", 1e-4f, s);  // flat
  }
  const auto files = swift::train::plot_images((dir / "images").string(), (dir / "runs").string());
  ASSERT_EQ(files.size(), 3u);
  for (const char* name : {"train_loss.png", "eval_loss.png", "train_learning_rate.png"}) {
    const std::string png = read((dir / "images" / name).string());
    ASSERT_GT(png.size(), 1000u) << name;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
    // IHDR: width and height, big-endian, at bytes 16..23.
    auto be32 = [&](std::size_t at) {
      return (static_cast<unsigned char>(png[at]) << 24) |
             (static_cast<unsigned char>(png[at + 1]) << 16) |
             (static_cast<unsigned char>(png[at + 2]) << 8) |
             static_cast<unsigned char>(png[at + 3]);
    };
    EXPECT_EQ(be32(16), 800) << name;
    EXPECT_EQ(be32(20), 500) << name;
  }
  // No event file: nothing is drawn, as in ms-swift.
  EXPECT_TRUE(swift::train::plot_images((dir / "img2").string(), (dir / "none").string()).empty());
  stdfs::remove_all(dir);
}

}  // namespace

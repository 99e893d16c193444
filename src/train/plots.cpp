// Training plots with PLplot's cairo PNG driver (see plots.h): ms-swift's layout (8x5 inches at
// 100 dpi, title = tag, TensorBoard's colours: light original, dark smoothed, a single point as a
// dot). PLplot keeps global state, so drawing is serialised.
#include "train/plots.h"

#include <plplot/plplot.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "train/tensorboard.h"

namespace swift::train {

namespace {

namespace stdfs = std::filesystem;

std::string file_stem(const std::string& tag) {
  std::string s = tag;
  for (char& c : s)
    if (c == '/' || c == '.') c = '_';
  return s;
}

void draw(const std::string& path,
          const std::string& title,
          const std::vector<double>& x,
          const std::vector<double>& y,
          const std::vector<double>* smoothed) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  double xmin = *std::min_element(x.begin(), x.end()), xmax = *std::max_element(x.begin(), x.end());
  double ymin = *std::min_element(y.begin(), y.end()), ymax = *std::max_element(y.begin(), y.end());
  if (xmax <= xmin) xmin -= 1, xmax += 1;
  if (ymax <= ymin) {
    const double pad = std::max(std::fabs(ymin) * 0.05, 1e-12);
    ymin -= pad, ymax += pad;
  }
  const double ypad = (ymax - ymin) * 0.05, xpad = (xmax - xmin) * 0.03;
  plsdev("pngcairo");
  plsfnam(path.c_str());
  plspage(0, 0, 800, 500, 0, 0);  // ms-swift: figsize (8, 5) at dpi 100
  plscol0(0, 255, 255, 255);      // background
  plscol0(1, 0, 0, 0);            // axes and text
  plscol0(2, 0xFF, 0xE2, 0xD9);   // TB_COLOR: the original curve
  plscol0(3, 0xFF, 0x70, 0x43);   // TB_COLOR_SMOOTH
  plinit();
  plcol0(1);
  plenv(xmin - xpad, xmax + xpad, ymin - ypad, ymax + ypad, 0, 0);
  pllab("", "", title.c_str());
  const auto n = static_cast<PLINT>(x.size());
  if (n == 1) {
    plcol0(3);
    plpoin(1, x.data(), y.data(), 17);
  } else if (smoothed) {
    plcol0(2);
    plwidth(2);
    plline(n, x.data(), y.data());
    plcol0(3);
    plline(n, x.data(), smoothed->data());
  } else {
    plcol0(3);
    plwidth(2);
    plline(n, x.data(), y.data());
  }
  plend();
}

}  // namespace

std::vector<double> tensorboard_smoothing(const std::vector<double>& values, double smooth) {
  std::vector<double> out;
  out.reserve(values.size());
  double x = 0, norm = 0;
  for (double v : values) {
    x = x * smooth + v;
    norm = norm * smooth + 1;
    out.push_back(x / norm);
  }
  return out;
}

std::vector<std::string> plot_images(const std::string& images_dir,
                                     const std::string& tb_dir,
                                     const std::vector<std::string>& smooth_keys,
                                     double smooth) {
  std::vector<std::string> written;
  std::error_code ec;
  if (!stdfs::is_directory(tb_dir, ec)) return written;
  std::vector<std::string> files;
  for (const auto& e : stdfs::recursive_directory_iterator(tb_dir, ec))
    if (e.is_regular_file(ec) && e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(e.path().string());
  if (files.empty()) return written;
  std::sort(files.begin(), files.end());
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> series;
  for (const auto& ev : read_scalar_events(files.front())) {
    auto& s = series[ev.tag];
    s.first.push_back(static_cast<double>(ev.step));
    s.second.push_back(ev.value);
  }
  stdfs::create_directories(images_dir, ec);
  SWIFT_CHECK(!ec, "[train] cannot create {}: {}", images_dir, ec.message());
  for (const auto& [tag, s] : series) {
    const std::string path = fs::join(images_dir, file_stem(tag) + ".png");
    const bool smoothed = s.second.size() > 1 && std::find(smooth_keys.begin(), smooth_keys.end(),
                                                           tag) != smooth_keys.end();
    const std::vector<double> sm =
        smoothed ? tensorboard_smoothing(s.second, smooth) : std::vector<double>{};
    draw(path, tag, s.first, s.second, smoothed ? &sm : nullptr);
    if (stdfs::is_regular_file(path, ec))
      written.push_back(path);
    else
      SWIFT_WARN("[train] PLplot wrote no {}; is plplot-driver-cairo installed?", path);
  }
  return written;
}

}  // namespace swift::train

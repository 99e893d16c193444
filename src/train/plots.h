// images/*.png at the end of a run, as ms-swift's plot_images draws them from the run's
// TensorBoard events: one figure per scalar tag (train/loss also smoothed with TensorBoard's
// debiased EMA), named after the tag with '/' and '.' as '_'. Drawn with PLplot (Debian).
#pragma once

#include <string>
#include <vector>

namespace swift::train {

// TensorBoard's (and ms-swift's tensorboard_smoothing) debiased exponential moving average.
std::vector<double> tensorboard_smoothing(const std::vector<double>& values, double smooth = 0.9);

// Draws every scalar tag of the first event file under `tb_dir` into `images_dir`; returns the
// PNG files written. Nothing is written when there is no event file (as ms-swift).
std::vector<std::string> plot_images(const std::string& images_dir,
                                     const std::string& tb_dir,
                                     const std::vector<std::string>& smooth_keys = {"train/loss"},
                                     double smooth = 0.9);

}  // namespace swift::train

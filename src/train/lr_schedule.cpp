// Learning-rate schedules (see lr_schedule.h): each branch is the lambda transformers'
// optimization.py builds for that name, evaluated in double precision as Python does.
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/strings.h"

namespace swift::train {

namespace {

constexpr double kPi = 3.14159265358979323846;

double warmup(std::int64_t step, std::int64_t w) {
  return static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, w));
}

double number(const nlohmann::json& v, const std::string& key) {
  SWIFT_CHECK(v.is_number(), "[train] --lr_scheduler_kwargs {} must be a number, not {}", key,
              v.dump());
  const double d = v.get<double>();
  SWIFT_CHECK(std::isfinite(d), "[train] --lr_scheduler_kwargs {} must be finite", key);
  return d;
}

std::int64_t whole(const nlohmann::json& v, const std::string& key) {
  const double d = number(v, key);
  SWIFT_CHECK(d >= 0 && std::floor(d) == d && d < 1e15,
              "[train] --lr_scheduler_kwargs {} must be a whole number >= 0, not {}", key,
              v.dump());
  return static_cast<std::int64_t>(d);
}

std::string text(const nlohmann::json& v, const std::string& key) {
  SWIFT_CHECK(v.is_string(), "[train] --lr_scheduler_kwargs {} must be a string", key);
  return v.get<std::string>();
}

}  // namespace

std::vector<std::string> lr_schedule_types() {
  return {"linear",
          "cosine",
          "cosine_with_restarts",
          "polynomial",
          "constant",
          "constant_with_warmup",
          "inverse_sqrt",
          "cosine_with_min_lr",
          "cosine_warmup_with_min_lr",
          "warmup_stable_decay"};
}

std::int64_t warmup_steps_for(std::int64_t total_steps, double warmup_steps, double warmup_ratio) {
  // ms-swift's rules (swift/trainers/arguments.py): both at once is ambiguous, a ratio must be
  // below 1, and the ratio becomes transformers 5's float warmup_steps.
  SWIFT_CHECK(!(warmup_ratio != 0 && warmup_steps != 0),
              "[train] --warmup_ratio and --warmup_steps cannot be set at the same time");
  SWIFT_CHECK(warmup_ratio >= 0 && warmup_ratio < 1,
              "[train] --warmup_ratio {} must be in [0, 1); use --warmup_steps for a number of "
              "steps",
              warmup_ratio);
  SWIFT_CHECK(warmup_steps >= 0 && std::isfinite(warmup_steps),
              "[train] --warmup_steps must be >= 0, got {}", warmup_steps);
  const double w = warmup_ratio != 0 ? warmup_ratio : warmup_steps;
  // TrainingArguments.get_warmup_steps: int(w) when >= 1, else ceil(total * w).
  if (w >= 1) return static_cast<std::int64_t>(w);
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(total_steps) * w));
}

double LrSchedule::factor(std::int64_t step) const {
  const auto W = warmup_steps, T = total_steps;
  const double s = static_cast<double>(step);
  if (type == "constant") return 1.0;
  if (type == "constant_with_warmup") return step < W ? warmup(step, W) : 1.0;
  if (type == "linear") {
    if (step < W) return warmup(step, W);
    return std::max(
        0.0, static_cast<double>(T - step) / static_cast<double>(std::max<std::int64_t>(1, T - W)));
  }
  const double progress =
      static_cast<double>(step - W) / static_cast<double>(std::max<std::int64_t>(1, T - W));
  if (type == "cosine") {
    if (step < W) return warmup(step, W);
    return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * num_cycles * 2.0 * progress)));
  }
  if (type == "cosine_with_min_lr") {
    if (step < W) return warmup(step, W);
    double f = 0.5 * (1.0 + std::cos(kPi * num_cycles * 2.0 * progress));
    f = f * (1 - min_lr_rate) + min_lr_rate;
    return std::max(0.0, f);
  }
  if (type == "cosine_warmup_with_min_lr") {
    const double w = static_cast<double>(W), t = static_cast<double>(T);
    if (s < w) {
      if (!has_warmup_lr_rate) return (s + 1.0) / std::max(1.0, w);
      return warmup_lr_rate + (1.0 - warmup_lr_rate) * s / std::max(1.0, w - 1);
    }
    const double p = (s - w + 1.0) / std::max(1.0, t - w);
    double f = 0.5 * (1.0 + std::cos(kPi * num_cycles * 2.0 * p));
    f = f * (1 - min_lr_rate) + min_lr_rate;
    return std::max(0.0, f);
  }
  if (type == "cosine_with_restarts") {
    if (step < W) return warmup(step, W);
    if (progress >= 1.0) return 0.0;
    return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * std::fmod(num_cycles * progress, 1.0))));
  }
  if (type == "polynomial") {
    if (step < W) return warmup(step, W);
    if (step > T) return lr_end / initial_lr;
    const double range = initial_lr - lr_end;
    const double decay_steps = static_cast<double>(T - W);
    const double remaining = 1 - static_cast<double>(step - W) / decay_steps;
    return (range * std::pow(remaining, power) + lr_end) / initial_lr;
  }
  if (type == "inverse_sqrt") {
    if (step < W) return warmup(step, W);
    const double ts = static_cast<double>(timescale);
    const double shift = ts - static_cast<double>(W);
    return 1.0 / std::sqrt((s + shift) / ts);
  }
  if (type == "warmup_stable_decay") {
    auto shaped = [&](const std::string& kind, double p, bool rising) {
      if (kind == "linear") return rising ? p : 1.0 - p;
      if (kind == "cosine")
        return rising ? 0.5 * (1.0 - std::cos(kPi * p))
                      : 0.5 * (1.0 + std::cos(kPi * num_cycles * 2.0 * p));
      return rising ? 1.0 - std::sqrt(1.0 - p) : 1.0 - std::sqrt(p);  // 1-sqrt
    };
    if (step < W) {
      const double f = shaped(warmup_type, warmup(step, W), true);
      return std::max(0.0, f * (1.0 - min_lr_rate) + min_lr_rate);
    }
    if (step < W + num_stable_steps) return 1.0;
    if (step < W + num_stable_steps + num_decay_steps) {
      const double p = static_cast<double>(step - W - num_stable_steps) /
                       static_cast<double>(std::max<std::int64_t>(1, num_decay_steps));
      const double f = shaped(decay_type, p, false);
      return std::max(0.0, f * (1.0 - min_lr_rate) + min_lr_rate);
    }
    return min_lr_rate;
  }
  SWIFT_FAIL("[train] unknown lr_scheduler_type '{}'", type);  // make_lr_schedule checked it
}

LrSchedule make_lr_schedule(const std::string& type,
                            std::int64_t warmup_steps,
                            std::int64_t total_steps,
                            double initial_lr,
                            const nlohmann::json& kwargs) {
  const auto types = lr_schedule_types();
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    const std::string near = str::closest(type, types);
    std::string all;
    for (const auto& t : types) all += (all.empty() ? "" : ", ") + t;
    SWIFT_FAIL("[train] --lr_scheduler_type {} is not supported{} (supported: {})", type,
               near.empty() ? "" : "; did you mean " + near + "?", all);
  }
  SWIFT_CHECK(warmup_steps >= 0 && total_steps >= 0,
              "[train] warmup and total steps must be >= 0, got {} and {}", warmup_steps,
              total_steps);
  SWIFT_CHECK(std::isfinite(initial_lr) && initial_lr > 0,
              "[train] --learning_rate must be a positive number, got {}", initial_lr);
  SWIFT_CHECK(kwargs.is_object() || kwargs.is_null(),
              "[train] --lr_scheduler_kwargs must be a JSON object");
  LrSchedule s;
  s.type = type;
  s.warmup_steps = warmup_steps;
  s.total_steps = total_steps;
  s.initial_lr = initial_lr;
  if (type == "cosine_with_restarts") s.num_cycles = 1.0;
  s.timescale = warmup_steps > 0 ? warmup_steps : 10000;
  bool has_min_lr = false, has_min_rate = false;
  std::vector<std::string> allowed;
  if (type == "cosine" || type == "cosine_with_restarts") allowed = {"num_cycles"};
  if (type == "polynomial") allowed = {"lr_end", "power"};
  if (type == "inverse_sqrt") allowed = {"timescale"};
  if (type == "cosine_with_min_lr") allowed = {"num_cycles", "min_lr", "min_lr_rate"};
  if (type == "cosine_warmup_with_min_lr")
    allowed = {"num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"};
  if (type == "warmup_stable_decay")
    allowed = {"num_decay_steps", "num_stable_steps", "warmup_type",
               "decay_type",      "min_lr_ratio",     "num_cycles"};
  bool stable_given = false, decay_given = false;
  if (kwargs.is_object()) {
    for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {
      const std::string& k = it.key();
      SWIFT_CHECK(std::find(allowed.begin(), allowed.end(), k) != allowed.end(),
                  "[train] --lr_scheduler_kwargs {} does not apply to lr_scheduler_type {}", k,
                  type);
      const auto& v = it.value();
      if (k == "num_cycles") s.num_cycles = number(v, k);
      if (k == "lr_end") s.lr_end = number(v, k);
      if (k == "power") s.power = number(v, k);
      if (k == "timescale") s.timescale = whole(v, k);
      if (k == "min_lr") s.min_lr_rate = number(v, k) / initial_lr, has_min_lr = true;
      if (k == "min_lr_rate" || k == "min_lr_ratio")
        s.min_lr_rate = number(v, k), has_min_rate = true;
      if (k == "warmup_lr_rate") s.warmup_lr_rate = number(v, k), s.has_warmup_lr_rate = true;
      if (k == "num_decay_steps") s.num_decay_steps = whole(v, k), decay_given = true;
      if (k == "num_stable_steps") s.num_stable_steps = whole(v, k), stable_given = true;
      if (k == "warmup_type" || k == "decay_type") {
        const std::string t = text(v, k);
        SWIFT_CHECK(t == "linear" || t == "cosine" || t == "1-sqrt",
                    "[train] --lr_scheduler_kwargs {} must be linear, cosine or 1-sqrt", k);
        (k == "warmup_type" ? s.warmup_type : s.decay_type) = t;
      }
    }
  }
  if (type == "cosine_with_min_lr" || type == "cosine_warmup_with_min_lr") {
    SWIFT_CHECK(!(has_min_lr && has_min_rate),
                "[train] --lr_scheduler_kwargs: give min_lr or min_lr_rate, not both");
    SWIFT_CHECK(has_min_lr || has_min_rate,
                "[train] lr_scheduler_type {} needs --lr_scheduler_kwargs '{{\"min_lr\": ...}}' "
                "or '{{\"min_lr_rate\": ...}}'",
                type);
  }
  if (type == "polynomial")
    SWIFT_CHECK(s.lr_end < initial_lr,
                "[train] polynomial lr_end ({}) must be smaller than the learning rate ({})",
                s.lr_end, initial_lr);
  if (type == "inverse_sqrt")
    SWIFT_CHECK(s.timescale > 0, "[train] inverse_sqrt timescale must be > 0");
  if (type == "warmup_stable_decay") {
    SWIFT_CHECK(decay_given,
                "[train] warmup_stable_decay needs --lr_scheduler_kwargs "
                "'{{\"num_decay_steps\": N}}'");
    if (!stable_given) s.num_stable_steps = total_steps - warmup_steps - s.num_decay_steps;
  }
  return s;
}

}  // namespace swift::train

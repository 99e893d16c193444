// Derived defaults, computed after parsing as ms-swift's __post_init__ methods do: learning rate
// from the tuner, gradient accumulation to reach a total batch of 16, the versioned run folder,
// per-algorithm RLHF defaults. Each rule only fills a value the user left unset.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <regex>

#include "args/arguments.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/strings.h"

namespace swift::args {

namespace {

long env_int(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  return (end && *end == '\0' && x > 0) ? x : fallback;
}

long world_size() {
  long ws = env_int("WORLD_SIZE", 0);
  if (ws > 0) return ws;
  return env_int("NPROC_PER_NODE", 1) * env_int("NNODES", 1);
}

bool is_training(const std::string& cmd) {
  return cmd == "sft" || cmd == "pt" || cmd == "rlhf";
}

bool is_megatron(const std::string& cmd) {
  return str::starts_with(cmd, "megatron ");
}

}  // namespace

std::string model_suffix(const std::string& model) {
  std::string m = model;
  while (m.size() > 1 && m.back() == '/') m.pop_back();
  auto pos = m.find_last_of('/');
  return pos == std::string::npos ? m : m.substr(pos + 1);
}

std::string versioned_output_dir(const std::string& base_dir) {
  namespace stdfs = std::filesystem;
  stdfs::path base = stdfs::absolute(base_dir).lexically_normal();
  long version = -1;
  std::error_code ec;
  if (stdfs::is_directory(base, ec)) {
    static const std::regex kVersion("^v(\\d+)");
    for (const auto& e : stdfs::directory_iterator(base, ec)) {
      std::smatch m;
      std::string name = e.path().filename().string();
      if (std::regex_search(name, m, kVersion)) {
        try {
          version = std::max(version, std::stol(m[1].str()));
        } catch (const std::exception&) {
          // A number too large to be a real version folder: ignore it.
        }
      }
    }
  }
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  return (base / ("v" + std::to_string(version + 1) + "-" + stamp)).string();
}

void resolve_derived(ParsedArgs& p) {
  ArgSet& s = p.set;
  const std::string& cmd = p.command;
  auto get = [&](const char* n) { return p.get(n); };
  auto unset = [&](const char* n) { return s.has(n) && get(n).is_null(); };
  auto put = [&](const char* n, const nlohmann::json& v) {
    if (s.has(n)) s.set_json(n, v);
  };

  if (is_megatron(cmd) && !s.was_set("tuner_type")) put("tuner_type", "full");
  std::string tuner = get("tuner_type").is_string() ? get("tuner_type").get<std::string>() : "";

  if (is_training(cmd) || is_megatron(cmd)) {
    for (const char* lr : {"learning_rate", "lr"}) {
      if (unset(lr)) put(lr, tuner == "full" ? 1e-5 : 1e-4);
    }
  }

  if (cmd == "rlhf") {
    std::string algo = get("rlhf_type").is_string() ? get("rlhf_type").get<std::string>() : "dpo";
    if (unset("beta")) {
      double beta = 0.1;
      if (algo == "simpo") beta = 2.0;
      if (algo == "grpo") beta = 0.04;
      if (algo == "gkd") beta = 0.5;
      put("beta", beta);
    }
    if (!s.was_set("loss_scale")) {
      bool multi_turn = get("multi_turn_scheduler").is_string();
      // ORPO passes its labels through as the NLL targets: ms-swift's 'default' (text models).
      const bool dflt = algo == "orpo" || ((algo == "grpo" || algo == "gkd") && multi_turn);
      put("loss_scale", dflt ? "default" : "last_round");
    }
    if ((algo == "grpo" || algo == "gkd") && !s.was_set("truncation_strategy"))
      put("truncation_strategy", "left");
    if ((algo == "ppo" || algo == "gkd") && !s.was_set("padding_side")) put("padding_side", "left");
    if (algo == "grpo" && unset("gradient_accumulation_steps"))
      put("gradient_accumulation_steps", 1);
  }

  // TemplateArguments: None means delete (GRPO/GKD chose left above).
  if (unset("truncation_strategy")) put("truncation_strategy", "delete");

  if (is_training(cmd)) {
    if (unset("gradient_accumulation_steps")) {
      long bs = get("per_device_train_batch_size").is_number_integer()
                    ? get("per_device_train_batch_size").get<long>()
                    : 1;
      SWIFT_CHECK(bs > 0, "[args] --per_device_train_batch_size must be positive, got {}", bs);
      double steps = std::ceil(16.0 / static_cast<double>(bs) / static_cast<double>(world_size()));
      put("gradient_accumulation_steps", std::max(1L, static_cast<long>(steps)));
    }
    // With no validation data, evaluation is off and the split ratio is forced to 0.
    bool no_val = get("val_dataset").empty() && (!get("split_dataset_ratio").is_number() ||
                                                 get("split_dataset_ratio").get<double>() == 0.0);
    if (unset("eval_strategy")) {
      put("eval_strategy", no_val ? nlohmann::json("no") : get("save_strategy"));
    }
    if (unset("eval_steps") && get("save_steps").is_number()) put("eval_steps", get("save_steps"));
  }

  if (is_training(cmd) || is_megatron(cmd)) {
    const char* out_key = s.has("output_dir") ? "output_dir" : (s.has("save") ? "save" : nullptr);
    if (out_key != nullptr) {
      std::string out;
      if (get(out_key).is_string()) {
        out = get(out_key).get<std::string>();
      } else {
        std::string model = get("model").is_string() ? get("model").get<std::string>() : "";
        std::string root = is_megatron(cmd) ? "megatron_output" : "output";
        out = model.empty() ? root : root + "/" + model_suffix(model);
      }
      bool add_version = !s.has("add_version") || get("add_version") == true;
      out = add_version ? versioned_output_dir(out)
                        : std::filesystem::absolute(out).lexically_normal().string();
      put(out_key, out);
      if (unset("logging_dir")) put("logging_dir", out + "/runs");
    }
  }
}

std::optional<std::string> system_text(const std::optional<std::string>& system) {
  if (!system) return system;
  const std::string& s = *system;
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".txt") == 0 && fs::is_file(s))
    return fs::read_file(s);
  return system;
}

}  // namespace swift::args

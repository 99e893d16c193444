// trainer_state.json: Python's json.dumps byte for byte, and a validating reader.
#include "train/trainer_state.h"

#include "train/run_log.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"

namespace swift::train {

using nlohmann::json;

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::string sign = std::signbit(v) ? "-" : "";
  v = std::fabs(v);
  // Shortest round-trip digits, as Python's repr (David Gay's mode 0) picks them.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // d[.ddd]e[+-]XX
  const std::size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exp10 = std::stoi(sci.substr(e_pos + 1));
  const int n = static_cast<int>(digits.size());
  const int decpt = exp10 + 1;  // value = 0.<digits> x 10^decpt
  std::string out;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out = "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
    } else if (decpt < n) {
      out = digits.substr(0, decpt) + "." + digits.substr(decpt);
    } else {
      out = digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
    }
  } else {
    out = digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    const int e = decpt - 1;
    out += e < 0 ? "e-" : "e+";
    const std::string mag = std::to_string(std::abs(e));
    out += (mag.size() < 2 ? "0" : "") + mag;
  }
  return sign + out;
}

namespace {

void append_u_escape(std::string& out, unsigned cp) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", cp);
  out += buf;
}

// json.dumps(ensure_ascii=True) of a str: everything outside ' '..'~' escaped.
void append_py_string(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t len = s.size();
  for (std::size_t i = 0; i < len;) {
    const unsigned c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            append_u_escape(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; an invalid byte becomes U+DC80.. (surrogateescape).
    int extra = -1;
    if (c >= 0xC2 && c < 0xE0)
      extra = 1;
    else if (c >= 0xE0 && c < 0xF0)
      extra = 2;
    else if (c >= 0xF0 && c < 0xF5)
      extra = 3;
    unsigned cp = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : c & 0x1F;
    bool ok = extra > 0;
    for (int k = 1; ok && k <= extra; ++k) {
      if (i + k >= len || (p[i + k] & 0xC0) != 0x80) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok) {
      const unsigned min = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
      ok = cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (!ok) {
      append_u_escape(out, 0xDC00 + c);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      append_u_escape(out, 0xD800 + (cp >> 10));
      append_u_escape(out, 0xDC00 + (cp & 0x3FF));
    } else {
      append_u_escape(out, cp);
    }
    i += static_cast<std::size_t>(extra) + 1;
  }
  out += '"';
}

void dump(std::string& out, const json& v, int indent, int depth) {
  const auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<std::size_t>(indent * d), ' ');
  };
  switch (v.type()) {
    case json::value_t::null:
      out += "null";
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      out += std::to_string(v.get<std::int64_t>());
      return;
    case json::value_t::number_unsigned:
      out += std::to_string(v.get<std::uint64_t>());
      return;
    case json::value_t::number_float:
      out += python_float_repr(v.get<double>());
      return;
    case json::value_t::string:
      append_py_string(out, v.get_ref<const std::string&>());
      return;
    case json::value_t::array: {
      if (v.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        dump(out, e, indent, depth + 1);
      }
      newline(depth);
      out += ']';
      return;
    }
    case json::value_t::object: {
      if (v.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      // nlohmann::json keeps keys in a std::map: byte order, which is code point order in UTF-8,
      // as sort_keys sorts.
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        newline(depth + 1);
        append_py_string(out, it.key());
        out += ": ";
        dump(out, it.value(), indent, depth + 1);
      }
      newline(depth);
      out += '}';
      return;
    }
    default:
      SWIFT_FAIL("[train] cannot write a binary or discarded JSON value");
  }
}

// nlohmann's parser refuses Python's NaN/Infinity: outside strings they become marker strings,
// turned back into doubles after parsing.
constexpr const char* kNanMark = "\x01swift:NaN\x01";
constexpr const char* kInfMark = "\x01swift:Infinity\x01";
constexpr const char* kNegInfMark = "\x01swift:-Infinity\x01";

void restore_marks(json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == kNanMark)
      v = std::nan("");
    else if (s == kInfMark)
      v = HUGE_VAL;
    else if (s == kNegInfMark)
      v = -HUGE_VAL;
  } else if (v.is_structured()) {
    for (auto& e : v) restore_marks(e);
  }
}

}  // namespace

std::string python_json_dumps(const json& value, int indent) {
  std::string out;
  dump(out, value, indent, 0);
  return out;
}

json python_json_loads(std::string_view text, const std::string& what) {
  std::string fixed;
  fixed.reserve(text.size());
  bool in_string = false;
  bool marked = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      fixed += c;
      if (c == '\\' && i + 1 < text.size()) {
        fixed += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    auto take = [&](std::string_view word, const char* mark) {
      if (text.substr(i, word.size()) != word) return false;
      fixed += '"';
      for (const char* m = mark; *m; ++m) append_u_escape(fixed, static_cast<unsigned char>(*m));
      fixed += '"';
      i += word.size() - 1;
      marked = true;
      return true;
    };
    if (c == 'N' && take("NaN", kNanMark)) continue;
    if (c == 'I' && take("Infinity", kInfMark)) continue;
    if (c == '-' && take("-Infinity", kNegInfMark)) continue;
    fixed += c;
  }
  json j = json::parse(fixed, nullptr, false);
  SWIFT_CHECK(!j.is_discarded(),
              "[train] {} is not valid JSON (truncated or corrupted); delete it or restore it "
              "from a good copy",
              what);
  if (marked) restore_marks(j);
  return j;
}

double python_round(double x, int ndigits) {
  return py_round(x, ndigits);
}

json speed_metrics(const std::string& split,
                   double runtime,
                   std::int64_t num_samples,
                   std::int64_t num_steps,
                   std::int64_t num_tokens) {
  json out = {{split + "_runtime", python_round(runtime, 4)}};
  if (runtime == 0) return out;
  if (num_samples >= 0)
    out[split + "_samples_per_second"] =
        python_round(static_cast<double>(num_samples) / runtime, 3);
  if (num_steps >= 0)
    out[split + "_steps_per_second"] = python_round(static_cast<double>(num_steps) / runtime, 3);
  if (num_tokens >= 0)
    out[split + "_tokens_per_second"] = python_round(static_cast<double>(num_tokens) / runtime, 3);
  return out;
}

json trainer_control_state(const TrainerControlFlags& f) {
  return {{"args",
           {{"should_training_stop", f.should_training_stop},
            {"should_epoch_stop", f.should_epoch_stop},
            {"should_save", f.should_save},
            {"should_evaluate", f.should_evaluate},
            {"should_log", f.should_log}}},
          {"attributes", json::object()}};
}

TrainerState TrainerState::initial() {
  TrainerState s;
  s.stateful_callbacks = json::object();
  s.epoch_is_int = true;
  s.total_flos_is_int = true;
  return s;
}

void TrainerState::record_log(json logs) {
  SWIFT_ASSERT(logs.is_object());  // the trainer passes a dict of metrics
  logs["epoch"] = epoch;
  logs["step"] = global_step;
  log_history.push_back(std::move(logs));
}

bool TrainerState::update_best_metric(double value, bool greater_is_better) {
  if (!best_metric) best_metric = greater_is_better ? -HUGE_VAL : HUGE_VAL;
  // np.greater / np.less: NaN never wins.
  const bool better = greater_is_better ? value > *best_metric : value < *best_metric;
  if (!better) return false;
  best_metric = value;
  best_global_step = global_step;
  return true;
}

void TrainerState::prepare_save(const std::string& run_dir, const TrainerControlFlags& flags) {
  // `if self.state.best_global_step`: step 0 counts as unset, as in Python.
  if (best_global_step && *best_global_step != 0) {
    const std::string best = fs::join(run_dir, "checkpoint-" + std::to_string(*best_global_step));
    // The checkpoint being saved counts as existing: HF checks after writing the weights into
    // the final folder, ours is still being staged (write_checkpoint_atomically).
    if (*best_global_step == global_step || fs::exists(best)) best_model_checkpoint = best;
  }
  const json control = trainer_control_state(flags);
  if (!stateful_callbacks.is_object()) stateful_callbacks = json::object();
  auto it = stateful_callbacks.find("TrainerControl");
  if (it != stateful_callbacks.end() && it->is_array()) {
    it->push_back(control);
  } else {
    stateful_callbacks["TrainerControl"] = control;
  }
}

std::string TrainerState::to_json() const {
  json j = unknown_fields.is_object() ? unknown_fields : json::object();
  const auto number = [](double v, bool as_int) -> json {
    if (as_int && std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.2e18)
      return static_cast<std::int64_t>(v);
    return v;
  };
  const auto opt_int = [](const std::optional<std::int64_t>& v) -> json {
    return v ? json(*v) : json(nullptr);
  };
  j["epoch"] = number(epoch, epoch_is_int);
  j["global_step"] = global_step;
  j["max_steps"] = max_steps;
  j["logging_steps"] = logging_steps;
  j["eval_steps"] = eval_steps;
  j["save_steps"] = save_steps;
  j["train_batch_size"] = opt_int(train_batch_size);
  j["num_train_epochs"] = num_train_epochs;
  j["num_input_tokens_seen"] = num_input_tokens_seen;
  j["total_flos"] = number(total_flos, total_flos_is_int);
  j["log_history"] = json::array();
  for (const auto& e : log_history) j["log_history"].push_back(e);
  j["best_metric"] = best_metric ? json(*best_metric) : json(nullptr);
  j["best_global_step"] = opt_int(best_global_step);
  j["best_model_checkpoint"] = best_model_checkpoint ? json(*best_model_checkpoint) : json(nullptr);
  j["is_local_process_zero"] = is_local_process_zero;
  j["is_world_process_zero"] = is_world_process_zero;
  j["is_hyper_param_search"] = is_hyper_param_search;
  j["trial_name"] = trial_name ? json(*trial_name) : json(nullptr);
  j["trial_params"] = trial_params;
  j["stateful_callbacks"] = stateful_callbacks;
  return python_json_dumps(j, 2) + "\n";
}

void TrainerState::write(const std::string& path) const {
  fs::write_file_atomic(path, to_json());
}

namespace {

// Field readers: each names the file and the field in its error.
struct Fields {
  const json& j;
  const std::string& what;

  const json* get(const char* name) const {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  }
  [[noreturn]] void bad(const char* name, const char* want) const {
    SWIFT_FAIL(
        "[train] {}: field \"{}\" should be {}, not {}; the file is damaged or not a "
        "trainer_state.json",
        what, name, want, get(name)->dump());
  }
  void integer(const char* name, std::int64_t* out) const {
    const json* v = get(name);
    if (!v) return;
    if (!v->is_number_integer()) bad(name, "an integer");
    *out = v->get<std::int64_t>();
  }
  void opt_integer(const char* name, std::optional<std::int64_t>* out) const {
    const json* v = get(name);
    if (!v || v->is_null()) return;
    if (!v->is_number_integer()) bad(name, "an integer or null");
    *out = v->get<std::int64_t>();
  }
  void number(const char* name, double* out, bool* is_int) const {
    const json* v = get(name);
    if (!v) return;
    if (!v->is_number()) bad(name, "a number");
    *out = v->get<double>();
    if (is_int) *is_int = v->is_number_integer();
  }
  void opt_number(const char* name, std::optional<double>* out) const {
    const json* v = get(name);
    if (!v || v->is_null()) return;
    if (!v->is_number()) bad(name, "a number or null");
    *out = v->get<double>();
  }
  void boolean(const char* name, bool* out) const {
    const json* v = get(name);
    if (!v) return;
    if (!v->is_boolean()) bad(name, "true or false");
    *out = v->get<bool>();
  }
  void opt_string(const char* name, std::optional<std::string>* out) const {
    const json* v = get(name);
    if (!v || v->is_null()) return;
    if (!v->is_string()) bad(name, "a string or null");
    *out = v->get<std::string>();
  }
};

}  // namespace

TrainerState TrainerState::parse(std::string_view text, const std::string& what) {
  const json j = python_json_loads(text, what);
  SWIFT_CHECK(j.is_object(), "[train] {}: expected a JSON object, found {}", what, j.type_name());
  TrainerState s = initial();
  const Fields f{j, what};
  f.number("epoch", &s.epoch, &s.epoch_is_int);
  f.integer("global_step", &s.global_step);
  f.integer("max_steps", &s.max_steps);
  f.integer("logging_steps", &s.logging_steps);
  f.integer("eval_steps", &s.eval_steps);
  f.integer("save_steps", &s.save_steps);
  f.opt_integer("train_batch_size", &s.train_batch_size);
  f.integer("num_train_epochs", &s.num_train_epochs);
  f.integer("num_input_tokens_seen", &s.num_input_tokens_seen);
  f.number("total_flos", &s.total_flos, &s.total_flos_is_int);
  if (const json* v = f.get("log_history"); v && !v->is_null()) {
    if (!v->is_array()) f.bad("log_history", "a list of objects");
    for (std::size_t i = 0; i < v->size(); ++i) {
      SWIFT_CHECK((*v)[i].is_object(),
                  "[train] {}: field \"log_history\" entry {} should be an object, not {}", what, i,
                  (*v)[i].dump());
      s.log_history.push_back((*v)[i]);
    }
  }
  f.opt_number("best_metric", &s.best_metric);
  f.opt_integer("best_global_step", &s.best_global_step);
  f.opt_string("best_model_checkpoint", &s.best_model_checkpoint);
  f.boolean("is_local_process_zero", &s.is_local_process_zero);
  f.boolean("is_world_process_zero", &s.is_world_process_zero);
  f.boolean("is_hyper_param_search", &s.is_hyper_param_search);
  f.opt_string("trial_name", &s.trial_name);
  if (const json* v = f.get("trial_params")) {
    if (!v->is_null() && !v->is_object()) f.bad("trial_params", "an object or null");
    s.trial_params = *v;
  }
  if (const json* v = f.get("stateful_callbacks"); v && !v->is_null()) {
    if (!v->is_object()) f.bad("stateful_callbacks", "an object");
    s.stateful_callbacks = *v;
  }
  static const char* const kKnown[] = {"epoch",
                                       "global_step",
                                       "max_steps",
                                       "logging_steps",
                                       "eval_steps",
                                       "save_steps",
                                       "train_batch_size",
                                       "num_train_epochs",
                                       "num_input_tokens_seen",
                                       "total_flos",
                                       "log_history",
                                       "best_metric",
                                       "best_global_step",
                                       "best_model_checkpoint",
                                       "is_local_process_zero",
                                       "is_world_process_zero",
                                       "is_hyper_param_search",
                                       "trial_name",
                                       "trial_params",
                                       "stateful_callbacks"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) s.unknown_fields[it.key()] = it.value();
  }
  SWIFT_CHECK(s.global_step >= 0 && s.max_steps >= 0,
              "[train] {}: global_step {} / max_steps {} must not be negative", what, s.global_step,
              s.max_steps);
  return s;
}

TrainerState TrainerState::read(const std::string& path) {
  // A trainer_state.json grows with log_history; 1 GiB bounds a damaged or hostile file.
  const std::string text = fs::read_file(path, 1ull << 30);
  return parse(text, path);
}

}  // namespace swift::train

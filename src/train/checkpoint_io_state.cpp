// Our resumable training state: optimizer moments (safetensors + JSON), scheduler position, RNG
// states and the data cursor, written and read back with every field and tensor validated.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>

#include <mutex>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "io/torch_io.h"
#include "train/checkpoint_io.h"
#include "train/trainer_state.h"

namespace swift::train {

using nlohmann::json;

namespace {

constexpr const char* kOptimizerJson = "optimizer.json";
constexpr const char* kOptimizerTensors = "optimizer.safetensors";
constexpr const char* kSchedulerJson = "scheduler.json";
constexpr const char* kRngJson = "rng_state.json";
constexpr const char* kRngTensors = "rng_state.safetensors";
constexpr const char* kDataCursorJson = "data_cursor.json";
constexpr int kVersion = 1;
constexpr std::uint64_t kMaxJsonBytes = 256ull << 20;

void write_json_file(const std::string& path, const json& j) {
  fs::write_file_atomic(path, python_json_dumps(j, 2) + "\n");
}

// Typed access to one JSON file's fields; every error names the file and the field.
class Doc {
 public:
  Doc(const std::string& path, const char* format) : path_(path) {
    fs::require_file(path, "[train]",
                     "the checkpoint's training state is incomplete; resume from another "
                     "checkpoint or pass --resume_only_model true");
    j_ = python_json_loads(fs::read_file(path, kMaxJsonBytes), path);
    SWIFT_CHECK(j_.is_object(), "[train] {}: expected a JSON object, found {}", path,
                j_.type_name());
    SWIFT_CHECK(string_at(j_, "format") == format,
                "[train] {}: field \"format\" is \"{}\", expected \"{}\"", path,
                string_at(j_, "format"), format);
    const std::int64_t v = int_at(j_, "version");
    SWIFT_CHECK(v == kVersion,
                "[train] {}: version {} is not the {} this build reads; resume with the swift "
                "that wrote it",
                path, v, kVersion);
  }
  const json& root() const { return j_; }
  const std::string& path() const { return path_; }

  const json& at(const json& obj,
                 const std::string& name,
                 json::value_t want,
                 const char* want_text) const {
    auto it = obj.find(name);
    SWIFT_CHECK(it != obj.end(), "[train] {}: field \"{}\" is missing", path_, name);
    const bool ok = want == json::value_t::number_float     ? it->is_number()
                    : want == json::value_t::number_integer ? it->is_number_integer()
                                                            : it->type() == want;
    SWIFT_CHECK(ok, "[train] {}: field \"{}\" should be {}, not {}", path_, name, want_text,
                it->dump());
    return *it;
  }
  std::string string_at(const json& obj, const std::string& name) const {
    return at(obj, name, json::value_t::string, "a string").get<std::string>();
  }
  std::int64_t int_at(const json& obj, const std::string& name, bool non_negative = true) const {
    const json& v = at(obj, name, json::value_t::number_integer, "an integer");
    SWIFT_CHECK(!v.is_number_unsigned() || v.get<std::uint64_t>() <= INT64_MAX,
                "[train] {}: field \"{}\" is too large", path_, name);
    const std::int64_t x = v.get<std::int64_t>();
    SWIFT_CHECK(!non_negative || x >= 0, "[train] {}: field \"{}\" is {}, must be >= 0", path_,
                name, x);
    return x;
  }
  std::vector<double> doubles_at(const json& obj, const std::string& name) const {
    std::vector<double> out;
    for (const auto& v : at(obj, name, json::value_t::array, "a list of numbers")) {
      SWIFT_CHECK(v.is_number(), "[train] {}: field \"{}\" holds {}, not a number", path_, name,
                  v.dump());
      out.push_back(v.get<double>());
    }
    return out;
  }

 private:
  std::string path_;
  json j_;
};

json tensor_meta(const at::Tensor& t) {
  return {{"dtype", io::dtype_name(io::from_scalar_type(t.scalar_type()))},
          {"shape", std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end())}};
}

// The tensor `name` of `file` as `meta` ({"dtype","shape"}) describes it.
const io::TensorInfo& expect_tensor(const io::SafetensorsFile& file,
                                    const std::string& name,
                                    const json& meta,
                                    const Doc& doc) {
  const io::TensorInfo* info = file.find(name);
  SWIFT_CHECK(info, "[train] {}: tensor \"{}\" (listed in {}) is missing", file.path(), name,
              doc.path());
  const std::string dtype = doc.string_at(meta, "dtype");
  SWIFT_CHECK(dtype == io::dtype_name(info->dtype),
              "[train] {}: tensor \"{}\" is {}, but {} says {}", file.path(), name,
              io::dtype_name(info->dtype), doc.path(), dtype);
  std::vector<std::int64_t> shape;
  for (const auto& d : doc.at(meta, "shape", json::value_t::array, "a list of sizes")) {
    SWIFT_CHECK(d.is_number_integer(), "[train] {}: shape of \"{}\" holds {}", doc.path(), name,
                d.dump());
    shape.push_back(d.get<std::int64_t>());
  }
  SWIFT_CHECK(shape == info->shape, "[train] {}: tensor \"{}\" has shape {}, but {} says {}",
              file.path(), name, json(info->shape).dump(), doc.path(), json(shape).dump());
  return *info;
}

void expect_tensor_count(const io::SafetensorsFile& file, std::size_t listed, const Doc& doc) {
  if (file.tensors().size() == listed) return;
  SWIFT_FAIL(
      "[train] {} holds {} tensors but {} lists {}; the two files are not from the same "
      "save",
      file.path(), file.tensors().size(), doc.path(), listed);
}

// ---- optimizer ----

void save_optimizer(const std::string& dir, const OptimizerState& s) {
  json groups = json::array();
  std::set<std::string> grouped;
  for (const auto& g : s.param_groups) {
    SWIFT_CHECK(g.hyperparameters.is_object(),
                "[train] optimizer hyperparameters must be an object");
    for (const auto& p : g.params)
      SWIFT_CHECK(grouped.insert(p).second,
                  "[train] parameter \"{}\" is in two optimizer param groups", p);
    groups.push_back({{"hyperparameters", g.hyperparameters}, {"params", g.params}});
  }
  json state = json::object();
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [name, ps] : s.state) {
    SWIFT_CHECK(grouped.count(name), "[train] optimizer state for \"{}\", which no param group has",
                name);
    json metas = json::object();
    for (const auto& [key, t] : ps.tensors) {
      SWIFT_CHECK(t.defined(), "[train] optimizer state \"{}.{}\" is undefined", name, key);
      metas[key] = tensor_meta(t);
      tensors.emplace_back(name + "." + key, t);
    }
    state[name] = {{"step", ps.step}, {"tensors", metas}};
  }
  io::save_tensors(fs::join(dir, kOptimizerTensors), tensors,
                   {{"format", "swift.cpp optimizer state"}});
  write_json_file(fs::join(dir, kOptimizerJson), {{"format", "swift.cpp optimizer"},
                                                  {"version", kVersion},
                                                  {"optimizer", s.optimizer},
                                                  {"step", s.step},
                                                  {"param_groups", groups},
                                                  {"state", state}});
}

// Reads optimizer.json and checks optimizer.safetensors against it; the tensors' data is read
// only with `load`.
OptimizerState read_optimizer(const std::string& dir, bool load) {
  const Doc doc(fs::join(dir, kOptimizerJson), "swift.cpp optimizer");
  const io::SafetensorsFile file(fs::join(dir, kOptimizerTensors));
  OptimizerState s;
  s.optimizer = doc.string_at(doc.root(), "optimizer");
  s.step = doc.int_at(doc.root(), "step");
  std::set<std::string> grouped;
  for (const auto& g : doc.at(doc.root(), "param_groups", json::value_t::array, "a list")) {
    SWIFT_CHECK(g.is_object(), "[train] {}: a param group is {}, not an object", doc.path(),
                g.dump());
    OptimizerParamGroup group;
    group.hyperparameters = doc.at(g, "hyperparameters", json::value_t::object, "an object");
    for (const auto& p : doc.at(g, "params", json::value_t::array, "a list of names")) {
      SWIFT_CHECK(p.is_string(), "[train] {}: param name {} is not a string", doc.path(), p.dump());
      SWIFT_CHECK(grouped.insert(p.get<std::string>()).second,
                  "[train] {}: parameter \"{}\" is in two param groups", doc.path(),
                  p.get<std::string>());
      group.params.push_back(p);
    }
    s.param_groups.push_back(std::move(group));
  }
  std::size_t listed = 0;
  const json& state = doc.at(doc.root(), "state", json::value_t::object, "an object");
  for (auto it = state.begin(); it != state.end(); ++it) {
    SWIFT_CHECK(grouped.count(it.key()), "[train] {}: state for \"{}\", which is in no param group",
                doc.path(), it.key());
    SWIFT_CHECK(it->is_object(), "[train] {}: state of \"{}\" is not an object", doc.path(),
                it.key());
    OptimizerParamState ps;
    ps.step = doc.int_at(*it, "step");
    const json& metas = doc.at(*it, "tensors", json::value_t::object, "an object");
    for (auto m = metas.begin(); m != metas.end(); ++m) {
      const std::string name = it.key() + "." + m.key();
      const io::TensorInfo& info = expect_tensor(file, name, *m, doc);
      ++listed;
      if (load) ps.tensors[m.key()] = io::to_tensor(file, info);
    }
    s.state[it.key()] = std::move(ps);
  }
  expect_tensor_count(file, listed, doc);
  return s;
}

// ---- scheduler ----

void save_scheduler(const std::string& dir, const SchedulerState& s) {
  SWIFT_CHECK(s.params.is_object(), "[train] scheduler params must be an object");
  write_json_file(fs::join(dir, kSchedulerJson), {{"format", "swift.cpp scheduler"},
                                                  {"version", kVersion},
                                                  {"type", s.type},
                                                  {"step", s.step},
                                                  {"base_lrs", s.base_lrs},
                                                  {"last_lrs", s.last_lrs},
                                                  {"params", s.params}});
}

SchedulerState read_scheduler(const std::string& dir) {
  const Doc doc(fs::join(dir, kSchedulerJson), "swift.cpp scheduler");
  SchedulerState s;
  s.type = doc.string_at(doc.root(), "type");
  s.step = doc.int_at(doc.root(), "step");
  s.base_lrs = doc.doubles_at(doc.root(), "base_lrs");
  s.last_lrs = doc.doubles_at(doc.root(), "last_lrs");
  s.params = doc.at(doc.root(), "params", json::value_t::object, "an object");
  return s;
}

// ---- RNG ----

void save_rng(const std::string& dir, const RngState& s) {
  SWIFT_CHECK(s.cpu.defined(),
              "[train] the CPU generator state is missing; use "
              "capture_rng_state()");
  std::vector<std::pair<std::string, at::Tensor>> tensors{{"cpu", s.cpu}};
  for (std::size_t i = 0; i < s.cuda.size(); ++i)
    tensors.emplace_back("cuda." + std::to_string(i), s.cuda[i]);
  io::save_tensors(fs::join(dir, kRngTensors), tensors, {{"format", "swift.cpp rng state"}});
  json meta = json::object();
  for (const auto& [name, t] : tensors) meta[name] = tensor_meta(t);
  write_json_file(fs::join(dir, kRngJson), {{"format", "swift.cpp rng"},
                                            {"version", kVersion},
                                            {"cuda_devices", s.cuda.size()},
                                            {"tensors", meta},
                                            {"seeds", s.seeds},
                                            {"engines", s.engines}});
}

RngState read_rng(const std::string& dir, bool load) {
  const Doc doc(fs::join(dir, kRngJson), "swift.cpp rng");
  const io::SafetensorsFile file(fs::join(dir, kRngTensors));
  RngState s;
  const std::int64_t n_cuda = doc.int_at(doc.root(), "cuda_devices");
  const json& metas = doc.at(doc.root(), "tensors", json::value_t::object, "an object");
  SWIFT_CHECK(static_cast<std::int64_t>(metas.size()) == n_cuda + 1,
              "[train] {}: lists {} generator states for 1 CPU + {} CUDA devices", doc.path(),
              metas.size(), n_cuda);
  for (std::int64_t i = -1; i < n_cuda; ++i) {
    const std::string name = i < 0 ? "cpu" : "cuda." + std::to_string(i);
    SWIFT_CHECK(metas.contains(name), "[train] {}: no entry for generator \"{}\"", doc.path(),
                name);
    const io::TensorInfo& info = expect_tensor(file, name, metas[name], doc);
    SWIFT_CHECK(info.dtype == io::DType::kU8 && info.shape.size() == 1,
                "[train] {}: generator state \"{}\" must be a 1-D U8 tensor", file.path(), name);
    if (!load) continue;
    at::Tensor t = io::to_tensor(file, info);
    if (i < 0)
      s.cpu = t;
    else
      s.cuda.push_back(t);
  }
  expect_tensor_count(file, metas.size(), doc);
  for (const auto& [field, target] :
       {std::pair<const char*, int>{"seeds", 0}, std::pair<const char*, int>{"engines", 1}}) {
    const json& obj = doc.at(doc.root(), field, json::value_t::object, "an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (target == 0) {
        SWIFT_CHECK(it->is_number_unsigned() || (it->is_number_integer() && *it >= 0),
                    "[train] {}: seed \"{}\" is {}, not an unsigned integer", doc.path(), it.key(),
                    it->dump());
        s.seeds[it.key()] = it->get<std::uint64_t>();
      } else {
        SWIFT_CHECK(it->is_string(), "[train] {}: engine \"{}\" state is not a string", doc.path(),
                    it.key());
        std::mt19937_64 probe;
        restore_engine(it->get<std::string>(), &probe, doc.path() + " engine " + it.key());
        s.engines[it.key()] = it->get<std::string>();
      }
    }
  }
  return s;
}

// ---- data cursor ----

void save_cursor(const std::string& dir, const DataCursor& c) {
  SWIFT_CHECK(c.epoch >= 0 && c.batch_in_epoch >= 0 && c.consumed_samples >= 0,
              "[train] data cursor must not be negative (epoch {}, batch {}, samples {})", c.epoch,
              c.batch_in_epoch, c.consumed_samples);
  SWIFT_CHECK(c.extra.is_object(), "[train] data cursor extra must be an object");
  write_json_file(fs::join(dir, kDataCursorJson), {{"format", "swift.cpp data cursor"},
                                                   {"version", kVersion},
                                                   {"epoch", c.epoch},
                                                   {"batch_in_epoch", c.batch_in_epoch},
                                                   {"consumed_samples", c.consumed_samples},
                                                   {"extra", c.extra}});
}

DataCursor read_cursor(const std::string& dir) {
  const Doc doc(fs::join(dir, kDataCursorJson), "swift.cpp data cursor");
  DataCursor c;
  c.epoch = doc.int_at(doc.root(), "epoch");
  c.batch_in_epoch = doc.int_at(doc.root(), "batch_in_epoch");
  c.consumed_samples = doc.int_at(doc.root(), "consumed_samples");
  c.extra = doc.at(doc.root(), "extra", json::value_t::object, "an object");
  return c;
}

void check_cross(const TrainingState& s, const std::string& dir) {
  if (s.scheduler.base_lrs.empty() || s.optimizer.param_groups.empty()) return;
  SWIFT_CHECK(s.scheduler.base_lrs.size() == s.optimizer.param_groups.size(),
              "[train] {}: scheduler.json has {} base_lrs but optimizer.json {} param groups; "
              "the files are not from the same save",
              dir, s.scheduler.base_lrs.size(), s.optimizer.param_groups.size());
}

}  // namespace

void check_optimizer_matches(const OptimizerState& state,
                             const std::vector<std::pair<std::string, at::Tensor>>& params,
                             const std::string& where) {
  std::vector<std::string> names;
  for (const auto& g : state.param_groups)
    names.insert(names.end(), g.params.begin(), g.params.end());
  std::set<std::string> have;
  for (const auto& [name, t] : params) have.insert(name);
  for (const auto& n : names)
    SWIFT_CHECK(have.count(n),
                "[train] {}: the optimizer state has parameter \"{}\", which this model does not "
                "train; resume with the same model, --tuner_type and --target_modules, or pass "
                "--resume_only_model true",
                where, n);
  SWIFT_CHECK(names.size() == params.size(),
              "[train] {}: the optimizer state has {} parameters, this model trains {}; resume "
              "with the same settings, or pass --resume_only_model true",
              where, names.size(), params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    SWIFT_CHECK(names[i] == params[i].first,
                "[train] {}: parameter {} is \"{}\" in the optimizer state but \"{}\" here; the "
                "parameter order changed",
                where, i, names[i], params[i].first);
    auto it = state.state.find(names[i]);
    if (it == state.state.end()) continue;
    const at::Tensor& p = params[i].second;
    for (const auto& [key, t] : it->second.tensors) {
      SWIFT_CHECK(t.defined() && t.sizes() == p.sizes(),
                  "[train] {}: optimizer \"{}\" of \"{}\" has shape {}, the parameter {}", where,
                  key, names[i], t.defined() ? json(t.sizes().vec()).dump() : "undefined",
                  json(p.sizes().vec()).dump());
      SWIFT_CHECK(at::isFloatingType(t.scalar_type()),
                  "[train] {}: optimizer \"{}\" of \"{}\" is not floating point", where, key,
                  names[i]);
    }
  }
}

RngState capture_rng_state() {
  RngState s;
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    s.cpu = gen.get_state().clone();
  }
  if (at::globalContext().hasCUDA()) {
    const int n = static_cast<int>(at::detail::getCUDAHooks().getNumGPUs());
    for (int i = 0; i < n; ++i) {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, i));
      std::lock_guard<std::mutex> lock(gen.mutex());
      s.cuda.push_back(gen.get_state().clone());
    }
  }
  return s;
}

void restore_rng_state(const RngState& s) {
  SWIFT_CHECK(s.cpu.defined(), "[train] no CPU generator state to restore");
  try {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(s.cpu);
  } catch (const c10::Error& e) {
    SWIFT_FAIL("[train] the saved CPU generator state ({} bytes) does not fit this libtorch: {}",
               s.cpu.numel(), e.what_without_backtrace());
  }
  if (s.cuda.empty()) return;
  const int n =
      at::globalContext().hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
  SWIFT_CHECK(static_cast<std::size_t>(n) == s.cuda.size(),
              "[train] the checkpoint has generator states for {} CUDA devices, this machine has "
              "{}; resume on the same number of GPUs",
              s.cuda.size(), n);
  for (int i = 0; i < n; ++i) {
    try {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::kCUDA, i));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(s.cuda[static_cast<std::size_t>(i)]);
    } catch (const c10::Error& e) {
      SWIFT_FAIL("[train] the saved generator state of cuda:{} does not fit: {}", i,
                 e.what_without_backtrace());
    }
  }
}

std::string engine_state(const std::mt19937_64& engine) {
  std::ostringstream os;
  os << engine;
  return os.str();
}

void restore_engine(const std::string& text, std::mt19937_64* engine, const std::string& name) {
  std::istringstream is(text);
  std::mt19937_64 e;
  is >> e;
  SWIFT_CHECK(!is.fail(), "[train] {}: not a std::mt19937_64 state", name);
  is >> std::ws;
  SWIFT_CHECK(is.eof(), "[train] {}: trailing text after the std::mt19937_64 state", name);
  *engine = e;
}

void save_training_state(const std::string& dir, const TrainingState& s) {
  save_optimizer(dir, s.optimizer);
  save_scheduler(dir, s.scheduler);
  save_rng(dir, s.rng);
  save_cursor(dir, s.data);
}

TrainingState load_training_state(const std::string& dir) {
  TrainingState s;
  s.optimizer = read_optimizer(dir, true);
  s.scheduler = read_scheduler(dir);
  s.rng = read_rng(dir, true);
  s.data = read_cursor(dir);
  check_cross(s, dir);
  return s;
}

void check_training_state_files(const std::string& dir) {
  TrainingState s;
  s.optimizer = read_optimizer(dir, false);
  s.scheduler = read_scheduler(dir);
  s.rng = read_rng(dir, false);
  s.data = read_cursor(dir);
  check_cross(s, dir);
}

bool has_training_state(const std::string& dir) {
  for (const char* f :
       {kOptimizerJson, kOptimizerTensors, kSchedulerJson, kRngJson, kRngTensors, kDataCursorJson})
    if (fs::exists(fs::join(dir, f))) return true;
  return false;
}

}  // namespace swift::train

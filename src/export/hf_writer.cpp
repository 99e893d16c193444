// Hugging Face folder writing shared by merge and the random default model (see hf_writer.h).
#include "export/hf_writer.h"

#include <torch/torch.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/torch_io.h"
#include "model/causal_lm.h"

namespace swift::exporter {
namespace stdfs = std::filesystem;

std::uint64_t parse_file_size(const std::string& text) {
  const std::string s = str::trim(text);
  std::size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  SWIFT_CHECK(digits > 0 && digits <= 15,
              "[export] max_shard_size '{}' is not a size; use e.g. 5GB, 500MB, 2GiB or a byte "
              "count",
              text);
  const std::uint64_t n = std::stoull(s.substr(0, digits));
  const std::string unit = s.substr(digits);
  const std::string up = str::lower(unit);
  // Decimal units as transformers' convert_file_size_to_int; a lowercase trailing 'b' means bits.
  static const std::map<std::string, std::uint64_t> kUnits = {{"", 1},
                                                              {"b", 1},
                                                              {"kib", 1ull << 10},
                                                              {"mib", 1ull << 20},
                                                              {"gib", 1ull << 30},
                                                              {"kb", 1000ull},
                                                              {"mb", 1000000ull},
                                                              {"gb", 1000000000ull}};
  auto it = kUnits.find(up);
  SWIFT_CHECK(it != kUnits.end(),
              "[export] max_shard_size '{}' has an unknown unit '{}'; use B, KB, MB, GB, KiB, MiB "
              "or GiB",
              text, unit);
  SWIFT_CHECK(n <= (std::uint64_t{1} << 50) / it->second * 1024,
              "[export] max_shard_size '{}' is too large", text);
  std::uint64_t bytes = n * it->second;
  const bool bits = unit.size() == 2 && unit[1] == 'b' && up != "b";
  if (bits) bytes /= 8;
  SWIFT_CHECK(bytes > 0, "[export] max_shard_size '{}' must be positive", text);
  return bytes;
}

std::vector<std::string> write_weights(
    const std::string& dir,
    const std::vector<std::pair<std::string, at::Tensor>>& tensors,
    std::uint64_t max_shard_bytes) {
  // Group into shards in order; a tensor above the limit gets a shard of its own.
  std::vector<std::vector<std::size_t>> shards;
  std::uint64_t current = 0, total = 0, total_params = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto bytes = static_cast<std::uint64_t>(tensors[i].second.nbytes());
    total += bytes;
    total_params += static_cast<std::uint64_t>(tensors[i].second.numel());
    if (shards.empty() || (current > 0 && current + bytes > max_shard_bytes)) {
      shards.emplace_back();
      current = 0;
    }
    shards.back().push_back(i);
    current += bytes;
  }
  const std::map<std::string, std::string> meta = {{"format", "pt"}};
  auto subset = [&](const std::vector<std::size_t>& idx) {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (auto i : idx) out.push_back(tensors[i]);
    return out;
  };
  if (shards.size() <= 1) {
    io::save_tensors(
        fs::join(dir, "model.safetensors"),
        shards.empty() ? std::vector<std::pair<std::string, at::Tensor>>{} : subset(shards[0]),
        meta);
    return {"model.safetensors"};
  }
  std::vector<std::string> files;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  for (std::size_t s = 0; s < shards.size(); ++s) {
    const std::string name =
        fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards.size());
    io::save_tensors(fs::join(dir, name), subset(shards[s]), meta);
    for (auto i : shards[s]) weight_map[tensors[i].first] = name;
    files.push_back(name);
  }
  nlohmann::ordered_json index;
  index["metadata"] = {{"total_parameters", total_params}, {"total_size", total}};
  index["weight_map"] = weight_map;
  fs::write_file_atomic(fs::join(dir, "model.safetensors.index.json"), index.dump(2) + "\n");
  files.push_back("model.safetensors.index.json");
  return files;
}

std::vector<std::pair<std::string, at::Tensor>> checkpoint_tensors(
    const model::CausalLM& model, const std::set<std::string>* base_names) {
  const auto& spec = model.spec();
  const auto& params = model.parameters();
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& ps : model.expected_parameters()) {
    const at::Tensor& t = params.at(ps.name);
    if (base_names && base_names->count(ps.name)) {
      out.emplace_back(ps.name, t);
      continue;
    }
    // Per-expert linears, as the original checkpoints of these MoE families store them
    // (transformers fuses them on load and splits them again on save).
    const bool gate_up = str::ends_with(ps.name, "mlp.experts.gate_up_proj");
    const bool down = str::ends_with(ps.name, "mlp.experts.down_proj");
    if ((gate_up || down) && spec.expert_layout == model::ExpertLayout::kGateUpRows &&
        t.dim() == 3) {
      const std::string base =
          ps.name.substr(0, ps.name.rfind("mlp.experts.")) + spec.ckpt_moe_module + ".experts.";
      const std::int64_t inter = gate_up ? t.size(1) / 2 : 0;
      for (std::int64_t e = 0; e < t.size(0); ++e) {
        const std::string pe = base + std::to_string(e) + ".";
        if (gate_up) {
          out.emplace_back(pe + spec.ckpt_gate + ".weight", t[e].narrow(0, 0, inter));    // [I, H]
          out.emplace_back(pe + spec.ckpt_up + ".weight", t[e].narrow(0, inter, inter));  // [I, H]
        } else {
          out.emplace_back(pe + spec.ckpt_down + ".weight", t[e]);  // [H, I]
        }
      }
      continue;
    }
    auto pos = ps.name.find(".mlp.");
    if (spec.ckpt_moe_module != "mlp" && pos != std::string::npos) {
      std::string renamed =
          ps.name.substr(0, pos) + "." + spec.ckpt_moe_module + "." + ps.name.substr(pos + 5);
      if (!base_names || base_names->count(renamed)) {
        out.emplace_back(renamed, t);
        continue;
      }
    }
    out.emplace_back(ps.name, t);
  }
  return out;
}

at::ScalarType parse_torch_dtype(const std::string& name) {
  std::string s = str::lower(name);
  if (str::starts_with(s, "torch.")) s = s.substr(6);
  if (s == "float32" || s == "fp32" || s == "float") return torch::kFloat32;
  if (s == "bfloat16" || s == "bf16") return torch::kBFloat16;
  if (s == "float16" || s == "fp16" || s == "half") return torch::kFloat16;
  SWIFT_FAIL("[export] unknown torch_dtype '{}'; use float32, bfloat16 or float16", name);
}

std::string torch_dtype_name(at::ScalarType t) {
  if (t == torch::kBFloat16) return "bfloat16";
  if (t == torch::kFloat16) return "float16";
  if (t == torch::kFloat32) return "float32";
  SWIFT_FAIL("[export] dtype {} is not a model weight dtype", c10::toString(t));
}

const std::vector<std::string>& tokenizer_files() {
  static const std::vector<std::string> files = {"tokenizer.json",
                                                 "tokenizer_config.json",
                                                 "special_tokens_map.json",
                                                 "added_tokens.json",
                                                 "vocab.json",
                                                 "merges.txt",
                                                 "vocab.txt",
                                                 "tokenizer.model",
                                                 "spiece.model",
                                                 "chat_template.jinja",
                                                 "chat_template.json"};
  return files;
}

bool copy_if_exists(const std::string& from_dir,
                    const std::string& to_dir,
                    const std::string& name) {
  const std::string src = fs::join(from_dir, name);
  if (!fs::is_file(src)) return false;
  fs::write_file_atomic(fs::join(to_dir, name), fs::read_file(src));
  return true;
}

int copy_tokenizer_files(const std::string& from, const std::string& to) {
  int n = 0;
  for (const auto& f : tokenizer_files()) n += copy_if_exists(from, to, f) ? 1 : 0;
  return n;
}

void write_json(const std::string& path, const nlohmann::json& j) {
  fs::write_file_atomic(path, j.dump(2) + "\n");
}

void write_json(const std::string& path, const nlohmann::ordered_json& j) {
  fs::write_file_atomic(path, j.dump(2) + "\n");
}

namespace {

std::string sibling(const std::string& final_dir, const char* tag) {
  static std::atomic<int> counter{0};
  stdfs::path p = stdfs::absolute(final_dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return (p.parent_path() / ("." + p.filename().string() + "." + tag + "-" +
                             std::to_string(::getpid()) + "-" + std::to_string(counter++)))
      .string();
}

std::string normal_dir(const std::string& dir) {
  stdfs::path p = stdfs::weakly_canonical(stdfs::absolute(dir));
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Staging folders of earlier runs that died (kill -9, power loss) are named
// ".<name>.tmp-<pid>-<n>"; remove those whose process is gone. A live pid is left alone: it may
// be another run writing the same output right now.
void remove_stale_siblings(const std::string& final_dir) {
  const stdfs::path p(final_dir);
  const std::string prefix = "." + p.filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(p.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (!str::starts_with(name, prefix)) continue;
    const std::string rest = name.substr(prefix.size());
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash > 9) continue;
    if (rest.find_first_not_of("0123456789-") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (!e.is_directory(ec) || e.is_symlink(ec)) continue;
    SWIFT_INFO("[export] removing {} left by an earlier run that was stopped (pid {})",
               e.path().string(), pid);
    stdfs::remove_all(e.path(), ec);
  }
}

// Files of the kinds we write into an output folder. With --exist_ok an existing folder keeps
// everything else; of these, the ones the new output does not contain are removed, so no stale
// shard or index from an earlier export can mix with the new weights.
bool is_weight_file(const std::string& name) {
  if (name == "model.safetensors" || name == "model.safetensors.index.json") return true;
  // model-00001-of-00003.safetensors
  return str::starts_with(name, "model-") && str::ends_with(name, ".safetensors") &&
         name.find("-of-") != std::string::npos;
}

}  // namespace

StagedDir::StagedDir(const std::string& final_dir, bool replace)
    : final_(normal_dir(final_dir)), replace_(replace) {
  SWIFT_CHECK(!final_.empty() && final_ != "/", "[export] refusing to write to '{}'", final_dir);
  const stdfs::path parent = stdfs::path(final_).parent_path();
  std::error_code ec;
  stdfs::create_directories(parent, ec);
  SWIFT_CHECK(!ec, "[export] cannot create {}: {}; check the path and permissions", parent.string(),
              ec.message());
  remove_stale_siblings(final_);
  tmp_ = sibling(final_, "tmp");
  stdfs::create_directory(tmp_, ec);
  SWIFT_CHECK(!ec, "[export] cannot create {}: {}; check the path and permissions", tmp_,
              ec.message());
}

StagedDir::~StagedDir() {
  if (committed_) return;
  std::error_code ec;
  stdfs::remove_all(tmp_, ec);  // best effort: nothing is left that a later run would trust
}

void StagedDir::commit() {
  SWIFT_ASSERT(!committed_);  // a staged folder is moved into place once
  fs::fsync_dir(tmp_);
  std::error_code ec;
  if (!stdfs::exists(final_)) {
    stdfs::rename(tmp_, final_, ec);
    SWIFT_CHECK(!ec, "[export] cannot rename {} to {}: {}", tmp_, final_, ec.message());
    committed_ = true;
    fs::fsync_dir(stdfs::path(final_).parent_path().string());
    return;
  }
  SWIFT_CHECK(replace_, "[export] {} appeared while writing; pass --exist_ok true to replace it",
              final_);
  SWIFT_CHECK(stdfs::is_directory(final_), "[export] {} exists and is not a folder", final_);
  // Write into the existing folder as ms-swift does: each of our files replaces its namesake by
  // rename (atomic per file); nothing else in the folder is touched. Stale weight files go
  // first, weights move before the index, config.json last, so a reader never pairs a new
  // index with old shards.
  std::vector<std::string> ours;
  for (const auto& e : stdfs::directory_iterator(tmp_)) ours.push_back(e.path().filename());
  auto rank = [](const std::string& n) {
    if (n == "config.json") return 3;
    if (n == "model.safetensors.index.json") return 2;
    return is_weight_file(n) ? 0 : 1;
  };
  std::sort(ours.begin(), ours.end(), [&](const std::string& a, const std::string& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  for (const auto& e : stdfs::directory_iterator(final_)) {
    const std::string name = e.path().filename();
    if (is_weight_file(name) && std::find(ours.begin(), ours.end(), name) == ours.end() &&
        !e.is_directory(ec))
      stdfs::remove(e.path(), ec);
  }
  for (const auto& name : ours) {
    const stdfs::path to = stdfs::path(final_) / name;
    SWIFT_CHECK(!stdfs::is_directory(to) || stdfs::is_directory(stdfs::path(tmp_) / name),
                "[export] {} is a folder in the way of the file {}; move it and run again",
                to.string(), name);
    if (stdfs::is_directory(to)) stdfs::remove_all(to, ec);
    stdfs::rename(stdfs::path(tmp_) / name, to, ec);
    SWIFT_CHECK(!ec, "[export] cannot move {} into {}: {}", name, final_, ec.message());
  }
  committed_ = true;
  fs::fsync_dir(final_);
  stdfs::remove_all(tmp_, ec);
}

void check_output_dir(const std::string& output_dir,
                      bool exist_ok,
                      const std::vector<std::string>& sources) {
  const std::string out = normal_dir(output_dir);
  for (const auto& src : sources) {
    if (src.empty()) continue;
    const std::string s = normal_dir(src);
    const bool same_or_parent = s == out || str::starts_with(s, out + "/");
    SWIFT_CHECK(!same_or_parent,
                "[export] output_dir {} would replace the input folder {}; choose another "
                "--output_dir",
                output_dir, src);
  }
  if (stdfs::exists(out)) {
    SWIFT_CHECK(exist_ok,
                "[export] output_dir {} already exists; pass --exist_ok true to replace it or "
                "choose another --output_dir",
                output_dir);
    SWIFT_CHECK(stdfs::is_directory(out), "[export] output_dir {} exists and is not a folder",
                output_dir);
  }
}

}  // namespace swift::exporter

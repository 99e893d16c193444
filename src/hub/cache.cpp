// Cache layouts of huggingface_hub and ModelScope: where a model's files live, whether a cached
// copy is complete, and the path checks for names that come from a hub.
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "hub/internal.h"

namespace swift::hub {
namespace stdfs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxIndexBytes = 64u << 20;
const char* const kIndexFiles[] = {"model.safetensors.index.json", "pytorch_model.bin.index.json",
                                   "adapter_model.safetensors.index.json"};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool is_commit_hash(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_weight_file(const std::string& name) {
  if (name == "training_args.bin") return false;
  return str::ends_with(name, ".safetensors") || str::ends_with(name, ".bin");
}

// Every shard named by an index is present; false on an unreadable or malformed index.
bool index_complete(const std::string& dir, const std::string& index_path) {
  try {
    if (fs::file_size(index_path) > kMaxIndexBytes) return false;
    const std::string text = fs::read_file(index_path);
    if (!str::json_nesting_ok(text)) return false;
    auto j = nlohmann::json::parse(text);
    const auto& map = j.at("weight_map");
    if (!map.is_object() || map.empty()) return false;
    for (const auto& [name, file] : map.items()) {
      if (!file.is_string()) return false;
      const auto& f = file.get_ref<const std::string&>();
      if (!detail::is_safe_relative_path(f) || !fs::is_file(fs::join(dir, f))) return false;
    }
    return true;
  } catch (const std::exception& e) {
    SWIFT_DEBUG("[hub] {} is not a usable index: {}", index_path, e.what());
    return false;
  }
}

}  // namespace

std::string default_hf_cache_dir() {
  if (auto v = env("HF_HUB_CACHE"); !v.empty()) return v;
  if (auto v = env("HUGGINGFACE_HUB_CACHE"); !v.empty()) return v;
  if (auto v = env("HF_HOME"); !v.empty()) return fs::join(v, "hub");
  std::string xdg = env("XDG_CACHE_HOME");
  std::string base = xdg.empty() ? fs::join(fs::home_dir(), ".cache") : xdg;
  return fs::join(fs::join(base, "huggingface"), "hub");
}

std::string default_ms_cache_dir() {
  if (auto v = env("MODELSCOPE_CACHE"); !v.empty()) return v;
  return fs::join(fs::home_dir(), ".cache/modelscope/hub");
}

bool is_complete_snapshot(const std::string& dir, bool need_weights) {
  if (!fs::is_dir(dir)) return false;
  if (!fs::is_file(fs::join(dir, "config.json")) &&
      !fs::is_file(fs::join(dir, "adapter_config.json")))
    return false;
  if (!need_weights) return true;
  bool has_index = false;
  for (const char* index : kIndexFiles) {
    std::string p = fs::join(dir, index);
    if (!fs::is_file(p)) continue;
    has_index = true;
    if (!index_complete(dir, p)) return false;
  }
  if (has_index) return true;
  std::error_code ec;
  for (const auto& entry : stdfs::directory_iterator(dir, ec)) {
    // is_regular_file follows the snapshot symlinks into blobs/, so a dangling link fails.
    if (is_weight_file(entry.path().filename().string()) && fs::is_file(entry.path().string()))
      return true;
  }
  return false;
}

namespace detail {

std::string hf_revision(const HubOptions& o) {
  if (!o.revision || o.revision->empty() || *o.revision == "master") return "main";
  return *o.revision;
}

std::string ms_revision(const HubOptions& o) {
  if (!o.revision || o.revision->empty() || *o.revision == "main") return "master";
  return *o.revision;
}

std::string hf_cache_root(const HubOptions& o) {
  return o.hf_cache_dir.empty() ? default_hf_cache_dir() : o.hf_cache_dir;
}

std::string ms_cache_root(const HubOptions& o) {
  return o.ms_cache_dir.empty() ? default_ms_cache_dir() : o.ms_cache_dir;
}

std::string hf_repo_folder(const std::string& root,
                           const std::string& id,
                           const std::string& kind) {
  std::string name = kind;
  for (const auto& part : str::split(id, '/')) name += "--" + part;
  return fs::join(root, name);
}

std::optional<std::string> find_hf_cached(const std::string& root,
                                          const std::string& id,
                                          const std::string& revision,
                                          bool need_weights,
                                          const std::string& subfolder) {
  std::string repo = hf_repo_folder(root, id);
  if (!fs::is_dir(repo)) return std::nullopt;
  std::string commit;
  if (is_commit_hash(revision) && fs::is_dir(fs::join(repo, "snapshots/" + revision))) {
    commit = revision;
  } else {
    if (!is_safe_relative_path(revision)) return std::nullopt;
    std::string ref = fs::join(repo, "refs/" + revision);
    if (!fs::is_file(ref) || fs::file_size(ref) > 256) return std::nullopt;
    commit = str::trim(fs::read_file(ref));
    if (!is_commit_hash(commit)) return std::nullopt;
  }
  std::string snap = fs::join(repo, "snapshots/" + commit);
  if (!is_complete_snapshot(fs::join(snap, subfolder), need_weights)) return std::nullopt;
  return snap;
}

std::string ms_model_dir(const std::string& root, const std::string& id) {
  auto parts = str::split(id, '/');
  SWIFT_ASSERT(parts.size() == 2);  // validate_model_id ran first
  std::string name;
  for (char c : parts[1]) name += c == '.' ? std::string("___") : std::string(1, c);
  return fs::join(fs::join(fs::join(root, "models"), parts[0]), name);
}

std::optional<std::string> find_ms_cached(const std::string& root,
                                          const std::string& id,
                                          const std::string& revision,
                                          bool need_weights,
                                          const std::string& subfolder) {
  auto parts = str::split(id, '/');
  std::vector<std::string> candidates = {ms_model_dir(root, id)};
  // modelscope_hub (2026+) keeps per-revision snapshots under org--name; its default root is the
  // parent of the legacy ".../hub" root.
  std::string flat = "models/" + parts[0] + "--" + parts[1] + "/snapshots/" + revision;
  candidates.push_back(fs::join(root, flat));
  if (stdfs::path(root).filename() == "hub")
    candidates.push_back(fs::join(stdfs::path(root).parent_path().string(), flat));
  for (const auto& c : candidates) {
    if (is_complete_snapshot(fs::join(c, subfolder), need_weights)) return c;
  }
  return std::nullopt;
}

bool is_safe_relative_path(const std::string& p) {
  if (p.empty() || p.size() > 4096 || p.front() == '/') return false;
  if (p.find('\0') != std::string::npos || p.find('\\') != std::string::npos) return false;
  for (const auto& part : str::split(p, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

bool wanted_file(const std::string& path, const HubOptions& o, const std::string& subfolder) {
  if (!subfolder.empty() && !str::starts_with(path, subfolder + "/")) return false;
  if (matches_any(path, o.ignore_patterns)) return false;
  return o.download_weights || !matches_any(path, {"*.bin", "*.safetensors"});
}

bool matches_any(const std::string& path, const std::vector<std::string>& globs) {
  for (const auto& g : globs) {
    // Python's fnmatch (used by the hub libraries) lets '*' cross '/': no FNM_PATHNAME.
    if (::fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

FileLock::FileLock(const std::string& path) {
  std::error_code ec;
  stdfs::create_directories(stdfs::path(path).parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  SWIFT_CHECK(fd_ >= 0, "[hub] cannot create lock file {}: {}; check that the cache is writable",
              path, std::strerror(errno));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd_);
    SWIFT_FAIL("[hub] cannot lock {}: {}", path, std::strerror(err));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace detail
}  // namespace swift::hub

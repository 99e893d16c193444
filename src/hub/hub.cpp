// resolve_model_dir: local folder, then the caches (no network), then a hub download; plus the
// environment defaults and the id checks that keep a hub id from naming a path outside a cache.
#include "hub/hub.h"

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "hub/internal.h"

namespace swift::hub {
namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kMaxIdPart = 96;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The union of Python's strtobool (ms-swift's USE_HF) and huggingface_hub's _is_true.
bool env_true(const char* name) {
  std::string v = str::lower(str::trim(env(name)));
  return v == "1" || v == "true" || v == "yes" || v == "on" || v == "y" || v == "t";
}

std::string normalize_endpoint(std::string e, const char* what) {
  e = str::trim(e);
  if (!str::starts_with(e, "http://") && !str::starts_with(e, "https://")) e = "https://" + e;
  while (str::ends_with(e, "/")) e.pop_back();
  SWIFT_CHECK(e.size() > 8, "[hub] {} is empty; set it to a URL such as https://host", what);
  return e;
}

std::string hf_token_from_env() {
  if (auto t = str::trim(env("HF_TOKEN")); !t.empty()) return t;
  if (auto t = str::trim(env("HUGGING_FACE_HUB_TOKEN")); !t.empty()) return t;
  std::string path = env("HF_TOKEN_PATH");
  if (path.empty()) {
    std::string home = env("HF_HOME");
    path = home.empty() ? fs::join(fs::home_dir(), ".cache/huggingface/token")
                        : fs::join(home, "token");
  }
  if (fs::is_file(path) && fs::file_size(path) < 4096) return str::trim(fs::read_file(path));
  return "";
}

std::string join_sub(const std::string& root, const std::string& sub) {
  return sub.empty() ? root : fs::join(root, sub);
}

std::string hub_name(bool use_hf) {
  return use_hf ? "Hugging Face" : "ModelScope";
}

}  // namespace

HubOptions hub_options_from_env(bool use_hf_flag, std::optional<std::string> revision) {
  HubOptions o;
  o.revision = std::move(revision);
  o.use_hf = use_hf_flag || env_true("USE_HF");
  o.offline = env_true("HF_HUB_OFFLINE") || env_true("TRANSFORMERS_OFFLINE");
  if (auto e = env("HF_ENDPOINT"); !e.empty()) o.hf_endpoint = normalize_endpoint(e, "HF_ENDPOINT");
  // modelscope_hub reads MODELSCOPE_ENDPOINT; older modelscope a bare MODELSCOPE_DOMAIN.
  if (auto e = env("MODELSCOPE_ENDPOINT"); !e.empty()) {
    o.ms_endpoint = normalize_endpoint(e, "MODELSCOPE_ENDPOINT");
  } else if (auto d = env("MODELSCOPE_DOMAIN"); !d.empty()) {
    o.ms_endpoint = normalize_endpoint(d, "MODELSCOPE_DOMAIN");
  }
  o.token = o.use_hf ? hf_token_from_env() : str::trim(env("MODELSCOPE_API_TOKEN"));
  o.hf_cache_dir = default_hf_cache_dir();
  o.ms_cache_dir = default_ms_cache_dir();
  if (env_true("HF_HUB_DISABLE_PROGRESS_BARS")) o.progress = false;
  return o;
}

void validate_model_id(const std::string& id) {
  auto parts = str::split(id, '/');
  SWIFT_CHECK(parts.size() == 2,
              "[hub] '{}' is neither an existing folder nor a hub id of the form org/name; check "
              "--model",
              id);
  for (const auto& part : parts) {
    SWIFT_CHECK(!part.empty() && part.size() <= kMaxIdPart,
                "[hub] '{}' is not a valid hub id: each of org and name has 1 to {} characters", id,
                kMaxIdPart);
    for (char c : part) {
      bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      SWIFT_CHECK(ok,
                  "[hub] '{}' is not a valid hub id: only letters, digits, '-', '_' and '.' are "
                  "allowed; check --model",
                  id);
    }
    SWIFT_CHECK(part.find("..") == std::string::npos && part.front() != '.',
                "[hub] '{}' is not a valid hub id: '..' and a leading '.' are not allowed", id);
  }
}

std::string model_suffix(const std::string& model) {
  std::string m = model;
  while (m.size() > 1 && m.back() == '/') m.pop_back();
  auto slash = m.rfind('/');
  return slash == std::string::npos ? m : m.substr(slash + 1);
}

std::string resolve_model_dir(const std::string& model, const HubOptions& o) {
  SWIFT_CHECK(!str::trim(model).empty(),
              "[hub] --model is empty; pass a local folder or a hub id such as "
              "Qwen/Qwen2.5-0.5B-Instruct");
  std::string path = model;
  if (path == "~" || str::starts_with(path, "~/")) path = fs::home_dir() + path.substr(1);
  // ms-swift's "org/name:subfolder" names a folder inside a repo (or inside a local folder).
  std::string id = model, subfolder;
  if (auto colon = model.find(':'); colon != std::string::npos && !fs::exists(path)) {
    id = model.substr(0, colon);
    subfolder = model.substr(colon + 1);
    while (str::ends_with(subfolder, "/")) subfolder.pop_back();
    SWIFT_CHECK(detail::is_safe_relative_path(subfolder),
                "[hub] '{}': the subfolder after ':' must be a relative path inside the repo",
                model);
    path = path.substr(0, path.find(':')) + "/" + subfolder;
  }
  if (fs::exists(path)) {
    SWIFT_CHECK(fs::is_dir(path), "[hub] --model {} is a file; pass the folder holding config.json",
                model);
    std::error_code ec;
    auto abs = stdfs::absolute(path, ec);
    return (ec ? stdfs::path(path) : abs).lexically_normal().string();
  }
  SWIFT_CHECK(!str::starts_with(path, "/") && !str::starts_with(path, "./") &&
                  !str::starts_with(path, "../") && path != "~" && !str::starts_with(path, "~/"),
              "[hub] model folder {} does not exist; check --model", model);
  validate_model_id(id);

  const bool need_weights = o.download_weights;
  const std::string hf_root = detail::hf_cache_root(o);
  const std::string ms_root = detail::ms_cache_root(o);
  auto from_hf = [&] {
    return detail::find_hf_cached(hf_root, id, detail::hf_revision(o), need_weights, subfolder);
  };
  auto from_ms = [&] {
    return detail::find_ms_cached(ms_root, id, detail::ms_revision(o), need_weights, subfolder);
  };
  auto hit = o.use_hf ? from_hf() : from_ms();
  // The other hub's cache is a fair answer only when no revision pins one hub's history.
  if (!hit && !o.revision) hit = o.use_hf ? from_ms() : from_hf();
  if (hit) {
    std::string dir = join_sub(*hit, subfolder);
    SWIFT_INFO("[hub] using cached {} at {}", model, dir);
    return dir;
  }
  SWIFT_CHECK(!o.offline,
              "[hub] {} is not cached (looked in {} and {}) and offline mode is on "
              "(HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE); download it first or unset offline mode",
              model, detail::hf_repo_folder(hf_root, id), detail::ms_model_dir(ms_root, id));
  SWIFT_INFO("[hub] downloading {} from {}", model, hub_name(o.use_hf));
  std::string root =
      o.use_hf ? detail::hf_download(id, o, subfolder) : detail::ms_download(id, o, subfolder);
  std::string dir = join_sub(root, subfolder);
  if (!is_complete_snapshot(dir, need_weights)) {
    SWIFT_WARN(
        "[hub] {} was downloaded to {} but holds no config.json with its weights; it may "
        "not be a model repository",
        model, dir);
  }
  return dir;
}

}  // namespace swift::hub

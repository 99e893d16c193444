// DatasetRepo (hub/dataset.h): listing, cache lookups and on-demand verified downloads of
// dataset repositories on both hubs.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "hub/dataset.h"
#include "hub/internal.h"

namespace swift::hub {
namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kMaxFiles = 100000;
constexpr int kMsPageSize = 100;
constexpr int kMaxPages = kMaxFiles / kMsPageSize;

bool env_true(const char* name) {
  const char* v = std::getenv(name);
  std::string s = v ? str::lower(str::trim(v)) : "";
  return s == "1" || s == "true" || s == "yes" || s == "on" || s == "y" || s == "t";
}

bool is_commit(const std::string& s) {
  if (s.size() != 40) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Regular files below `dir` (following the snapshot symlinks), skipping hidden entries and the
// hub libraries' bookkeeping.
std::vector<std::string> list_local(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_dir(dir)) return out;
  auto it = stdfs::recursive_directory_iterator(dir, ec);
  for (auto end = stdfs::recursive_directory_iterator(); !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!fs::is_file(it->path().string())) continue;
    if (out.size() >= kMaxFiles) break;
    out.push_back(it->path().lexically_relative(dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> auth_headers(const HubOptions& o, bool use_hf) {
  std::vector<std::string> h;
  if (o.token.empty()) return h;
  h.push_back("Authorization: Bearer " + o.token);
  if (!use_hf) h.push_back("Cookie: m_session_id=" + o.token);
  return h;
}

// Dataset wording for the statuses that mean "wrong id or no access".
void check_dataset_status(long status,
                          const std::string& body,
                          const std::string& id,
                          const std::string& url,
                          bool use_hf) {
  if (status == 404) {
    SWIFT_FAIL(
        "[hub] dataset {} not found on {} ({}); check --dataset and its revision, or {}", id,
        use_hf ? "Hugging Face" : "ModelScope", url,
        use_hf ? "drop --use_hf to use ModelScope" : "pass --use_hf true to use Hugging Face");
  }
  if (status == 401 || status == 403) {
    SWIFT_FAIL(
        "[hub] dataset {}: access denied by {} (HTTP {} from {}); it may be private or gated: "
        "set {} to a token with access",
        id, use_hf ? "Hugging Face" : "ModelScope", status, url,
        use_hf ? "HF_TOKEN" : "MODELSCOPE_API_TOKEN");
  }
  detail::check_http_status(status, body, id, url, use_hf);
}

}  // namespace

bool datasets_offline_from_env() {
  return env_true("HF_HUB_OFFLINE") || env_true("TRANSFORMERS_OFFLINE") ||
         env_true("HF_DATASETS_OFFLINE");
}

struct DatasetRepo::Impl {
  std::string id;
  bool use_hf = false;
  HubOptions o;
  std::string revision;
  std::string root;      // local folder of the files
  std::string repo_dir;  // HF: datasets--org--name
  std::string commit;    // HF
  std::string staging;   // MS
  std::vector<std::string> files;
  std::map<std::string, std::pair<std::uint64_t, std::string>> meta;  // size, sha256
  bool online = false;
};

DatasetRepo::DatasetRepo(const std::string& id, bool use_hf, const HubOptions& options)
    : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.id = id;
  im.use_hf = use_hf;
  im.o = options;
  im.o.use_hf = use_hf;
  validate_model_id(id);
  const HubOptions& o = im.o;
  auto parts = str::split(id, '/');
  if (use_hf) {
    im.revision = detail::hf_revision(o);
    SWIFT_CHECK(detail::is_safe_relative_path(im.revision) && im.revision.size() <= 256,
                "[hub] dataset revision '{}' is not a valid revision name", im.revision);
    std::string cache = detail::hf_cache_root(o);
    im.repo_dir = detail::hf_repo_folder(cache, id, "datasets");
    if (o.offline) {
      std::string ref = fs::join(im.repo_dir, "refs/" + im.revision);
      if (is_commit(im.revision)) {
        im.commit = im.revision;
      } else if (fs::is_file(ref) && fs::file_size(ref) <= 256) {
        im.commit = str::trim(fs::read_file(ref));
      }
      SWIFT_CHECK(
          is_commit(im.commit) && fs::is_dir(fs::join(im.repo_dir, "snapshots/" + im.commit)),
          "[hub] dataset {} is not cached at {} (revision {}) and offline mode is on "
          "(HF_HUB_OFFLINE / HF_DATASETS_OFFLINE); run once online or unset offline mode",
          id, im.repo_dir, im.revision);
      im.root = fs::join(im.repo_dir, "snapshots/" + im.commit);
      im.files = list_local(im.root);
      return;
    }
    HttpClient http(auth_headers(o, true), url_origin(o.hf_endpoint),
                    RetryPolicy{o.max_retries, o.retry_base_delay_s});
    std::string api = fmt::format("{}/api/datasets/{}/revision/{}?blobs=true", o.hf_endpoint, id,
                                  url_escape(im.revision, false));
    auto res = http.get(api);
    check_dataset_status(res.status, res.body, id, api, true);
    str::check_json_text(res.body, "[hub] dataset " + id + ": the answer of " + api);
    try {
      auto info = nlohmann::json::parse(res.body);
      im.commit = info.at("sha").get<std::string>();
      for (const auto& f : detail::hf_list_files(info, id)) {
        im.files.push_back(f.path);
        im.meta[f.path] = {f.size, f.sha256};
      }
    } catch (const nlohmann::json::exception& e) {
      SWIFT_FAIL("[hub] dataset {}: {} did not return dataset info ({}); check HF_ENDPOINT", id,
                 api, str::json_error_text(e.what()));
    }
    SWIFT_CHECK(is_commit(im.commit), "[hub] dataset {}: {} returned an invalid commit '{}'", id,
                api, im.commit);
    im.root = fs::join(im.repo_dir, "snapshots/" + im.commit);
    if (im.revision != im.commit)
      fs::write_file_atomic(fs::join(im.repo_dir, "refs/" + im.revision), im.commit);
  } else {
    im.revision = detail::ms_revision(o);
    SWIFT_CHECK(detail::is_safe_relative_path(im.revision) && im.revision.size() <= 256,
                "[hub] dataset revision '{}' is not a valid revision name", im.revision);
    std::string cache = detail::ms_cache_root(o);
    im.root = fs::join(cache, "datasets/" + parts[0] + "/" + parts[1]);
    im.staging = fs::join(cache, "datasets/._____temp/" + parts[0] + "/" + parts[1]);
    if (o.offline) {
      im.files = list_local(im.root);
      SWIFT_CHECK(!im.files.empty(),
                  "[hub] dataset {} is not cached at {} and offline mode is on (HF_HUB_OFFLINE / "
                  "HF_DATASETS_OFFLINE); run once online or unset offline mode",
                  id, im.root);
      return;
    }
    HttpClient http(auth_headers(o, false), url_origin(o.ms_endpoint),
                    RetryPolicy{o.max_retries, o.retry_base_delay_s});
    for (int page = 1;; ++page) {
      SWIFT_CHECK(page <= kMaxPages, "[hub] dataset {} lists more than {} files", id, kMaxFiles);
      std::string url = fmt::format(
          "{}/api/v1/datasets/{}/repo/tree?Revision={}&Root=/&Recursive=True&PageNumber={}&"
          "PageSize={}",
          o.ms_endpoint, id, url_escape(im.revision, false), page, kMsPageSize);
      auto res = http.get(url);
      check_dataset_status(res.status, res.body, id, url, false);
      std::size_t entries = 0;
      str::check_json_text(res.body, "[hub] dataset " + id + ": the answer of " + url);
      auto j = nlohmann::json::parse(res.body, nullptr, false);
      if (j.is_object() && j.contains("Code") && j["Code"].is_number_integer() &&
          j["Code"].get<long long>() != 200) {
        long long code = j["Code"].get<long long>();
        if (code == 404 || code == 401 || code == 403)
          check_dataset_status(code, "", id, url, false);
      }
      if (j.is_object() && j.contains("Data") && j["Data"].is_object() &&
          j["Data"].contains("Files") && j["Data"]["Files"].is_array())
        entries = j["Data"]["Files"].size();
      for (const auto& f : detail::ms_parse_file_list(res.body, id, url)) {
        im.files.push_back(f.path);
        im.meta[f.path] = {f.size, f.sha256};
      }
      if (entries < static_cast<std::size_t>(kMsPageSize)) break;
    }
    std::sort(im.files.begin(), im.files.end());
  }
  im.online = true;
  SWIFT_INFO("[hub] {}: {} files at {}", describe(), im.files.size(), im.root);
}

DatasetRepo::~DatasetRepo() = default;

const std::vector<std::string>& DatasetRepo::files() const {
  return impl_->files;
}

std::string DatasetRepo::describe() const {
  return (impl_->use_hf ? "Hugging Face dataset " : "ModelScope dataset ") + impl_->id;
}

std::string DatasetRepo::local_root() const {
  return impl_->root;
}

std::string DatasetRepo::fetch(const std::string& file) {
  Impl& im = *impl_;
  SWIFT_CHECK(detail::is_safe_relative_path(file),
              "[hub] dataset {}: refusing the unsafe file name '{}'", im.id, file);
  std::string local = fs::join(im.root, file);
  if (!im.online) {
    SWIFT_CHECK(fs::is_file(local), "[hub] dataset {}: {} is not cached and offline mode is on",
                im.id, file);
    return local;
  }
  auto m = im.meta.find(file);
  SWIFT_CHECK(m != im.meta.end(), "[hub] dataset {} has no file {}", im.id, file);
  const auto [size, sha] = m->second;
  const HubOptions& o = im.o;
  if (im.use_hf) {
    if (fs::is_file(local)) return local;
    HttpClient http(auth_headers(o, true), url_origin(o.hf_endpoint),
                    RetryPolicy{o.max_retries, o.retry_base_delay_s});
    std::string root = detail::hf_cache_root(o);
    std::string locks = fs::join(fs::join(root, ".locks"), stdfs::path(im.repo_dir).filename());
    detail::SnapshotProgress progress(im.id, size, o.progress, true);
    detail::HfRemoteFile f{file, size, sha};
    detail::hf_fetch_file(http, o, im.id, o.hf_endpoint + "/datasets/" + im.id, im.commit, f,
                          im.repo_dir, locks, progress);
    progress.close();
    return local;
  }
  if (fs::is_file(local) && (size == 0 || fs::file_size(local) == size)) return local;
  HttpClient http(auth_headers(o, false), url_origin(o.ms_endpoint),
                  RetryPolicy{o.max_retries, o.retry_base_delay_s});
  auto parts = str::split(im.id, '/');
  detail::FileLock lock(
      fs::join(detail::ms_cache_root(o), ".lock/datasets___" + parts[0] + "___" + parts[1]));
  if (fs::is_file(local) && (size == 0 || fs::file_size(local) == size)) return local;
  std::string url =
      fmt::format("{}/api/v1/datasets/{}/repo?Source=SDK&Revision={}&FilePath={}", o.ms_endpoint,
                  im.id, url_escape(im.revision, false), url_escape(file, false));
  detail::SnapshotProgress progress(im.id, size, o.progress, true);
  detail::fetch_verified(http, url, fs::join(im.staging, file), local, size, sha, im.id, file, o,
                         progress.file(file, size));
  progress.close();
  return local;
}

}  // namespace swift::hub

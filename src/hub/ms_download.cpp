// ModelScope snapshot download into the cache layout modelscope (<= 1.37) and ms-swift users
// have, which the newer modelscope_hub also reads first:
//   <MODELSCOPE_CACHE or ~/.cache/modelscope/hub>/models/<org>/<name with '.' as '___'>/<files>
// Files arrive in <root>/._____temp/<org>/<name>/ (modelscope's staging folder) and move into
// the model folder only after their size and Sha256 check out.
#include <atomic>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"
#include "hub/internal.h"

namespace swift::hub::detail {
namespace stdfs = std::filesystem;

namespace {

constexpr std::size_t kMaxFiles = 100000;

}  // namespace

std::vector<MsRemoteFile> ms_parse_file_list(const std::string& body,
                                             const std::string& id,
                                             const std::string& url) {
  nlohmann::json j;
  str::check_json_text(body, "[hub] " + id + ": the answer of " + url);
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    SWIFT_FAIL("[hub] {}: {} did not return JSON ({}); check MODELSCOPE_ENDPOINT", id, url,
               str::json_error_text(e.what()));
  }
  // The API may wrap a failure in a 200 response: {"Code": 10010205001, "Message": ...}.
  if (j.contains("Code") && j["Code"].is_number_integer() && j["Code"].get<long long>() != 200) {
    long long code = j["Code"].get<long long>();
    std::string msg = j.contains("Message") && j["Message"].is_string() ? j["Message"] : "";
    if (code == 404 || code == 401 || code == 403) check_http_status(code, msg, id, url, false);
    SWIFT_FAIL(
        "[hub] {}: ModelScope refused {} (Code {}: {}); check --model and --revision, or "
        "pass --use_hf true to use Hugging Face",
        id, url, code, msg);
  }
  std::vector<MsRemoteFile> files;
  try {
    const auto& list = j.at("Data").at("Files");
    if (list.is_null()) return files;
    SWIFT_CHECK(list.is_array() && list.size() <= kMaxFiles,
                "[hub] {}: the ModelScope file list is malformed", id);
    for (const auto& f : list) {
      if (f.value("Type", std::string("blob")) == "tree") continue;
      std::string name = f.value("Name", std::string());
      if (name == ".gitignore" || name == ".gitattributes") continue;
      MsRemoteFile r;
      r.path = f.at("Path").get<std::string>();
      SWIFT_CHECK(is_safe_relative_path(r.path),
                  "[hub] {}: the hub lists an unsafe file name '{}'; refusing to download", id,
                  r.path);
      if (f.contains("Size") && f["Size"].is_number_unsigned()) r.size = f["Size"];
      if (f.contains("Sha256") && f["Sha256"].is_string()) r.sha256 = f["Sha256"];
      files.push_back(std::move(r));
    }
  } catch (const nlohmann::json::exception& e) {
    SWIFT_FAIL("[hub] {}: the file list from {} is malformed ({})", id, url,
               str::json_error_text(e.what()));
  }
  return files;
}

std::string ms_download(const std::string& id, const HubOptions& o, const std::string& subfolder) {
  const std::string revision = ms_revision(o);
  SWIFT_CHECK(is_safe_relative_path(revision) && revision.size() <= 256,
              "[hub] --revision '{}' is not a valid revision name", revision);
  std::vector<std::string> headers;
  if (!o.token.empty()) {
    // Older endpoints read the session cookie, newer ones the bearer token.
    headers.push_back("Authorization: Bearer " + o.token);
    headers.push_back("Cookie: m_session_id=" + o.token);
  }
  HttpClient http(headers, url_origin(o.ms_endpoint),
                  RetryPolicy{o.max_retries, o.retry_base_delay_s});
  std::string list_url = fmt::format("{}/api/v1/models/{}/repo/files?Revision={}&Recursive=True",
                                     o.ms_endpoint, id, url_escape(revision, false));
  auto res = http.get(list_url);
  check_http_status(res.status, res.body, id, list_url, false);
  auto files = ms_parse_file_list(res.body, id, list_url);

  const std::string root = ms_cache_root(o);
  const std::string target = ms_model_dir(root, id);
  auto parts = str::split(id, '/');
  const std::string staging = fs::join(root, "._____temp/" + parts[0] + "/" + parts[1]);
  FileLock lock(fs::join(root, ".lock/" + parts[0] + "___" + parts[1]));
  std::vector<MsRemoteFile> wanted;
  std::uint64_t missing_bytes = 0;
  for (const auto& f : files) {
    if (!wanted_file(f.path, o, subfolder)) continue;
    std::string dest = fs::join(target, f.path);
    if (fs::is_file(dest) && (f.size == 0 || fs::file_size(dest) == f.size)) continue;
    missing_bytes += f.size;
    wanted.push_back(f);
  }
  warn_if_low_disk(root, missing_bytes, id);
  SnapshotProgress progress(id, missing_bytes, o.progress, o.max_workers <= 1);
  std::atomic<int> requests{http.requests()};
  parallel_for(wanted.size(), o.max_workers, [&](std::size_t i) {
    const auto& f = wanted[i];
    // One client per job: libcurl easy handles are not shared between threads.
    HttpClient client(headers, url_origin(o.ms_endpoint),
                      RetryPolicy{o.max_retries, o.retry_base_delay_s});
    std::string url = fmt::format("{}/api/v1/models/{}/repo?Revision={}&FilePath={}", o.ms_endpoint,
                                  id, url_escape(revision, false), url_escape(f.path, false));
    try {
      fetch_verified(client, url, fs::join(staging, f.path), fs::join(target, f.path), f.size,
                     f.sha256, id, f.path, o, progress.file(f.path, f.size));
    } catch (...) {
      requests += client.requests();
      throw;
    }
    requests += client.requests();
  });
  progress.close();
  std::size_t n = wanted.size();
  std::error_code ec;
  stdfs::create_directories(target, ec);
  SWIFT_INFO("[hub] {}: {} files downloaded to {} ({} requests)", id, n, target, requests.load());
  return target;
}

}  // namespace swift::hub::detail

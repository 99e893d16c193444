// Hugging Face snapshot download into huggingface_hub's cache layout:
//   models--org--name/blobs/<etag>, snapshots/<commit>/<file> -> ../../blobs/<etag>,
//   refs/<revision> = <commit>
// The file list comes from /api/models/<id>/revision/<rev>; each file's etag and size from a
// HEAD on /<id>/resolve/<commit>/<file> (X-Linked-Etag / X-Linked-Size for LFS files, which the
// hub redirects to a CDN), as huggingface_hub reads them.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
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
constexpr int kMaxRelativeRedirects = 5;

bool is_hex(const std::string& s, std::size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Etags name blob files: accept only what a file name can safely be.
bool is_safe_etag(const std::string& e) {
  if (e.empty() || e.size() > 128 || e.find("..") != std::string::npos) return false;
  for (char c : e) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// W/"abc" and "abc" -> abc
std::string normalize_etag(std::string e) {
  if (str::starts_with(e, "W/")) e = e.substr(2);
  while (!e.empty() && e.front() == '"') e.erase(e.begin());
  while (!e.empty() && e.back() == '"') e.pop_back();
  return e;
}

std::uint64_t parse_size(const std::string& v) {
  if (v.empty()) return 0;
  try {
    return std::stoull(v);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::vector<HfRemoteFile> hf_list_files(const nlohmann::json& info, const std::string& id) {
  std::vector<HfRemoteFile> files;
  const auto& siblings = info.at("siblings");
  SWIFT_CHECK(siblings.is_array() && siblings.size() <= kMaxFiles,
              "[hub] {}: the Hugging Face file list is malformed", id);
  for (const auto& s : siblings) {
    HfRemoteFile f;
    f.path = s.at("rfilename").get<std::string>();
    SWIFT_CHECK(is_safe_relative_path(f.path),
                "[hub] {}: the hub lists an unsafe file name '{}'; refusing to download", id,
                f.path);
    if (s.contains("size") && s["size"].is_number_unsigned())
      f.size = s["size"].get<std::uint64_t>();
    if (s.contains("lfs") && s["lfs"].is_object()) {
      const auto& lfs = s["lfs"];
      if (lfs.contains("sha256") && lfs["sha256"].is_string()) f.sha256 = lfs["sha256"];
      if (lfs.contains("size") && lfs["size"].is_number_unsigned()) f.size = lfs["size"];
    }
    files.push_back(std::move(f));
  }
  return files;
}

namespace {

// A relative symlink, as huggingface_hub makes them, so the cache folder can move; swapped in
// atomically so a reader never sees a missing pointer.
void link_pointer(const std::string& blob_rel, const std::string& pointer) {
  std::error_code ec;
  stdfs::create_directories(stdfs::path(pointer).parent_path(), ec);
  SWIFT_CHECK(!ec, "[hub] cannot create {}: {}", stdfs::path(pointer).parent_path().string(),
              ec.message());
  std::string tmp = pointer + ".tmp." + std::to_string(::getpid());
  std::remove(tmp.c_str());
  SWIFT_CHECK(::symlink(blob_rel.c_str(), tmp.c_str()) == 0,
              "[hub] cannot create the symlink {}; check that the cache is writable", pointer);
  SWIFT_CHECK(std::rename(tmp.c_str(), pointer.c_str()) == 0, "[hub] cannot create {}", pointer);
}

}  // namespace

void hf_fetch_file(HttpClient& http,
                   const HubOptions& o,
                   const std::string& id,
                   const std::string& repo_url,
                   const std::string& commit,
                   const HfRemoteFile& f,
                   const std::string& repo,
                   const std::string& locks,
                   SnapshotProgress& progress) {
  std::string pointer = fs::join(repo, "snapshots/" + commit + "/" + f.path);
  if (fs::is_file(pointer)) return;  // follows the link: a dangling one is fetched again

  std::string url = fmt::format("{}/resolve/{}/{}", repo_url, commit, url_escape(f.path, true));
  HttpResponse head;
  // Relative redirects (renamed repos) are followed; an absolute one points at the CDN copy,
  // whose own headers no longer carry the LFS etag.
  for (int hop = 0;; ++hop) {
    head = http.head(url, false);
    std::string loc = head.header("location");
    bool relative = head.status >= 300 && head.status < 400 && str::starts_with(loc, "/");
    if (!relative || hop >= kMaxRelativeRedirects) break;
    url = url_origin(url) + loc;
  }
  check_http_status(head.status, "", id, url, true);
  bool redirect = head.status >= 300 && head.status < 400;
  std::string etag = head.header("x-linked-etag");
  if (etag.empty()) etag = head.header("etag");
  etag = normalize_etag(etag);
  SWIFT_CHECK(is_safe_etag(etag),
              "[hub] {}: {} gave no usable ETag for {}; the endpoint may not be a Hugging Face hub "
              "(check HF_ENDPOINT)",
              id, url, f.path);
  std::uint64_t size = parse_size(head.header("x-linked-size"));
  if (size == 0 && !redirect) size = parse_size(head.header("content-length"));
  if (size == 0) size = f.size;
  std::string download_url = redirect ? head.header("location") : url;
  SWIFT_CHECK(!download_url.empty(), "[hub] {}: {} redirected without a Location", id, url);
  // LFS etags are the file's SHA-256; small git files have a SHA-1 etag that we do not check.
  std::string sha = !f.sha256.empty() ? f.sha256 : (is_hex(etag, 64) ? etag : "");

  std::string blob = fs::join(repo, "blobs/" + etag);
  if (!fs::is_file(blob)) {
    FileLock lock(fs::join(locks, etag + ".lock"));
    if (!fs::is_file(blob)) {
      fetch_verified(http, download_url, blob + ".incomplete", blob, size, sha, id, f.path, o,
                     progress.file(f.path, size));
    }
  }
  std::string rel;
  auto depth = std::count(f.path.begin(), f.path.end(), '/');
  for (long i = 0; i < depth + 2; ++i) rel += "../";
  link_pointer(rel + "blobs/" + etag, pointer);
}

std::string hf_download(const std::string& id, const HubOptions& o, const std::string& subfolder) {
  SWIFT_CHECK(id.find("--") == std::string::npos,
              "[hub] '{}' is not a valid Hugging Face id: '--' is not allowed", id);
  const std::string revision = hf_revision(o);
  SWIFT_CHECK(is_safe_relative_path(revision) && revision.size() <= 256,
              "[hub] --revision '{}' is not a valid revision name", revision);
  std::vector<std::string> headers;
  if (!o.token.empty()) headers.push_back("Authorization: Bearer " + o.token);
  HttpClient http(headers, url_origin(o.hf_endpoint),
                  RetryPolicy{o.max_retries, o.retry_base_delay_s});

  std::string api = fmt::format("{}/api/models/{}/revision/{}?blobs=true", o.hf_endpoint, id,
                                url_escape(revision, false));
  auto res = http.get(api);
  check_http_status(res.status, res.body, id, api, true);
  nlohmann::json info;
  std::string commit;
  std::vector<HfRemoteFile> files;
  str::check_json_text(res.body, "[hub] " + id + ": the answer of " + api);
  try {
    info = nlohmann::json::parse(res.body);
    commit = info.at("sha").get<std::string>();
    files = hf_list_files(info, id);
  } catch (const nlohmann::json::exception& e) {
    SWIFT_FAIL("[hub] {}: {} did not return model info ({}); check HF_ENDPOINT", id, api,
               str::json_error_text(e.what()));
  }
  SWIFT_CHECK(is_hex(commit, 40), "[hub] {}: {} returned an invalid commit hash '{}'", id, api,
              commit);

  const std::string root = hf_cache_root(o);
  const std::string repo = hf_repo_folder(root, id);
  const std::string locks = fs::join(fs::join(root, ".locks"), stdfs::path(repo).filename());
  std::vector<HfRemoteFile> wanted;
  std::uint64_t missing_bytes = 0;
  for (const auto& f : files) {
    if (!wanted_file(f.path, o, subfolder)) continue;
    if (!fs::is_file(fs::join(repo, "snapshots/" + commit + "/" + f.path))) missing_bytes += f.size;
    wanted.push_back(f);
  }
  warn_if_low_disk(repo, missing_bytes, id);
  SnapshotProgress progress(id, missing_bytes, o.progress, o.max_workers <= 1);
  std::atomic<int> requests{http.requests()};
  parallel_for(wanted.size(), o.max_workers, [&](std::size_t i) {
    // One client per job: libcurl easy handles are not shared between threads.
    HttpClient client(headers, url_origin(o.hf_endpoint),
                      RetryPolicy{o.max_retries, o.retry_base_delay_s});
    try {
      hf_fetch_file(client, o, id, o.hf_endpoint + "/" + id, commit, wanted[i], repo, locks,
                    progress);
    } catch (...) {
      requests += client.requests();
      throw;
    }
    requests += client.requests();
  });
  progress.close();
  std::size_t n = wanted.size();
  std::string snapshot = fs::join(repo, "snapshots/" + commit);
  std::error_code ec;
  stdfs::create_directories(snapshot, ec);
  if (revision != commit) fs::write_file_atomic(fs::join(repo, "refs/" + revision), commit);
  SWIFT_INFO("[hub] {}: {} files at commit {} in {} ({} requests)", id, n, commit, snapshot,
             requests.load());
  return snapshot;
}

}  // namespace swift::hub::detail

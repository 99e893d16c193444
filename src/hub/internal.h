// Shared between the pieces of src/hub (not a public header): cache lookups and the two hub
// download flows.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "hub/http.h"
#include "hub/hub.h"

namespace swift::hub::detail {

// "main" on Hugging Face, "master" on ModelScope, as ms-swift maps them.
std::string hf_revision(const HubOptions& o);
std::string ms_revision(const HubOptions& o);
std::string hf_cache_root(const HubOptions& o);
std::string ms_cache_root(const HubOptions& o);

// huggingface_hub layout: <root>/models--org--name/{refs/<rev>, snapshots/<commit>, blobs/}
// (datasets--org--name for `kind` "datasets").
std::string hf_repo_folder(const std::string& root,
                           const std::string& id,
                           const std::string& kind = "models");
// The cached snapshot folder for (id, revision) when it (or its `subfolder`, "" for the root) is
// complete.
std::optional<std::string> find_hf_cached(const std::string& root,
                                          const std::string& id,
                                          const std::string& revision,
                                          bool need_weights,
                                          const std::string& subfolder);
// ModelScope: <root>/models/org/name___ (dots as "___", modelscope <= 1.37 and ms-swift users'
// caches) and the newer modelscope_hub <root>/models/org--name/snapshots/<rev>.
std::string ms_model_dir(const std::string& root, const std::string& id);
std::optional<std::string> find_ms_cached(const std::string& root,
                                          const std::string& id,
                                          const std::string& revision,
                                          bool need_weights,
                                          const std::string& subfolder);

// Throws the user-facing error for a failed hub response (404, 401/403, others), naming the
// model, the URL and what to do. Returns normally for 2xx/3xx.
void check_http_status(long status,
                       const std::string& body,
                       const std::string& id,
                       const std::string& url,
                       bool use_hf);

// Downloads `url` into `incomplete` (resuming it), checks its size and SHA-256 when known, and
// only then renames it to `dest`. A corrupt file is deleted, never moved into the cache.
void fetch_verified(HttpClient& http,
                    const std::string& url,
                    const std::string& incomplete,
                    const std::string& dest,
                    std::uint64_t size,
                    const std::string& sha256,
                    const std::string& id,
                    const std::string& filename,
                    const HubOptions& o,
                    const ProgressFn& progress);

// Progress of one snapshot download: a bar per file when files download one at a time, one bar
// for all bytes when they download in parallel (bars redrawn from several threads would garble
// a terminal).
class SnapshotProgress {
 public:
  SnapshotProgress(const std::string& id, std::uint64_t total_bytes, bool enabled, bool per_file);
  ProgressFn file(const std::string& label, std::uint64_t size);
  void close() {
    if (total_) total_->close();
  }

 private:
  bool enabled_;
  bool per_file_;
  std::mutex mu_;
  std::unique_ptr<ProgressBar> total_;
  std::int64_t done_ = 0;
};

// Runs job(i) for i in [0, n) on up to `workers` threads. After the first failure no new jobs
// start; it is rethrown once the running ones finish.
void parallel_for(std::size_t n, int workers, const std::function<void(std::size_t)>& job);

// Warns (as huggingface_hub does) when `dir`'s filesystem has less free space than `bytes`.
void warn_if_low_disk(const std::string& dir, std::uint64_t bytes, const std::string& id);

// A file listed by the Hugging Face API (`siblings`) or ModelScope (`Data.Files`).
struct HfRemoteFile {
  std::string path;
  std::uint64_t size = 0;
  std::string sha256;  // LFS files only
};
struct MsRemoteFile {
  std::string path;
  std::uint64_t size = 0;
  std::string sha256;
};
std::vector<HfRemoteFile> hf_list_files(const nlohmann::json& info, const std::string& id);
std::vector<MsRemoteFile> ms_parse_file_list(const std::string& body,
                                             const std::string& id,
                                             const std::string& url);
// Fetches one file of a Hugging Face repo (`repo_url` = <endpoint>/<id> for models,
// <endpoint>/datasets/<id> for datasets) into blobs/ + snapshots/<commit>/ of `repo`.
void hf_fetch_file(HttpClient& http,
                   const HubOptions& o,
                   const std::string& id,
                   const std::string& repo_url,
                   const std::string& commit,
                   const HfRemoteFile& f,
                   const std::string& repo,
                   const std::string& locks,
                   SnapshotProgress& progress);

// Both return the snapshot root; with a `subfolder` only files below it are fetched.
std::string hf_download(const std::string& id, const HubOptions& o, const std::string& subfolder);
std::string ms_download(const std::string& id, const HubOptions& o, const std::string& subfolder);
// Whether a repo file is fetched: not ignored, a weight only when weights are wanted, and
// inside `subfolder` when one is given.
bool wanted_file(const std::string& path, const HubOptions& o, const std::string& subfolder);

// Untrusted names from a hub: relative, no "..", no empty or "." components, no NUL/backslash.
bool is_safe_relative_path(const std::string& p);
bool matches_any(const std::string& path, const std::vector<std::string>& globs);
// Holds an exclusive flock on `path` (created if needed) for the object's lifetime; compatible
// with Python's filelock used by the hub libraries.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace swift::hub::detail

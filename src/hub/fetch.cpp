// The one path by which a downloaded file enters a cache: resumable transfer into a side file,
// size and SHA-256 checks, then an atomic rename. Also the wording of hub HTTP errors.
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/strings.h"
#include "hub/internal.h"

namespace swift::hub::detail {
namespace stdfs = std::filesystem;

namespace {

std::string snippet(const std::string& body) {
  std::string s = str::trim(body.substr(0, 300));
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s.empty() ? s : " (" + s + ")";
}

void remove_quietly(const std::string& path) {
  std::error_code ec;
  stdfs::remove(path, ec);
}

}  // namespace

void check_http_status(long status,
                       const std::string& body,
                       const std::string& id,
                       const std::string& url,
                       bool use_hf) {
  if (status >= 200 && status < 400) return;
  if (status == 404) {
    if (use_hf) {
      SWIFT_FAIL(
          "[hub] {} not found on Hugging Face ({}); check --model and --revision, or drop "
          "--use_hf to use ModelScope",
          id, url);
    }
    SWIFT_FAIL(
        "[hub] {} not found on ModelScope ({}); check --model and --revision, or pass "
        "--use_hf true to use Hugging Face",
        id, url);
  }
  if (status == 401 || status == 403) {
    SWIFT_FAIL(
        "[hub] {}: access denied by {} (HTTP {} from {}); the model may be private or "
        "gated, or may not exist: check --model, then set {} to a token with access",
        id, use_hf ? "Hugging Face" : "ModelScope", status, url,
        use_hf ? "HF_TOKEN" : "MODELSCOPE_API_TOKEN");
  }
  SWIFT_FAIL("[hub] {}: {} answered HTTP {}{}; try again later", id, url, status, snippet(body));
}

void warn_if_low_disk(const std::string& dir, std::uint64_t bytes, const std::string& id) {
  if (bytes == 0) return;
  // The cache folder may not exist yet: ask the nearest existing ancestor.
  stdfs::path p(dir);
  while (!p.empty() && !fs::exists(p.string())) p = p.parent_path();
  struct statvfs st {};
  if (p.empty() || ::statvfs(p.c_str(), &st) != 0) return;
  auto free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  if (free_bytes < bytes) {
    SWIFT_WARN("[hub] {} needs {}B but only {}B are free in {}; the download will likely fail", id,
               format_size(static_cast<double>(bytes)),
               format_size(static_cast<double>(free_bytes)), p.string());
  }
}

void fetch_verified(HttpClient& http,
                    const std::string& url,
                    const std::string& incomplete,
                    const std::string& dest,
                    std::uint64_t size,
                    const std::string& sha256,
                    const std::string& id,
                    const std::string& filename,
                    const HubOptions& o,
                    const ProgressFn& progress) {
  std::error_code ec;
  stdfs::create_directories(stdfs::path(incomplete).parent_path(), ec);
  SWIFT_CHECK(!ec, "[hub] cannot create {}: {}; check that the cache is writable",
              stdfs::path(incomplete).parent_path().string(), ec.message());
  // A mismatch after resuming may come from a stale partial file; one clean retry settles it.
  for (int attempt = 0;; ++attempt) {
    auto r = http.download(url, incomplete, size, filename, progress);
    check_http_status(r.status, r.error_body, id, url, o.use_hf);
    std::string problem;
    if (size > 0 && r.size != size) {
      problem = fmt::format("got {} bytes, expected {}", r.size, size);
    } else if (!sha256.empty() && str::lower(sha256) != r.sha256_hex) {
      problem = fmt::format("SHA-256 {} does not match the hub's {}", r.sha256_hex, sha256);
    }
    if (problem.empty()) break;
    remove_quietly(incomplete);
    if (progress) progress(-static_cast<std::int64_t>(r.size));
    SWIFT_CHECK(attempt == 0,
                "[hub] {}: {} from {} is corrupt: {}; it was not added to the cache. Run again; if "
                "it persists, the hub or a proxy is serving a bad file",
                id, filename, url, problem);
    SWIFT_WARN("[hub] {}: {}; downloading it again", filename, problem);
  }
  stdfs::create_directories(stdfs::path(dest).parent_path(), ec);
  SWIFT_CHECK(!ec, "[hub] cannot create {}: {}", stdfs::path(dest).parent_path().string(),
              ec.message());
  SWIFT_CHECK(std::rename(incomplete.c_str(), dest.c_str()) == 0,
              "[hub] cannot move {} to {}; check that the cache is writable", incomplete, dest);
  fs::fsync_dir(stdfs::path(dest).parent_path().string());
}

SnapshotProgress::SnapshotProgress(const std::string& id,
                                   std::uint64_t total_bytes,
                                   bool enabled,
                                   bool per_file)
    : enabled_(enabled), per_file_(per_file) {
  if (enabled_ && !per_file_)
    total_ = std::make_unique<ProgressBar>("Downloading " + id, total_bytes, true);
}

ProgressFn SnapshotProgress::file(const std::string& label, std::uint64_t size) {
  if (!enabled_) return {};
  if (per_file_) {
    // The bar closes when the download drops its last copy of the callback.
    auto bar = std::make_shared<ProgressBar>(label, size, true);
    auto done = std::make_shared<std::int64_t>(0);
    return [bar, done](std::int64_t delta) {
      *done = std::max<std::int64_t>(0, *done + delta);
      bar->set(static_cast<std::uint64_t>(*done));
    };
  }
  return [this](std::int64_t delta) {
    std::lock_guard<std::mutex> g(mu_);
    done_ = std::max<std::int64_t>(0, done_ + delta);
    total_->set(static_cast<std::uint64_t>(done_));
  };
}

void parallel_for(std::size_t n, int workers, const std::function<void(std::size_t)>& job) {
  std::size_t w = std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, workers)));
  if (w <= 1) {
    for (std::size_t i = 0; i < n; ++i) job(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  std::mutex mu;
  auto run = [&] {
    while (!stop.load()) {
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        job(i);
      } catch (...) {
        std::lock_guard<std::mutex> g(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < w; ++t) threads.emplace_back(run);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace swift::hub::detail

// A fake Hugging Face + ModelScope hub on 127.0.0.1 for the hub tests: the HF model-info API,
// /resolve/ with ETag / X-Linked-Etag / X-Repo-Commit headers and a CDN redirect for LFS files,
// the ModelScope repo/files API and file endpoint, Range support, scripted failures, and a log
// of every request.
#pragma once

#include <httplib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace swift::hub::testing {

std::string sha256_hex(const std::string& data);

struct FakeFile {
  std::string content;
  bool lfs = false;
  std::string claimed_sha256;  // overrides the real digest (checksum-mismatch tests)
};

struct FakeRepo {
  std::string commit;
  std::map<std::string, FakeFile> files;  // repo path -> file
};

struct LoggedRequest {
  std::string method;
  std::string path;
  std::string range;
  std::string authorization;
  std::string cookie;
};

class FakeHub {
 public:
  FakeHub();
  ~FakeHub();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void add_hf_repo(const std::string& id, FakeRepo repo);
  void add_ms_repo(const std::string& id, FakeRepo repo);
  // Dataset repositories: /api/datasets + /datasets/<id>/resolve on the Hugging Face side, the
  // paged /api/v1/datasets/<id>/repo/tree listing and /repo?FilePath= on the ModelScope side.
  void add_hf_dataset(const std::string& id, FakeRepo repo);
  void add_ms_dataset(const std::string& id, FakeRepo repo);
  // The next `times` downloads of `path` send half of the bytes, then drop the connection.
  void cut_downloads(const std::string& path, int times);
  // The next `times` requests whose path starts with `prefix` answer `status`.
  void fail_requests(const std::string& prefix, int status, int times);

  // Answer 200 with the whole file even when a Range is asked for (some proxies do).
  void set_ignore_range(bool v) { ignore_range_ = v; }
  // LFS redirects point at this host name (a different origin from the hub's 127.0.0.1).
  void set_cdn_host(const std::string& host);
  // Requests for `old_id` answer 307 with a relative Location to `new_id`, as for renamed repos.
  void add_rename(const std::string& old_id, const std::string& new_id);

  int request_count() const { return count_.load(); }
  std::vector<LoggedRequest> log() const;

 private:
  void serve_bytes(const httplib::Request& req,
                   httplib::Response& res,
                   const std::string& key,
                   const std::string& data);
  bool scripted_failure(const httplib::Request& req, httplib::Response& res);
  bool renamed(const httplib::Request& req, httplib::Response& res, const std::string& id);
  void hf_api(const httplib::Request& req, httplib::Response& res, bool dataset = false);
  void hf_resolve(const httplib::Request& req, httplib::Response& res, bool dataset = false);
  void cdn(const httplib::Request& req, httplib::Response& res, bool dataset = false);
  void ms_dataset_tree(const httplib::Request& req, httplib::Response& res);
  void ms_dataset_file(const httplib::Request& req, httplib::Response& res);
  void ms_files(const httplib::Request& req, httplib::Response& res);
  void ms_file(const httplib::Request& req, httplib::Response& res);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> count_{0};
  std::atomic<bool> ignore_range_{false};
  mutable std::mutex mu_;
  std::map<std::string, FakeRepo> hf_, ms_, hf_datasets_, ms_datasets_;
  std::map<std::string, int> cuts_;
  std::map<std::string, std::string> renames_;
  std::string cdn_host_ = "127.0.0.1";
  std::vector<std::pair<std::string, std::pair<int, int>>> failures_;  // prefix, (status, times)
  std::vector<LoggedRequest> log_;
};

}  // namespace swift::hub::testing

// The fake hub's routes. Byte ranges are left to httplib (it slices set_content bodies and
// content providers by the request's Range header and answers 206 with Content-Range).
#include "fake_hub.h"

#include <openssl/evp.h>

#include <chrono>

#include <nlohmann/json.hpp>

namespace swift::hub::testing {

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

namespace {

std::string digest_of(const FakeFile& f) {
  return f.claimed_sha256.empty() ? sha256_hex(f.content) : f.claimed_sha256;
}

std::string basename_of(const std::string& p) {
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

FakeHub::FakeHub() {
  using httplib::Request;
  using httplib::Response;
  server_.Get(R"(/api/models/([^/]+)/([^/]+)/revision/([^/]+))",
              [this](const Request& q, Response& r) { hf_api(q, r); });
  server_.Get(R"(/api/v1/models/([^/]+)/([^/]+)/repo/files)",
              [this](const Request& q, Response& r) { ms_files(q, r); });
  server_.Get(R"(/api/v1/models/([^/]+)/([^/]+)/repo)",
              [this](const Request& q, Response& r) { ms_file(q, r); });
  server_.Get(R"(/cdn/([^/]+)/([^/]+)/(.+))", [this](const Request& q, Response& r) { cdn(q, r); });
  server_.Get(R"(/api/datasets/([^/]+)/([^/]+)/revision/([^/]+))",
              [this](const Request& q, Response& r) { hf_api(q, r, true); });
  server_.Get(R"(/datasets/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))",
              [this](const Request& q, Response& r) { hf_resolve(q, r, true); });
  server_.Get(R"(/cdn-datasets/([^/]+)/([^/]+)/(.+))",
              [this](const Request& q, Response& r) { cdn(q, r, true); });
  server_.Get(R"(/api/v1/datasets/([^/]+)/([^/]+)/repo/tree)",
              [this](const Request& q, Response& r) { ms_dataset_tree(q, r); });
  server_.Get(R"(/api/v1/datasets/([^/]+)/([^/]+)/repo)",
              [this](const Request& q, Response& r) { ms_dataset_file(q, r); });
  server_.Get(R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))",
              [this](const Request& q, Response& r) { hf_resolve(q, r); });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeHub::~FakeHub() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void FakeHub::add_hf_repo(const std::string& id, FakeRepo repo) {
  std::lock_guard<std::mutex> g(mu_);
  hf_[id] = std::move(repo);
}

void FakeHub::add_ms_repo(const std::string& id, FakeRepo repo) {
  std::lock_guard<std::mutex> g(mu_);
  ms_[id] = std::move(repo);
}

void FakeHub::add_hf_dataset(const std::string& id, FakeRepo repo) {
  std::lock_guard<std::mutex> g(mu_);
  hf_datasets_[id] = std::move(repo);
}

void FakeHub::add_ms_dataset(const std::string& id, FakeRepo repo) {
  std::lock_guard<std::mutex> g(mu_);
  ms_datasets_[id] = std::move(repo);
}

void FakeHub::cut_downloads(const std::string& path, int times) {
  std::lock_guard<std::mutex> g(mu_);
  cuts_[path] = times;
}

void FakeHub::fail_requests(const std::string& prefix, int status, int times) {
  std::lock_guard<std::mutex> g(mu_);
  failures_.push_back({prefix, {status, times}});
}

void FakeHub::set_cdn_host(const std::string& host) {
  std::lock_guard<std::mutex> g(mu_);
  cdn_host_ = host;
}

void FakeHub::add_rename(const std::string& old_id, const std::string& new_id) {
  std::lock_guard<std::mutex> g(mu_);
  renames_[old_id] = new_id;
}

bool FakeHub::renamed(const httplib::Request& req, httplib::Response& res, const std::string& id) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = renames_.find(id);
  if (it == renames_.end()) return false;
  std::string path = req.path;
  path.replace(path.find(id), id.size(), it->second);
  res.status = 307;
  res.set_header("Location", path + (req.params.count("blobs") ? "?blobs=true" : ""));
  return true;
}

std::vector<LoggedRequest> FakeHub::log() const {
  std::lock_guard<std::mutex> g(mu_);
  return log_;
}

bool FakeHub::scripted_failure(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard<std::mutex> g(mu_);
  ++count_;
  log_.push_back({req.method, req.path, req.get_header_value("Range"),
                  req.get_header_value("Authorization"), req.get_header_value("Cookie")});
  for (auto& [prefix, f] : failures_) {
    if (f.second > 0 && req.path.rfind(prefix, 0) == 0) {
      --f.second;
      res.status = f.first;
      res.set_content("{\"error\":\"scripted\"}", "application/json");
      return true;
    }
  }
  return false;
}

void FakeHub::serve_bytes(const httplib::Request& req,
                          httplib::Response& res,
                          const std::string& key,
                          const std::string& data) {
  bool cut = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = cuts_.find(key);
    if (it != cuts_.end() && it->second > 0 && req.method == "GET") {
      --it->second;
      cut = true;
    }
  }
  if (!cut && ignore_range_) {
    // httplib slices fixed-length bodies by the Range header; a chunked body it leaves whole.
    auto body = std::make_shared<std::string>(data);
    res.status = 200;
    res.set_chunked_content_provider("application/octet-stream",
                                     [body](std::size_t offset, httplib::DataSink& sink) {
                                       if (offset < body->size())
                                         sink.write(body->data() + offset, body->size() - offset);
                                       else
                                         sink.done();
                                       return true;
                                     });
    return;
  }
  if (!cut) {
    res.set_content(data, "application/octet-stream");
    return;
  }
  // Announces the whole file, sends the first half, then closes the connection.
  auto body = std::make_shared<std::string>(data);
  std::size_t half = data.size() / 2;
  res.set_content_provider(
      data.size(), "application/octet-stream",
      [body, half](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        if (offset >= half) return false;
        sink.write(body->data() + offset, std::min(length, half - offset));
        return true;
      });
}

void FakeHub::hf_api(const httplib::Request& req, httplib::Response& res, bool dataset) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  if (renamed(req, res, id)) return;
  std::lock_guard<std::mutex> g(mu_);
  auto& repos = dataset ? hf_datasets_ : hf_;
  auto it = repos.find(id);
  if (it == repos.end()) {
    res.status = 404;
    res.set_header("X-Error-Code", "RepoNotFound");
    res.set_content("{\"error\":\"Repository not found\"}", "application/json");
    return;
  }
  nlohmann::json j;
  j["id"] = id;
  j["sha"] = it->second.commit;
  j["siblings"] = nlohmann::json::array();
  for (const auto& [path, f] : it->second.files) {
    nlohmann::json s = {{"rfilename", path}, {"size", f.content.size()}};
    if (f.lfs) s["lfs"] = {{"sha256", digest_of(f)}, {"size", f.content.size()}};
    j["siblings"].push_back(s);
  }
  res.set_content(j.dump(), "application/json");
}

void FakeHub::hf_resolve(const httplib::Request& req, httplib::Response& res, bool dataset) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  std::string rev = req.matches[3];
  std::string path = req.matches[4];
  if (renamed(req, res, id)) return;
  FakeFile file;
  std::string commit;
  std::string cdn_host;
  {
    std::lock_guard<std::mutex> g(mu_);
    cdn_host = cdn_host_;
    auto& repos = dataset ? hf_datasets_ : hf_;
    auto it = repos.find(id);
    bool found = it != repos.end() && it->second.files.count(path) > 0 &&
                 (rev == it->second.commit || rev == "main");
    if (!found) {
      res.status = 404;
      res.set_header("X-Error-Code", it == repos.end() ? "RepoNotFound" : "EntryNotFound");
      return;
    }
    file = it->second.files.at(path);
    commit = it->second.commit;
  }
  res.set_header("X-Repo-Commit", commit);
  if (file.lfs) {
    // As the hub does: the LFS identity in X-Linked-*, the bytes on a CDN.
    res.status = 302;
    res.set_header("X-Linked-Etag", "\"" + digest_of(file) + "\"");
    res.set_header("X-Linked-Size", std::to_string(file.content.size()));
    res.set_header("ETag", "\"not-the-lfs-etag\"");
    res.set_header("Location", "http://" + cdn_host + ":" + std::to_string(port_) +
                                   (dataset ? "/cdn-datasets/" : "/cdn/") + id + "/" + path);
    return;
  }
  res.set_header("ETag", "\"" + sha256_hex(file.content).substr(0, 40) + "\"");
  serve_bytes(req, res, path, file.content);
}

void FakeHub::cdn(const httplib::Request& req, httplib::Response& res, bool dataset) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  std::string path = req.matches[3];
  std::string data;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto& repos = dataset ? hf_datasets_ : hf_;
    auto it = repos.find(id);
    if (it == repos.end() || !it->second.files.count(path)) {
      res.status = 404;
      return;
    }
    data = it->second.files[path].content;
  }
  serve_bytes(req, res, path, data);
}

void FakeHub::ms_files(const httplib::Request& req, httplib::Response& res) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  std::lock_guard<std::mutex> g(mu_);
  auto it = ms_.find(id);
  if (id == "org/wrapped-error") {
    // Some ModelScope failures come back as HTTP 200 with an error Code.
    res.set_content("{\"Code\":10010205001,\"Message\":\"no permission\",\"Success\":false}",
                    "application/json");
    return;
  }
  if (it == ms_.end()) {
    res.status = 404;
    res.set_content("{\"Code\":10010205001,\"Message\":\"model not found\",\"Success\":false}",
                    "application/json");
    return;
  }
  nlohmann::json files = nlohmann::json::array();
  files.push_back(
      {{"Name", ".gitattributes"}, {"Path", ".gitattributes"}, {"Type", "blob"}, {"Size", 10}});
  for (const auto& [path, f] : it->second.files) {
    if (path.find('/') != std::string::npos) {
      files.push_back({{"Name", path.substr(0, path.find('/'))},
                       {"Path", path.substr(0, path.find('/'))},
                       {"Type", "tree"}});
    }
    files.push_back({{"Name", basename_of(path)},
                     {"Path", path},
                     {"Type", "blob"},
                     {"Size", f.content.size()},
                     {"Sha256", digest_of(f)},
                     {"Revision", it->second.commit}});
  }
  nlohmann::json j = {{"Code", 200}, {"Data", {{"Files", files}}}, {"Success", true}};
  res.set_content(j.dump(), "application/json");
}

void FakeHub::ms_file(const httplib::Request& req, httplib::Response& res) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  std::string path = req.get_param_value("FilePath");
  std::string data;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = ms_.find(id);
    if (it == ms_.end() || !it->second.files.count(path) ||
        req.get_param_value("Revision") != "master") {
      res.status = 404;
      return;
    }
    data = it->second.files[path].content;
  }
  serve_bytes(req, res, path, data);
}

void FakeHub::ms_dataset_tree(const httplib::Request& req, httplib::Response& res) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  std::lock_guard<std::mutex> g(mu_);
  auto it = ms_datasets_.find(id);
  if (it == ms_datasets_.end()) {
    res.set_content("{\"Code\":10010205001,\"Message\":\"dataset not found\",\"Success\":false}",
                    "application/json");
    res.status = 404;
    return;
  }
  // Every folder, then every file, paged as the hub pages its tree.
  nlohmann::json all = nlohmann::json::array();
  for (const auto& [path, f] : it->second.files) {
    if (path.find('/') != std::string::npos) {
      all.push_back({{"Name", path.substr(0, path.find('/'))},
                     {"Path", path.substr(0, path.find('/'))},
                     {"Type", "tree"}});
    }
    all.push_back({{"Name", basename_of(path)},
                   {"Path", path},
                   {"Type", "blob"},
                   {"Size", f.content.size()},
                   {"Sha256", digest_of(f)}});
  }
  std::size_t page =
      std::stoul(req.has_param("PageNumber") ? req.get_param_value("PageNumber") : "1");
  std::size_t size =
      std::stoul(req.has_param("PageSize") ? req.get_param_value("PageSize") : "100");
  nlohmann::json files = nlohmann::json::array();
  for (std::size_t i = (page - 1) * size; i < all.size() && i < page * size; ++i)
    files.push_back(all[i]);
  nlohmann::json j = {{"Code", 200}, {"Data", {{"Files", files}}}, {"Success", true}};
  res.set_content(j.dump(), "application/json");
}

void FakeHub::ms_dataset_file(const httplib::Request& req, httplib::Response& res) {
  if (scripted_failure(req, res)) return;
  std::string id = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
  std::string path = req.get_param_value("FilePath");
  std::string data;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = ms_datasets_.find(id);
    if (it == ms_datasets_.end() || !it->second.files.count(path) ||
        req.get_param_value("Revision") != "master") {
      res.status = 404;
      return;
    }
    data = it->second.files[path].content;
  }
  serve_bytes(req, res, path, data);
}

}  // namespace swift::hub::testing

// A small libcurl client for the hubs: JSON/HEAD requests with retries, and resumable file
// downloads into a `.incomplete` file with a running SHA-256 and a progress bar.
// Internal to src/hub; callers turn HTTP statuses into user-facing messages.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace swift::hub {

struct RetryPolicy {
  int max_retries = 5;
  double base_delay_s = 1.0;  // doubled after each failed attempt, capped at 30 s
};

struct HttpResponse {
  long status = 0;
  // Headers of the last response only, names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string url;  // the URL that answered (after redirects)

  std::string header(const std::string& lower_name) const;
};

struct DownloadResult {
  long status = 0;         // final HTTP status (200/206 on success)
  std::string error_body;  // the start of the body when status is not 2xx
  std::uint64_t size = 0;  // bytes in the .incomplete file
  std::string sha256_hex;  // digest of those bytes
};

// Receives changes of a download's byte count (negative when a restart discards bytes).
using ProgressFn = std::function<void(std::int64_t delta)>;

class HttpClient {
 public:
  // `auth_headers` ("Name: value") go only to URLs under `auth_origin` (the hub itself): the
  // signed CDN URLs that LFS files redirect to never see the token. libcurl likewise drops them
  // on redirects to other hosts.
  HttpClient(std::vector<std::string> auth_headers, std::string auth_origin, RetryPolicy retry);

  // GET (or HEAD with `head`) with retries on network errors, 429 and 5xx. Returns the final
  // response whatever its status. Bodies larger than `max_body` are a failure (untrusted server).
  HttpResponse get(const std::string& url,
                   bool follow_redirects = true,
                   std::size_t max_body = 64u << 20);
  HttpResponse head(const std::string& url, bool follow_redirects = false);

  // Downloads `url` into `incomplete_path`, continuing from its current size with a Range
  // request (and again after every broken transfer). Throws on network failure after retries.
  DownloadResult download(const std::string& url,
                          const std::string& incomplete_path,
                          std::uint64_t expected_size,
                          const std::string& label,
                          const ProgressFn& on_progress = {});

  // Number of HTTP requests issued (attempts included); for logs and tests.
  int requests() const { return requests_; }

 private:
  HttpResponse request(const std::string& url, bool head, bool follow, std::size_t max_body);
  void backoff(int attempt) const;

  const std::vector<std::string>& headers_for(const std::string& url) const;

  std::vector<std::string> auth_headers_;
  std::string auth_origin_;
  RetryPolicy retry_;
  int requests_ = 0;
};

// Hex SHA-256 of a file's bytes.
std::string sha256_file(const std::string& path);
// Percent-encodes one URL component (also '/'); `keep_slash` leaves '/' as is.
std::string url_escape(const std::string& s, bool keep_slash);
bool is_transient_status(long status);
// "https://host:port" of a URL.
std::string url_origin(const std::string& url);

}  // namespace swift::hub

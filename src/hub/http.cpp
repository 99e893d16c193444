// libcurl plumbing for the hub client: one easy handle per request, headers of the final
// response captured via the header callback, resumable downloads with a running SHA-256.
#include "hub/http.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/strings.h"

namespace swift::hub {
namespace {

// A download may make progress and break many times (flaky links); this bounds the loop even
// when every attempt delivers a few bytes.
constexpr int kMaxDownloadAttempts = 200;
constexpr std::size_t kMaxErrorBody = 4096;
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kHex[d[i] >> 4]);
    out.push_back(kHex[d[i] & 15]);
  }
  return out;
}

struct Sha256 {
  Sha256() : ctx(EVP_MD_CTX_new()) { reset(); }
  ~Sha256() { EVP_MD_CTX_free(ctx); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void reset() {
    SWIFT_CHECK(ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1,
                "[hub] OpenSSL SHA-256 is unavailable");
  }
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx, p, n); }
  std::string hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx, d, &n);
    return to_hex(d, n);
  }
  EVP_MD_CTX* ctx;
};

// Hashes the first `size` bytes of an open file (the part kept from an earlier attempt).
void hash_prefix(int fd, std::uint64_t size, Sha256& sha) {
  std::vector<char> buf(4u << 20);
  std::uint64_t done = 0;
  while (done < size) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
    ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    SWIFT_CHECK(n > 0, "[hub] cannot read back a partial download: {}", std::strerror(errno));
    sha.update(buf.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
}

using Headers = std::map<std::string, std::string>;

struct HeaderSink {
  Headers* headers;
  std::size_t bytes = 0;
};

std::size_t on_header(char* p, std::size_t size, std::size_t n, void* ud) {
  auto* sink = static_cast<HeaderSink*>(ud);
  std::size_t len = size * n;
  sink->bytes += len;
  if (sink->bytes > kMaxHeaderBytes) return 0;  // a server flooding headers is not a hub
  std::string line(p, len);
  // Every response of a redirect chain starts with a status line; keep only the last one's.
  if (str::starts_with(line, "HTTP/")) {
    sink->headers->clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return len;
  (*sink->headers)[str::lower(str::trim(line.substr(0, colon)))] =
      str::trim(line.substr(colon + 1));
  return len;
}

struct CurlHandle {
  CurlHandle() : c(curl_easy_init()), list(nullptr) {
    SWIFT_CHECK(c != nullptr, "[hub] cannot initialise libcurl");
  }
  ~CurlHandle() {
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
  }
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
  CURL* c;
  curl_slist* list;
  char err[CURL_ERROR_SIZE] = {0};
};

void setup(CurlHandle& h,
           const std::string& url,
           const std::vector<std::string>& headers,
           bool follow,
           HeaderSink* sink) {
  CURL* c = h.c;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
  // A stalled transfer (under 1 byte/s for a minute) is a broken one: fail it and resume.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "swift.cpp/0.1");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h.err);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, sink);
  for (const auto& hd : headers) h.list = curl_slist_append(h.list, hd.c_str());
  if (h.list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.list);
}

bool is_transient_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

std::string curl_message(CURLcode code, const char* err) {
  return err && *err ? std::string(err) : std::string(curl_easy_strerror(code));
}

struct BodySink {
  std::string* body;
  std::size_t max;
  bool too_big = false;
};

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* ud) {
  auto* sink = static_cast<BodySink*>(ud);
  std::size_t len = size * n;
  if (sink->body->size() + len > sink->max) {
    sink->too_big = true;
    return 0;
  }
  sink->body->append(p, len);
  return len;
}

struct FileSink {
  CURL* curl = nullptr;
  Headers* headers = nullptr;
  int fd = -1;
  std::uint64_t offset = 0;  // bytes in the file
  std::uint64_t limit = 0;   // 0: unknown
  std::uint64_t received = 0;
  Sha256* sha = nullptr;
  const ProgressFn* progress = nullptr;
  bool started = false;
  bool error_mode = false;
  bool bad_range = false;
  bool too_big = false;
  int write_errno = 0;
  std::string error_body;
};

// Parses "bytes START-END/TOTAL" and returns START.
std::optional<std::uint64_t> content_range_start(const std::string& v) {
  auto sp = v.find(' ');
  auto dash = v.find('-');
  if (sp == std::string::npos || dash == std::string::npos || dash < sp) return std::nullopt;
  try {
    return std::stoull(v.substr(sp + 1, dash - sp - 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::size_t on_file_data(char* p, std::size_t size, std::size_t n, void* ud) {
  auto* s = static_cast<FileSink*>(ud);
  std::size_t len = size * n;
  if (!s->started) {
    s->started = true;
    long code = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code == 206) {
      auto it = s->headers->find("content-range");
      auto start = it == s->headers->end() ? std::nullopt : content_range_start(it->second);
      if (!start || *start != s->offset) {
        s->bad_range = true;
        return 0;
      }
    } else if (code == 200) {
      // The server ignored our Range: start over rather than append a second copy.
      if (s->offset > 0) {
        if (::ftruncate(s->fd, 0) != 0) {
          s->write_errno = errno;
          return 0;
        }
        if (*s->progress) (*s->progress)(-static_cast<std::int64_t>(s->offset));
        s->offset = 0;
        s->sha->reset();
      }
    } else {
      s->error_mode = true;
    }
  }
  if (s->error_mode) {
    if (s->error_body.size() < kMaxErrorBody)
      s->error_body.append(p, std::min(len, kMaxErrorBody - s->error_body.size()));
    return len;
  }
  if (s->limit > 0 && s->offset + len > s->limit) {
    s->too_big = true;
    return 0;
  }
  std::size_t done = 0;
  while (done < len) {
    ssize_t w = ::pwrite(s->fd, p + done, len - done, static_cast<off_t>(s->offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->write_errno = errno ? errno : EIO;
      return 0;
    }
    done += static_cast<std::size_t>(w);
  }
  s->sha->update(p, len);
  s->offset += len;
  s->received += len;
  if (*s->progress) (*s->progress)(static_cast<std::int64_t>(len));
  return len;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

bool is_transient_status(long status) {
  return status == 429 || status >= 500;
}

HttpClient::HttpClient(std::vector<std::string> auth_headers,
                       std::string auth_origin,
                       RetryPolicy retry)
    : auth_headers_(std::move(auth_headers)), auth_origin_(std::move(auth_origin)), retry_(retry) {
  global_init();
}

const std::vector<std::string>& HttpClient::headers_for(const std::string& url) const {
  static const std::vector<std::string> kNone;
  return url_origin(url) == auth_origin_ ? auth_headers_ : kNone;
}

std::string url_origin(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  return str::lower(slash == std::string::npos ? url : url.substr(0, slash));
}

void HttpClient::backoff(int attempt) const {
  double delay = retry_.base_delay_s;
  for (int i = 0; i < attempt && delay < 30.0; ++i) delay *= 2;
  delay = std::min(delay, 30.0);
  if (delay > 0) std::this_thread::sleep_for(std::chrono::duration<double>(delay));
}

HttpResponse HttpClient::get(const std::string& url, bool follow, std::size_t max_body) {
  return request(url, false, follow, max_body);
}

HttpResponse HttpClient::head(const std::string& url, bool follow) {
  return request(url, true, follow, 0);
}

HttpResponse HttpClient::request(const std::string& url,
                                 bool head,
                                 bool follow,
                                 std::size_t max_body) {
  for (int attempt = 0;; ++attempt) {
    HttpResponse res;
    HeaderSink hsink{&res.headers};
    BodySink bsink{&res.body, max_body};
    CurlHandle h;
    setup(h, url, headers_for(url), follow, &hsink);
    if (head) {
      curl_easy_setopt(h.c, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h.c, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(h.c, CURLOPT_WRITEDATA, &bsink);
    }
    curl_easy_setopt(h.c, CURLOPT_TIMEOUT, 120L);
    ++requests_;
    CURLcode code = curl_easy_perform(h.c);
    curl_easy_getinfo(h.c, CURLINFO_RESPONSE_CODE, &res.status);
    char* eff = nullptr;
    curl_easy_getinfo(h.c, CURLINFO_EFFECTIVE_URL, &eff);
    res.url = eff ? eff : url;
    SWIFT_CHECK(!bsink.too_big, "[hub] the response from {} is larger than {} bytes; refusing it",
                url, max_body);
    if (code == CURLE_OK && !is_transient_status(res.status)) return res;
    bool transient = code == CURLE_OK || is_transient_curl(code);
    std::string why =
        code == CURLE_OK ? fmt::format("HTTP {}", res.status) : curl_message(code, h.err);
    if (!transient || attempt >= retry_.max_retries) {
      if (code == CURLE_OK) return res;  // the caller words the HTTP error
      SWIFT_FAIL(
          "[hub] request to {} failed: {}; check the network connection and the endpoint "
          "(HF_ENDPOINT / MODELSCOPE_ENDPOINT)",
          url, why);
    }
    SWIFT_WARN("[hub] {} failed ({}); retrying ({}/{})", url, why, attempt + 1, retry_.max_retries);
    backoff(attempt);
  }
}

DownloadResult HttpClient::download(const std::string& url,
                                    const std::string& path,
                                    std::uint64_t expected_size,
                                    const std::string& label,
                                    const ProgressFn& on_progress) {
  // Bytes announced to `on_progress` so far; kept equal to the file's size between attempts.
  std::uint64_t reported = 0;
  auto report = [&](std::uint64_t now) {
    if (on_progress && now != reported)
      on_progress(static_cast<std::int64_t>(now) - static_cast<std::int64_t>(reported));
    reported = now;
  };
  int failures = 0;
  // `sha` covers the first `hashed` bytes of the file, so a resume after a broken transfer does
  // not read the whole partial file back.
  Sha256 sha;
  std::uint64_t hashed = 0;
  for (int attempt = 0;; ++attempt) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    SWIFT_CHECK(fd >= 0, "[hub] cannot open {} for writing: {}", path, std::strerror(errno));
    struct FdCloser {
      int fd;
      ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    SWIFT_CHECK(::fstat(fd, &st) == 0, "[hub] cannot stat {}: {}", path, std::strerror(errno));
    auto have = static_cast<std::uint64_t>(st.st_size);
    if (expected_size > 0 && have > expected_size) {
      // Longer than the file can be: not a prefix of it.
      SWIFT_CHECK(::ftruncate(fd, 0) == 0, "[hub] cannot truncate {}", path);
      have = 0;
    }
    if (have != hashed) {
      sha.reset();
      hash_prefix(fd, have, sha);
      hashed = have;
    }
    if (expected_size > 0 && have == expected_size) {
      // Finished earlier but never moved into place (crash between the two).
      report(have);
      return DownloadResult{200, "", have, sha.hex()};
    }

    Headers headers;
    HeaderSink hsink{&headers};
    CurlHandle h;
    setup(h, url, headers_for(url), true, &hsink);
    FileSink sink;
    sink.curl = h.c;
    sink.headers = &headers;
    sink.fd = fd;
    sink.offset = have;
    sink.limit = expected_size;
    sink.sha = &sha;
    sink.progress = &on_progress;
    report(have);
    curl_easy_setopt(h.c, CURLOPT_WRITEFUNCTION, on_file_data);
    curl_easy_setopt(h.c, CURLOPT_WRITEDATA, &sink);
    std::string range = fmt::format("{}-", have);
    if (have > 0) curl_easy_setopt(h.c, CURLOPT_RANGE, range.c_str());
    ++requests_;
    CURLcode code = curl_easy_perform(h.c);
    long status = 0;
    curl_easy_getinfo(h.c, CURLINFO_RESPONSE_CODE, &status);
    hashed = sink.offset;
    reported = sink.offset;  // the sink reported its own writes and restarts

    SWIFT_CHECK(sink.write_errno == 0, "[hub] writing {} failed: {}; check free disk space", path,
                std::strerror(sink.write_errno));
    SWIFT_CHECK(!sink.too_big, "[hub] {} sent more than the announced {} bytes; refusing it", url,
                expected_size);
    if (code == CURLE_OK && (status == 200 || status == 206) && !sink.error_mode) {
      return DownloadResult{status, "", sink.offset, sha.hex()};
    }
    std::string why;
    bool transient = false;
    if (sink.bad_range || (status == 416 && have > 0)) {
      // The server cannot continue our partial file: discard it and start from zero.
      SWIFT_CHECK(::ftruncate(fd, 0) == 0, "[hub] cannot truncate {}", path);
      sha.reset();
      hashed = 0;
      report(0);
      why = "the server did not resume at the right offset";
      transient = true;
    } else if (code == CURLE_OK || sink.error_mode) {
      if (!is_transient_status(status)) return DownloadResult{status, sink.error_body, 0, ""};
      why = fmt::format("HTTP {}", status);
      transient = true;
    } else {
      why = curl_message(code, h.err);
      transient = is_transient_curl(code);
    }
    if (!transient) {
      SWIFT_FAIL("[hub] downloading {} failed: {}; check the network connection", url, why);
    }
    // A broken transfer that delivered bytes is progress, not a failure: resume it.
    failures = sink.received > 0 ? 0 : failures + 1;
    SWIFT_CHECK(failures <= retry_.max_retries && attempt + 1 < kMaxDownloadAttempts,
                "[hub] downloading {} failed after {} attempts: {}; run again to resume from "
                "{} bytes",
                url, attempt + 1, why, sink.offset);
    SWIFT_WARN("[hub] {}: {} at {} bytes; resuming", label, why, sink.offset);
    backoff(std::max(0, failures - 1));
  }
}

std::string sha256_file(const std::string& path) {
  std::uint64_t size = 0;
  const int fd = fs::open_regular(path, &size);
  Sha256 sha;
  try {
    hash_prefix(fd, size, sha);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return sha.hex();
}

std::string url_escape(const std::string& s, bool keep_slash) {
  global_init();
  std::string out;
  std::size_t start = 0;
  while (true) {
    std::size_t end = keep_slash ? s.find('/', start) : std::string::npos;
    std::string part = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    char* e = curl_easy_escape(nullptr, part.c_str(), static_cast<int>(part.size()));
    SWIFT_CHECK(e != nullptr, "[hub] cannot escape '{}' for a URL", part);
    out += e;
    curl_free(e);
    if (end == std::string::npos) break;
    out += '/';
    start = end + 1;
  }
  return out;
}

}  // namespace swift::hub

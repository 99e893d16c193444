#include "core/fs.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <random>

#include "core/error.h"

namespace swift::fs {

namespace stdfs = std::filesystem;

namespace {

const char* mode_kind(mode_t m) {
  if (S_ISREG(m)) return "a regular file";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "not a regular file";
}

}  // namespace

std::string kind_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return mode_kind(st.st_mode);
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return "a broken symlink";
  return "missing";
}

void require_file(const std::string& path, std::string_view component, std::string_view hint) {
  if (is_file(path)) return;
  const std::string kind = kind_of(path);
  if (kind == "missing") SWIFT_FAIL("{} {} not found; {}", component, path, hint);
  SWIFT_FAIL("{} {} is {}, not a regular file; {}", component, path, kind, hint);
}

int open_regular(const std::string& path, std::uint64_t* size) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    SWIFT_CHECK(err != ENOENT, "[fs] {} not found", path);
    SWIFT_FAIL("[fs] cannot open {}: {}", path, std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    SWIFT_FAIL("[fs] cannot stat {}: {}", path, std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    SWIFT_FAIL("[fs] {} is {}, not a regular file; pass a regular file", path,
               mode_kind(st.st_mode));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  *size = static_cast<std::uint64_t>(st.st_size);
  return fd;
}

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  std::uint64_t size = 0;
  const int fd = open_regular(path, &size);
  if (size > max_bytes) {
    ::close(fd);
    SWIFT_FAIL("[fs] {} is {} bytes, more than the {} this kind of file may have; check the path",
               path, size, max_bytes);
  }
  std::string out;
  try {
    out.resize(static_cast<std::size_t>(size));
  } catch (const std::bad_alloc&) {
    ::close(fd);
    SWIFT_FAIL("[fs] {} ({} bytes) does not fit in memory", path, size);
  }
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      SWIFT_FAIL("[fs] reading {} failed: {}", path, std::strerror(err));
    }
    if (n == 0) break;  // the file shrank while we read it
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // Best effort: some filesystems refuse to open directories.
  ::fsync(fd);
  ::close(fd);
}

void write_file_atomic(const std::string& path, std::string_view data) {
  stdfs::path target(path);
  stdfs::path dir = target.parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    stdfs::create_directories(dir, ec);
    SWIFT_CHECK(!ec, "[fs] cannot create directory {}: {}", dir.string(), ec.message());
  }
  std::random_device rd;
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SWIFT_CHECK(fd >= 0, "[fs] cannot create {}: {}", tmp, std::strerror(errno));
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      SWIFT_FAIL("[fs] writing {} failed: {}; check free disk space", path, std::strerror(err));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    SWIFT_FAIL("[fs] flushing {} failed: {}", path, std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    SWIFT_FAIL("[fs] cannot move {} into place: {}", path, std::strerror(err));
  }
  fsync_dir(dir.string());
}

bool exists(const std::string& path) {
  std::error_code ec;
  return stdfs::exists(path, ec);
}

bool is_dir(const std::string& path) {
  std::error_code ec;
  return stdfs::is_directory(path, ec);
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return stdfs::is_regular_file(path, ec);
}

std::uint64_t file_size(const std::string& path) {
  require_file(path, "[fs]", "pass a regular file");
  std::error_code ec;
  auto n = stdfs::file_size(path, ec);
  SWIFT_CHECK(!ec, "[fs] cannot stat {}: {}", path, ec.message());
  return n;
}

std::string join(const std::string& a, const std::string& b) {
  return (stdfs::path(a) / stdfs::path(b)).string();
}

bool is_within(const std::string& path, const std::string& root) {
  std::error_code ec;
  auto p = stdfs::weakly_canonical(path, ec);
  if (ec) return false;
  auto r = stdfs::weakly_canonical(root, ec);
  if (ec) return false;
  auto pi = p.begin();
  for (auto ri = r.begin(); ri != r.end(); ++ri, ++pi) {
    if (ri->empty()) continue;  // A trailing separator yields an empty last element.
    if (pi == p.end() || *pi != *ri) return false;
  }
  return true;
}

std::string home_dir() {
  const char* h = std::getenv("HOME");
  return h && *h ? std::string(h) : std::string("/root");
}

MappedFile::MappedFile(const std::string& path) : path_(path) {
  std::uint64_t size = 0;
  const int fd = open_regular(path, &size);
  size_ = static_cast<std::size_t>(size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      SWIFT_FAIL("[fs] cannot map {}: {}", path, std::strerror(err));
    }
    data_ = static_cast<const std::uint8_t*>(p);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  reset();
}

MappedFile::MappedFile(MappedFile&& other) noexcept {
  *this = std::move(other);
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void MappedFile::reset() {
  if (data_ != nullptr) ::munmap(const_cast<std::uint8_t*>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace swift::fs

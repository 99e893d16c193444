// File IO that the rest of the project trusts: atomic writes (tmp + fsync + rename + dir fsync),
// read-only memory maps, and path containment checks for anything named inside a model folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace swift::fs {

// Every file named by a user, a model, an adapter, a dataset or a config is read through
// read_file / MappedFile: each opens without blocking (a FIFO or device never hangs us), refuses
// anything that is not a regular file with a message naming what it is, and bounds the size.
// Symlinks are followed (the Hugging Face cache is made of them); what they point at must be a
// regular file. Names found inside files (shards, tokenizer files) are checked with is_within.
constexpr std::uint64_t kNoSizeLimit = ~0ull;
std::string read_file(const std::string& path, std::uint64_t max_bytes = kNoSizeLimit);
// What a path is, for messages: "missing", "a regular file", "a directory", "a FIFO (named
// pipe)", "a socket", "a character device", "a block device", "a broken symlink".
std::string kind_of(const std::string& path);
// Throws "[component] <path> not found; <hint>" or "<path> is a FIFO, not a regular file; <hint>"
// unless `path` is a regular file (`component` is e.g. "[model]").
void require_file(const std::string& path, std::string_view component, std::string_view hint);
// Opens `path` read-only without blocking and checks it is a regular file; returns the fd
// (O_CLOEXEC, blocking mode restored) and its size. The caller closes it.
int open_regular(const std::string& path, std::uint64_t* size);
// Writes `data` to `path` so that a crash leaves either the old file or the new one, never a
// torn file: write to a sibling temporary, fsync it, rename over `path`, fsync the directory.
void write_file_atomic(const std::string& path, std::string_view data);
void fsync_dir(const std::string& dir);
bool exists(const std::string& path);
bool is_dir(const std::string& path);
bool is_file(const std::string& path);
std::uint64_t file_size(const std::string& path);
std::string join(const std::string& a, const std::string& b);
// True when `path` resolves (symlinks followed) to `root` or something below it.
bool is_within(const std::string& path, const std::string& root);
std::string home_dir();

// A read-only private mapping of a whole file. Empty files map to an empty view.
class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void reset();
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace swift::fs

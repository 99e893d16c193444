// Shared helpers of the io tests: a self-deleting temp folder and builders for crafted
// safetensors byte strings.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"

namespace swift::io {

namespace stdfs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = (stdfs::temp_directory_path() / ("swift_io_test_" + std::to_string(rd()))).string();
    stdfs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    stdfs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return fs::join(path_, name); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string le64(std::uint64_t n) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  return s;
}

// A file with a correct length prefix for `header` followed by `buffer`.
inline std::string make(const std::string& header, const std::string& buffer) {
  return le64(header.size()) + header + buffer;
}

inline std::string write_tmp(const TempDir& d,
                             const std::string& bytes,
                             const std::string& name = "t") {
  std::string p = d.file(name + ".safetensors");
  fs::write_file_atomic(p, bytes);
  return p;
}

inline void expect_reject(const std::string& bytes, const std::string& phrase) {
  TempDir d;
  std::string p = write_tmp(d, bytes);
  try {
    SafetensorsFile f(p);
    ADD_FAILURE() << "accepted, expected rejection with \"" << phrase << "\"";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(phrase), std::string::npos) << "message: " << msg;
    EXPECT_NE(msg.find(p), std::string::npos) << "message does not name the file: " << msg;
  }
}

inline std::string zeros(std::size_t n) {
  return std::string(n, '\0');
}

}  // namespace swift::io

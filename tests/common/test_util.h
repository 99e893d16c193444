// Small helpers the suites share: a fresh per-process scratch folder, whole-file read/write, and
// "this must throw swift::Error saying ...".
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include "core/error.h"

namespace swift::testing {

// <tmp>/<prefix>_<pid>_<name>, emptied and created.
inline std::string fresh_dir(const std::string& prefix, const std::string& name) {
  namespace stdfs = std::filesystem;
  auto dir =
      stdfs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" + name);
  stdfs::remove_all(dir);
  stdfs::create_directories(dir);
  return dir.string();
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Expects `fn` to throw swift::Error whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn fn, std::initializer_list<const char*> parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const swift::Error& e) {
    const std::string msg = e.what();
    for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
  }
}

}  // namespace swift::testing

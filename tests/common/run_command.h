// Runs a shell command the way a user would and returns its exit code and its output (stdout and
// stderr as the command line merges them): the black-box CLI suites use it to drive `swift`.
// Every output is checked for text no user may see (raw library exceptions, C++ backtraces,
// "unexpected error", crashes): such text fails the calling test wherever it appears.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace swift::testing {

struct CommandResult {
  int code = -1;
  std::string out;
};

inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (const char* bad :
       {"unexpected error", "json.exception", "std::bad_alloc", "what():", "Exception raised from",
        "terminate called", "Segmentation fault", "core dumped", "c10::Error", "AddressSanitizer"})
    if (r.out.find(bad) != std::string::npos)
      ADD_FAILURE() << "'" << bad << "' reached the user; command: " << cmd << "\n" << r.out;
  return r;
}

}  // namespace swift::testing

// Runs a shell command the way a user would and returns its exit code and its output (stdout and
// stderr as the command line merges them): the black-box CLI suites use it to drive `swift`.
#pragma once

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
  return r;
}

}  // namespace swift::testing

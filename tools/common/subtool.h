// A tiny registry for multi-mode test tools (swift-parity, swift-bench): each mode lives in its
// own .cpp and registers itself, so modes are added without touching main.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace swift::tools {

using ModeMain = std::function<int(int argc, char** argv)>;

struct Mode {
  std::string help;
  ModeMain main;
};

std::map<std::string, Mode>& modes();

struct RegisterMode {
  RegisterMode(const std::string& name, const std::string& help, ModeMain fn) {
    modes()[name] = Mode{help, std::move(fn)};
  }
};

// Named hooks let one mode call code that another area owns without a link-time dependency
// (e.g. `swift-parity tokenizer` calls the "chat-parity" hook that the template area registers).
using Hook = std::function<int(int argc, char** argv)>;
std::map<std::string, Hook>& hooks();

struct RegisterHook {
  RegisterHook(const std::string& name, Hook fn) { hooks()[name] = std::move(fn); }
};

// Runs argv[1] as a mode with argv shifted by one; prints usage on a missing/unknown mode.
int run_modes(const std::string& tool, int argc, char** argv);

}  // namespace swift::tools

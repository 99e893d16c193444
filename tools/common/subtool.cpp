#include "common/subtool.h"

#include <cstdio>
#include <exception>
#include <string>

#include "core/error.h"
#include "core/log.h"

namespace swift::tools {

std::map<std::string, Mode>& modes() {
  static std::map<std::string, Mode> m;
  return m;
}

std::map<std::string, Hook>& hooks() {
  static std::map<std::string, Hook> h;
  return h;
}

int run_modes(const std::string& tool, int argc, char** argv) {
  swift::log::init();
  auto usage = [&] {
    std::fprintf(stderr, "usage: %s <mode> [args...]\nmodes:\n", tool.c_str());
    for (const auto& [name, mode] : modes())
      std::fprintf(stderr, "  %-12s %s\n", name.c_str(), mode.help.c_str());
  };
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage();
    return argc < 2 ? 2 : 0;
  }
  auto it = modes().find(argv[1]);
  if (it == modes().end()) {
    std::fprintf(stderr, "%s: unknown mode '%s'\n", tool.c_str(), argv[1]);
    usage();
    return 2;
  }
  // `<tool> <mode> --help` prints the mode's usage; it never starts the (long) work.
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::printf("usage: %s %s %s\n", tool.c_str(), argv[1], it->second.help.c_str());
      return 0;
    }
  }
  try {
    return it->second.main(argc - 1, argv + 1);
  } catch (const swift::Error& e) {
    std::fprintf(stderr, "%s %s: %s\n", tool.c_str(), argv[1], e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s %s: %s\n", tool.c_str(), argv[1],
                 swift::describe_exception(e).c_str());
    return 1;
  }
}

}  // namespace swift::tools

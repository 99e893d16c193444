// Entry point of `swift` and `megatron`: dispatches `swift <subcommand> [config.yaml] --args`
// and turns every swift::Error into one clear line and a non-zero exit code.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "args/arguments.h"
#include "commands.h"
#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"

namespace {

using swift::cli::Subcommand;

void print_usage(const std::string& prog) {
  std::printf("usage: %s <subcommand> [config.yaml|config.json] [--arg value ...]\n\n",
              prog.c_str());
  std::printf("swift.cpp: ms-swift's command line, natively. Subcommands:\n");
  for (const auto& s : swift::cli::subcommands()) {
    bool megatron = swift::str::starts_with(s.name, "megatron ");
    if ((prog == "megatron") != megatron) continue;
    std::string name = megatron ? s.name.substr(9) : s.name;
    std::printf("  %-12s %s%s\n", name.c_str(), s.description.c_str(),
                s.run ? "" : " [not built yet]");
  }
  if (prog != "megatron")
    std::printf("  %-12s %s\n", "megatron", "megatron sft|pt|rlhf|export ...");
  std::printf("\n`%s <subcommand> --help` lists every argument with its default.\n", prog.c_str());
}

int run(const std::string& prog, std::vector<std::string> argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    print_usage(prog);
    return argv.empty() ? swift::cli::kExitUsage : 0;
  }
  if (argv[0] == "--version") {
    std::printf("swift.cpp 0.1.0\n");
    return 0;
  }
  std::string sub = argv[0];
  for (char& c : sub)
    if (c == '_') c = '-';  // ms-swift accepts merge_lora for merge-lora
  argv.erase(argv.begin());
  if (prog == "megatron") sub = "megatron " + sub;
  if (sub == "megatron" && prog != "megatron") {
    return run("megatron", argv);
  }
  for (const auto& s : swift::cli::subcommands()) {
    if (s.name != sub) continue;
    if (s.run) return s.run(argv);
    auto args = swift::args::parse_args(s.name, argv);
    if (args->help)
      return swift::cli::print_help(*args, "usage: " + prog + " " +
                                               s.name.substr(prog == "megatron" ? 9 : 0) +
                                               " [config.yaml] [--arg value ...]");
    if (args->show_args) return swift::cli::print_resolved_args(*args);
    std::fprintf(stderr,
                 "[ERROR:swift] `%s %s` is not built yet in this version of swift.cpp (its "
                 "arguments were parsed and are valid). See README.md, \"What works today\".\n",
                 prog.c_str(), s.name.c_str());
    return swift::cli::kExitNotBuilt;
  }
  std::vector<std::string> names;
  for (const auto& s : swift::cli::subcommands()) names.push_back(s.name);
  std::string near = swift::str::closest(sub, names);
  std::fprintf(stderr, "[ERROR:swift] unknown subcommand '%s'%s; run `%s --help`\n", sub.c_str(),
               near.empty() ? "" : ("; did you mean '" + near + "'?").c_str(), prog.c_str());
  return swift::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  swift::log::init();
  std::string prog = argc > 0 ? argv[0] : "swift";
  auto slash = prog.find_last_of('/');
  if (slash != std::string::npos) prog = prog.substr(slash + 1);
  if (prog != "megatron") prog = "swift";
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run(prog, args);
  } catch (const swift::Error& e) {
    std::fprintf(stderr, "[ERROR:swift] %s\n", e.what());
    bool usage =
        std::strncmp(e.what(), "[args]", 6) == 0 || std::strncmp(e.what(), "[config]", 8) == 0;
    return usage ? swift::cli::kExitUsage : swift::cli::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[ERROR:swift] %s\n", swift::describe_exception(e).c_str());
    return swift::cli::kExitError;
  }
}

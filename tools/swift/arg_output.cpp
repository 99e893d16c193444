// What every subcommand prints for --help and --show_args; see commands.h.
#include <cstdio>

#include "args/arguments.h"
#include "commands.h"

namespace swift::cli {

int print_help(const args::ParsedArgs& parsed, const std::string& usage) {
  std::printf("%s", parsed.set.help_text(usage).c_str());
  return 0;
}

int print_resolved_args(const args::ParsedArgs& parsed) {
  std::printf(
      "%s\n",
      parsed.set.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace swift::cli

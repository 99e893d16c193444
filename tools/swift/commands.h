// The `swift` (and `megatron`) subcommands: a table of names, one-line descriptions and entry
// points. Each entry point is thin: parse arguments, call the library, print.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace swift::cli {

struct Subcommand {
  std::string name;         // "sft", "merge-lora", "megatron sft", ...
  std::string description;  // one line for `swift --help`
  // nullptr: not built yet (arguments are still parsed and checked, then the command says so).
  std::function<int(const std::vector<std::string>& argv)> run;
};

const std::vector<Subcommand>& subcommands();

int run_inspect(const std::vector<std::string>& argv);
int run_infer(const std::vector<std::string>& argv);         // cmd_infer.cpp
int run_sft(const std::vector<std::string>& argv);           // cmd_sft.cpp
int run_pt(const std::vector<std::string>& argv);            // cmd_sft.cpp
int run_rlhf(const std::vector<std::string>& argv);          // cmd_rlhf.cpp
int run_export(const std::vector<std::string>& argv);        // cmd_export.cpp
int run_merge_lora(const std::vector<std::string>& argv);    // cmd_export.cpp
int run_create_model(const std::vector<std::string>& argv);  // cmd_create_model.cpp
int run_deploy(const std::vector<std::string>& argv);        // cmd_deploy.cpp
int run_app(const std::vector<std::string>& argv);           // cmd_app.cpp

}  // namespace swift::cli

namespace swift::args {
struct ParsedArgs;
}
namespace swift::serve {
struct ServerOptions;
}

namespace swift::cli {

// --help: `usage`, then every argument with its default; --show_args: the resolved arguments
// as JSON (arg_output.cpp). Both return exit code 0.
int print_help(const args::ParsedArgs& parsed, const std::string& usage);
int print_resolved_args(const args::ParsedArgs& parsed);

// deploy's server arguments, shared by app (cmd_deploy.cpp).
serve::ServerOptions server_options(const args::ParsedArgs& parsed);
std::int64_t deploy_max_num_seqs(const args::ParsedArgs& parsed);

// Exit codes: 0 ok, 1 error (bad input, failed run), 2 usage error, 3 not built yet.
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotBuilt = 3;

}  // namespace swift::cli

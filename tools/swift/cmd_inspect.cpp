// `swift inspect --model X [--adapters A ...]`: resolves the model the way every other
// subcommand does (local folder, hub caches, download), validates every file it holds without
// running it, and prints what it holds. A malformed folder exits non-zero with the reason.
#include <cstdio>

#include "args/arg_set.h"
#include "commands.h"
#include "core/error.h"
#include "hub/hub.h"
#include "io/hf_config.h"
#ifdef SWIFT_HAVE_MODEL
#include "model/describe.h"
#endif

namespace swift::cli {

namespace {

void print_report(const nlohmann::json& r) {
  auto field = [&](const char* key) -> std::string {
    if (!r.contains(key) || r[key].is_null()) return "-";
    return r[key].is_string() ? r[key].get<std::string>() : r[key].dump();
  };
  std::printf("path:         %s\n", field("path").c_str());
  std::printf("architecture: %s\n", field("architecture").c_str());
  std::printf("model_type:   %s\n", field("model_type").c_str());
  std::printf("tensors:      %s\n", field("num_tensors").c_str());
  std::printf("parameters:   %s\n", field("num_parameters").c_str());
  std::printf("bytes:        %s\n", field("total_bytes").c_str());
  std::printf("dtypes:       %s\n", field("dtypes").c_str());
  std::printf("sharded:      %s\n", field("sharded").c_str());
  if (r.contains("files")) {
    std::printf("files:\n");
    for (const auto& f : r["files"])
      std::printf("  %s\n", f.is_string() ? f.get<std::string>().c_str() : f.dump().c_str());
  }
  if (r.contains("model")) std::printf("model:        %s\n", r["model"].dump().c_str());
  if (r.contains("adapters")) std::printf("adapters:     %s\n", r["adapters"].dump().c_str());
}

}  // namespace

int run_inspect(const std::vector<std::string>& argv) {
  args::OptStr model, revision, hub_token;
  bool use_hf = false, as_json = false;
  args::StrList adapters;
  args::ArgSet set("inspect");
  set.add(model, "model", "", "Model id (hub) or local folder to inspect", "inspect");
  set.add(revision, "model_revision", "", "Hub revision (branch, tag or commit)", "inspect");
  set.add(use_hf, "use_hf", "", "Use the Hugging Face hub instead of ModelScope (env USE_HF)",
          "inspect");
  set.add(hub_token, "hub_token", "", "Hub token (else HF_TOKEN / MODELSCOPE_API_TOKEN)",
          "inspect");
  set.add(adapters, "adapters", "", "PEFT adapter folders to validate against the model",
          "inspect");
  set.add(as_json, "json", "", "Print the report as JSON", "inspect");
  args::CommandLine cl = args::split_command_line(argv);
  if (cl.help) {
    std::printf("%s", set.help_text("usage: swift inspect --model X [--adapters A ...]").c_str());
    return 0;
  }
  SWIFT_CHECK(!cl.config_file, "[args] swift inspect takes no config file");
  set.apply(cl.assignments);
  SWIFT_CHECK(model.has_value(), "[args] swift inspect needs --model (a folder or a hub id)");

  hub::HubOptions hub_options = hub::hub_options_from_env(use_hf, revision);
  if (hub_token) hub_options.token = *hub_token;
  std::string dir = hub::resolve_model_dir(*model, hub_options);
  nlohmann::json report = io::inspect_model_dir(dir);
#ifdef SWIFT_HAVE_MODEL
  report["model"] = model::describe_model(dir, adapters);
#else
  SWIFT_CHECK(adapters.empty(), "[inspect] --adapters needs the model library, not built here");
#endif
  if (as_json) {
    std::printf("%s\n",
                report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    print_report(report);
  }
  return 0;
}

}  // namespace swift::cli

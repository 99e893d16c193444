// `swift inspect --model X [--adapters A ...]`: resolves the model the way every other
// subcommand does (local folder, hub caches, download), validates every file it holds without
// running it, and prints what it holds. A malformed folder exits non-zero with the reason.
// `swift inspect --dataset D [D ...]`: loads datasets the way training and `infer --val_dataset`
// do (local files and folders, ms-swift's registered names, hub repositories, #N, subsets) and
// prints every loaded row as one JSON line on stdout (a count per dataset on stderr).
#include <cstdio>

#include "args/arg_set.h"
#include "commands.h"
#include "core/error.h"
#include "dataset/hub_source.h"
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
  args::StrList adapters, datasets, model_name, model_author;
  args::OptStr columns;
  bool strict = false, shuffle = true;
  args::Int data_seed = 42;
  args::ArgSet set("inspect");
  set.add(datasets, "dataset", "",
          "Datasets to load and print as JSON lines (files, folders, hub ids; #N, :subset)",
          "inspect");
  set.add(model_name, "model_name", "", "Self-cognition model name: Chinese then English",
          "inspect");
  set.add(model_author, "model_author", "", "Self-cognition author: Chinese then English",
          "inspect");
  set.add(columns, "columns", "", "Column renames as JSON, e.g. '{\"a\": \"query\"}'", "inspect");
  set.add(strict, "strict", "", "Fail on the first bad row instead of dropping it", "inspect");
  set.add(shuffle, "dataset_shuffle", "", "#N picks rows at random (else the first rows)",
          "inspect");
  set.add(data_seed, "data_seed", "", "Seed for #N sampling", "inspect");
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
    std::printf("%s", set.help_text("usage: swift inspect --model X [--adapters A ...] | "
                                    "--dataset D [D ...]")
                          .c_str());
    return 0;
  }
  SWIFT_CHECK(!cl.config_file, "[args] swift inspect takes no config file");
  set.apply(cl.assignments);
  if (!datasets.empty()) {
    SWIFT_CHECK(!model.has_value(), "[args] swift inspect takes --model or --dataset, not both");
    dataset::LoadOptions base;
    base.strict = strict;
    base.shuffle = shuffle;
    base.seed = static_cast<std::uint64_t>(data_seed);
    if (columns) {
      SWIFT_CHECK(nlohmann::json::accept(*columns),
                  "[args] --columns must be a JSON object such as '{{\"a\": \"query\"}}'");
      base.columns = nlohmann::ordered_json::parse(*columns);
      SWIFT_CHECK(base.columns.is_object(),
                  "[args] --columns must be a JSON object such as '{{\"a\": \"query\"}}'");
    }
    auto lo = dataset::load_options_with_hub(base, use_hf, model_name, model_author);
    for (const auto& word : datasets) {
      dataset::LoadStats st;
      auto rows = dataset::load_dataset(word, lo, &st);
      for (const auto& r : rows) {
        std::string line = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
      }
      std::fprintf(stderr, "[inspect] %s: %zu rows\n", word.c_str(), rows.size());
    }
    return 0;
  }
  SWIFT_CHECK(model.has_value(),
              "[args] swift inspect needs --model (a folder or a hub id) or --dataset");

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

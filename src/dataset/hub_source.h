// The glue between the dataset loader and the hubs: a SourceFactory that opens dataset
// repositories through hub::DatasetRepo. Kept apart from swift_dataset so that the parsers
// stay free of the network code (and keep their sanitized twins).
#pragma once

#include "dataset/dataset.h"
#include "hub/hub.h"

namespace swift::dataset {

// `options` as for models (endpoints, token, caches, revision = --dataset revision); offline
// also when HF_DATASETS_OFFLINE is set.
SourceFactory hub_source_factory(hub::HubOptions options);

// LoadOptions for a subcommand's dataset arguments: hub access, --use_hf, self-cognition names.
LoadOptions load_options_with_hub(const LoadOptions& base,
                                  bool use_hf_flag,
                                  const std::vector<std::string>& model_name,
                                  const std::vector<std::string>& model_author);

}  // namespace swift::dataset

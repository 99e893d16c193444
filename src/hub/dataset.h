// Dataset repositories on the hubs, in the caches the Python libraries use:
//   Hugging Face: <HF_HUB_CACHE>/datasets--org--name/{refs,snapshots/<commit>,blobs} (the layout
//     huggingface_hub gives `datasets`), listed by /api/datasets/<id>/revision/<rev> and fetched
//     from /datasets/<id>/resolve/<commit>/<file>;
//   ModelScope: <MODELSCOPE_CACHE>/datasets/<org>/<name>/<file> (modelscope's
//     dataset_snapshot_download), listed page by page by /api/v1/datasets/<id>/repo/tree and
//     fetched from /api/v1/datasets/<id>/repo?FilePath=<file>.
// Files are fetched one by one as the loader asks for them (only the subsets and splits a run
// reads), resumed and size/SHA-256-checked as model files are. Offline (HF_HUB_OFFLINE,
// HF_DATASETS_OFFLINE, TRANSFORMERS_OFFLINE) only the cache is read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hub/hub.h"

namespace swift::hub {

class DatasetRepo {
 public:
  // Lists `id` on Hugging Face (`use_hf`) or ModelScope, or reads the cached copy offline.
  // Throws swift::Error naming the dataset, the URL and what to do.
  DatasetRepo(const std::string& id, bool use_hf, const HubOptions& options);
  ~DatasetRepo();
  DatasetRepo(const DatasetRepo&) = delete;
  DatasetRepo& operator=(const DatasetRepo&) = delete;

  const std::vector<std::string>& files() const;
  // The local path of `file` (one of files()), downloaded into the cache first if needed.
  std::string fetch(const std::string& file);
  // "ModelScope dataset org/name" / "Hugging Face dataset org/name".
  std::string describe() const;
  // The folder the files land in (the snapshot folder for Hugging Face).
  std::string local_root() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// HF_HUB_OFFLINE, TRANSFORMERS_OFFLINE or HF_DATASETS_OFFLINE.
bool datasets_offline_from_env();

}  // namespace swift::hub

// hub_source_factory: hub::DatasetRepo behind the loader's DatasetSource interface.
#include "dataset/hub_source.h"

#include <cstdlib>

#include "core/strings.h"
#include "hub/dataset.h"

namespace swift::dataset {

namespace {

class HubSource : public DatasetSource {
 public:
  HubSource(const std::string& id, bool use_hf, const hub::HubOptions& o) : repo_(id, use_hf, o) {}
  const std::vector<std::string>& files() override { return repo_.files(); }
  std::string fetch(const std::string& file) override { return repo_.fetch(file); }
  std::string describe() const override { return repo_.describe(); }

 private:
  hub::DatasetRepo repo_;
};

}  // namespace

SourceFactory hub_source_factory(hub::HubOptions options) {
  options.offline = options.offline || hub::datasets_offline_from_env();
  return
      [options](const std::string& hub, const std::string& id) -> std::unique_ptr<DatasetSource> {
        return std::make_unique<HubSource>(id, hub == "hf", options);
      };
}

LoadOptions load_options_with_hub(const LoadOptions& base,
                                  bool use_hf_flag,
                                  const std::vector<std::string>& model_name,
                                  const std::vector<std::string>& model_author) {
  LoadOptions lo = base;
  hub::HubOptions ho = hub::hub_options_from_env(use_hf_flag, std::nullopt);
  lo.use_hf = ho.use_hf;
  // The token belongs to the hub a dataset is read from; hf:: / ms:: may pick the other one.
  lo.hub_source = [ho](const std::string& hub, const std::string& id) {
    hub::HubOptions o = hub::hub_options_from_env(hub == "hf", std::nullopt);
    if (hub != "hf") {
      // USE_HF=1 with an ms:: dataset: the ModelScope token, not the Hugging Face one.
      const char* t = std::getenv("MODELSCOPE_API_TOKEN");
      o.token = t ? str::trim(t) : std::string();
    }
    o.hf_endpoint = ho.hf_endpoint;
    o.ms_endpoint = ho.ms_endpoint;
    return hub_source_factory(o)(hub, id);
  };
  lo.model_name = model_name;
  lo.model_author = model_author;
  return lo;
}

}  // namespace swift::dataset

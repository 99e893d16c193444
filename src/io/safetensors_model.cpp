// SafetensorsModel: the weights of a model folder, single-file or sharded through
// <stem>.safetensors.index.json. Every shard path from the index is validated (relative, no "..",
// resolving inside the folder) before any shard is opened, so a hostile index cannot make us read
// files elsewhere on disk.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "core/error.h"
#include "core/strings.h"
#include "io/safetensors.h"

namespace swift::io {

namespace {

namespace stdfs = std::filesystem;

// Largest index file accepted: real ones are a few hundred KiB even for 1000-shard models.
constexpr std::uint64_t kMaxIndexSize = 64ull << 20;

// The folder that files of `dir` may resolve into. In a Hugging Face hub cache the snapshot
// folder (models--org--name/snapshots/<rev>) holds symlinks into ../../blobs, which is part of
// the same repository cache, so the repository folder is the root there.
std::string allowed_root(const std::string& dir) {
  std::error_code ec;
  stdfs::path c = stdfs::canonical(dir, ec);
  if (ec) return dir;
  stdfs::path parent = c.parent_path();
  if (parent.filename() == "snapshots" && fs::is_dir((parent.parent_path() / "blobs").string()))
    return parent.parent_path().string();
  return c.string();
}

void check_shard_name(const std::string& index_path,
                      const std::string& tensor,
                      const std::string& shard) {
  SWIFT_CHECK(!shard.empty(), "[io] {}: empty shard file name for tensor \"{}\"", index_path,
              tensor);
  stdfs::path p(shard);
  SWIFT_CHECK(!p.is_absolute(),
              "[io] {}: shard path \"{}\" is absolute; shards must be files inside the model "
              "folder",
              index_path, shard);
  for (const auto& part : p) {
    SWIFT_CHECK(part != "..",
                "[io] {}: shard path \"{}\" contains \"..\"; shards must be files inside the "
                "model folder",
                index_path, shard);
  }
}

}  // namespace

SafetensorsModel::SafetensorsModel(const std::string& dir, const std::string& stem) {
  SWIFT_CHECK(fs::is_dir(dir), "[io] model folder {} does not exist or is not a directory", dir);
  const std::string root = allowed_root(dir);
  const std::string index_path = fs::join(dir, stem + ".safetensors.index.json");
  const std::string single_path = fs::join(dir, stem + ".safetensors");

  if (!fs::exists(index_path)) {
    SWIFT_CHECK(fs::exists(single_path),
                "[io] no {}.safetensors or {}.safetensors.index.json in {}; is this a model "
                "folder with safetensors weights?",
                stem, stem, dir);
    SWIFT_CHECK(fs::is_within(single_path, root),
                "[io] {} resolves outside the model folder (symlink escaping {}); refusing to "
                "open it",
                single_path, root);
    files_.push_back(std::make_unique<SafetensorsFile>(single_path));
    for (const auto& t : files_.back()->tensors())
      refs_.emplace(t.name, Ref{files_.back().get(), &t});
    return;
  }

  SWIFT_CHECK(
      fs::is_within(index_path, root),
      "[io] {} resolves outside the model folder (symlink escaping {}); refusing to open it",
      index_path, root);
  fs::require_file(index_path, "[io]", "re-download the model's index file");
  const std::uint64_t isize = fs::file_size(index_path);
  SWIFT_CHECK(isize <= kMaxIndexSize, "[io] {}: index file too large ({} bytes, limit {})",
              index_path, isize, kMaxIndexSize);
  const std::string text = fs::read_file(index_path, kMaxIndexSize);
  // nlohmann treats NUL as end of input; JSON never holds one, so anything after it is hidden.
  str::check_json_text(text, "[io] " + index_path);

  nlohmann::json idx;
  std::string duplicate;
  {
    // Detect duplicate keys in weight_map (nlohmann silently keeps the last one).
    std::vector<std::unordered_set<std::string>> seen;
    auto cb = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
      using E = nlohmann::json::parse_event_t;
      if (ev == E::object_start) seen.emplace_back();
      if (ev == E::object_end && !seen.empty()) seen.pop_back();
      if (ev == E::key && !seen.empty() && parsed.is_string() &&
          !seen.back().insert(parsed.get<std::string>()).second && duplicate.empty())
        duplicate = parsed.get<std::string>();
      return true;
    };
    try {
      idx = nlohmann::json::parse(text, cb);
    } catch (const nlohmann::json::exception& e) {
      SWIFT_FAIL("[io] {}: index is not valid JSON ({})", index_path,
                 str::json_error_text(e.what()));
    }
  }
  SWIFT_CHECK(duplicate.empty(),
              "[io] {}: duplicate key \"{}\" in index; a tensor may be listed only once",
              index_path, duplicate);
  SWIFT_CHECK(idx.is_object() && idx.contains("weight_map") && idx["weight_map"].is_object(),
              "[io] {}: index has no \"weight_map\" object", index_path);
  const auto& wm = idx["weight_map"];
  SWIFT_CHECK(!wm.empty(), "[io] {}: weight_map is empty; the index lists no tensors", index_path);

  // Validate every path before opening anything.
  std::vector<std::string> shard_order;
  std::unordered_map<std::string, std::size_t> shard_id;
  for (auto it = wm.begin(); it != wm.end(); ++it) {
    SWIFT_CHECK(it.value().is_string(),
                "[io] {}: weight_map value for \"{}\" is not a string; weight_map must map "
                "tensor names to shard file names",
                index_path, it.key());
    const std::string shard = it.value().get<std::string>();
    if (shard_id.count(shard)) continue;
    check_shard_name(index_path, it.key(), shard);
    const std::string sp = fs::join(dir, shard);
    SWIFT_CHECK(fs::is_within(sp, root),
                "[io] {}: shard \"{}\" resolves outside the model folder (symlink escaping {}); "
                "refusing to open it",
                index_path, shard, root);
    SWIFT_CHECK(fs::exists(sp), "[io] {}: missing shard \"{}\" (listed for tensor \"{}\")",
                index_path, shard, it.key());
    shard_id.emplace(shard, shard_order.size());
    shard_order.push_back(shard);
  }

  for (const auto& shard : shard_order)
    files_.push_back(std::make_unique<SafetensorsFile>(fs::join(dir, shard)));

  for (auto it = wm.begin(); it != wm.end(); ++it) {
    const std::string shard = it.value().get<std::string>();
    const SafetensorsFile* f = files_[shard_id.at(shard)].get();
    const TensorInfo* info = f->find(it.key());
    SWIFT_CHECK(info != nullptr,
                "[io] {}: tensor \"{}\" is listed in the index for shard \"{}\" but is missing "
                "from that shard",
                index_path, it.key(), shard);
    refs_.emplace(it.key(), Ref{f, info});
  }
  for (std::size_t i = 0; i < files_.size(); ++i) {
    for (const auto& t : files_[i]->tensors()) {
      auto it = wm.find(t.name);
      SWIFT_CHECK(it != wm.end(),
                  "[io] {}: tensor \"{}\" in shard \"{}\" is not listed in the index", index_path,
                  t.name, shard_order[i]);
      SWIFT_CHECK(it->get<std::string>() == shard_order[i],
                  "[io] {}: tensor \"{}\" is present in shard \"{}\" but the index places it in "
                  "\"{}\" (same tensor in two shards)",
                  index_path, t.name, shard_order[i], it->get<std::string>());
    }
  }
}

const SafetensorsModel::Ref* SafetensorsModel::find(const std::string& name) const {
  auto it = refs_.find(name);
  return it == refs_.end() ? nullptr : &it->second;
}

std::vector<std::string> SafetensorsModel::names() const {
  std::vector<std::string> out;
  out.reserve(refs_.size());
  for (const auto& [k, v] : refs_) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace swift::io

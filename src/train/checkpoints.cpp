// Checkpoint rotation (see checkpoints.h).
#include "train/checkpoints.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/log.h"

namespace swift::train {

namespace stdfs = std::filesystem;

std::vector<std::pair<std::int64_t, std::string>> list_checkpoints(const std::string& output_dir) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(output_dir, ec)) {
    const std::string name = e.path().filename().string();
    const std::string prefix = "checkpoint-";
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size() ||
        name.size() > prefix.size() + 15)
      continue;
    if (name.find_first_not_of("0123456789", prefix.size()) != std::string::npos) continue;
    if (!e.is_directory(ec) || e.is_symlink(ec)) continue;
    out.emplace_back(std::stoll(name.substr(prefix.size())), e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> rotate_checkpoints(const std::string& output_dir,
                                            std::int64_t save_total_limit,
                                            const std::optional<std::string>& best_checkpoint) {
  std::vector<std::string> removed;
  if (save_total_limit <= 0) return removed;
  const auto all = list_checkpoints(output_dir);
  if (static_cast<std::int64_t>(all.size()) <= save_total_limit) return removed;
  std::set<std::string> protected_dirs = {stdfs::path(all.back().second).lexically_normal()};
  if (best_checkpoint) protected_dirs.insert(stdfs::path(*best_checkpoint).lexically_normal());
  const std::int64_t keep =
      std::max<std::int64_t>(save_total_limit, static_cast<std::int64_t>(protected_dirs.size()));
  auto remaining = static_cast<std::int64_t>(all.size());
  for (const auto& [step, path] : all) {
    if (remaining <= keep) break;
    if (protected_dirs.count(stdfs::path(path).lexically_normal())) continue;
    SWIFT_INFO("Deleting older checkpoint [{}] due to save_total_limit = {}", path,
               save_total_limit);
    // Renamed to a hidden name first: a crash midway never leaves a half checkpoint-N.
    std::error_code ec;
    const stdfs::path p(path);
    const stdfs::path hidden = p.parent_path() / ("." + p.filename().string() + ".deleting");
    stdfs::remove_all(hidden, ec);
    stdfs::rename(p, hidden, ec);
    stdfs::remove_all(ec ? p : hidden, ec);
    removed.push_back(path);
    --remaining;
  }
  return removed;
}

}  // namespace swift::train

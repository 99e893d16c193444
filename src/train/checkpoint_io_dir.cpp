// Crash-safe checkpoint folders: staged next to their final place, fsynced, manifest last,
// renamed (or atomically swapped) into place; the checks of what a resume may trust; the files
// ms-swift adds to a run (args.json copies, last/best symlinks).
//
// Not built on exporter::StagedDir: that one writes into an existing folder file by file (an
// export with --exist_ok keeps the user's other files), while a re-saved checkpoint must be
// swapped whole, and it lives in swift_export, which pulls in the model. Its stale-sibling scan
// is the same idea as clean_stale_staging and could move to src/core/fs.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "io/safetensors.h"
#include "train/checkpoint_io.h"
#include "train/checkpoints.h"
#include "train/trainer_state.h"

namespace swift::train {

namespace stdfs = std::filesystem;
using nlohmann::json;

namespace {

std::atomic<int> g_counter{0};

std::string normal_dir(const std::string& dir) {
  stdfs::path p = stdfs::absolute(dir).lexically_normal();
  std::string s = p.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// ".<name>.<tag>-<pid>-<k>" beside `final_dir`.
std::string sibling(const std::string& final_dir, const char* tag) {
  const stdfs::path p(final_dir);
  return (p.parent_path() / ("." + p.filename().string() + "." + tag + "-" +
                             std::to_string(::getpid()) + "-" + std::to_string(g_counter++)))
      .string();
}

void fsync_path(const std::string& path, bool dir) {
  const int fd = ::open(path.c_str(), (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  SWIFT_CHECK(fd >= 0, "[checkpoint] cannot open {} to flush it: {}", path, std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  // Some filesystems refuse fsync on directories (EINVAL); files must flush.
  SWIFT_CHECK(rc == 0 || (dir && (err == EINVAL || err == EROFS)),
              "[checkpoint] flushing {} failed: {}", path, std::strerror(err));
}

// fsyncs every file and folder under `root` (deepest first) and returns the manifest's file
// list: relative path -> size.
json sync_tree(const std::string& root) {
  json files = json::object();
  std::vector<std::string> dirs{root};
  for (auto it = stdfs::recursive_directory_iterator(root);
       it != stdfs::recursive_directory_iterator(); ++it) {
    const auto status = it->symlink_status();
    const std::string path = it->path().string();
    if (stdfs::is_directory(status)) {
      dirs.push_back(path);
    } else if (stdfs::is_regular_file(status)) {
      fsync_path(path, false);
      files[stdfs::relative(it->path(), root).string()] = stdfs::file_size(it->path());
    }
  }
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) fsync_path(*d, true);
  return files;
}

bool mentions(const std::string& msg, int err) {
  return msg.find(std::strerror(err)) != std::string::npos;
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return fmt::format("{:.1f} {}", b, units[u]);
}

// When a save failed for lack of room (a full disk, a quota, the file-size limit), which one and
// the limit; "" for other failures.
std::string room_note(const std::string& final_dir, const std::string& inner) {
  if (mentions(inner, EFBIG)) {
    struct rlimit rl {};
    ::getrlimit(RLIMIT_FSIZE, &rl);
    if (rl.rlim_cur == RLIM_INFINITY) return "a file reached the filesystem's size limit";
    return fmt::format(
        "the file-size limit is full (ulimit -f / RLIMIT_FSIZE is {} for this "
        "process); raise it",
        human_bytes(static_cast<double>(rl.rlim_cur)));
  }
  if (!mentions(inner, ENOSPC) && !mentions(inner, EDQUOT)) return "";
  // No free-space figure: the failed writer has already removed its partial file.
  return fmt::format("the disk{} holding {} is full; free space or lower --save_total_limit",
                     mentions(inner, EDQUOT) ? " quota" : "",
                     stdfs::path(final_dir).parent_path().string());
}

[[noreturn]] void fail_save(const std::string& final_dir,
                            const std::string& inner,
                            const std::string& note) {
  SWIFT_FAIL(
      "[checkpoint] saving {} failed: {}{}{}; nothing of it was kept and the earlier "
      "checkpoints are intact",
      final_dir, inner, note.empty() ? "" : ": ", note);
}

// Puts `staging` at `final_dir`, which exists: swapped atomically where the filesystem can,
// otherwise moved aside first (clean_stale_staging undoes an interrupted swap).
void replace_dir(const std::string& staging, const std::string& final_dir) {
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
    fs::fsync_dir(stdfs::path(final_dir).parent_path().string());
    std::error_code ec;
    stdfs::remove_all(staging, ec);  // now the old checkpoint; a leftover is cleaned next save
    return;
  }
  const int err = errno;
  SWIFT_CHECK(err == EINVAL || err == ENOSYS || err == ENOTSUP || err == EPERM,
              "[checkpoint] cannot swap {} into {}: {}", staging, final_dir, std::strerror(err));
  const std::string old = sibling(final_dir, "old");
  SWIFT_CHECK(::rename(final_dir.c_str(), old.c_str()) == 0,
              "[checkpoint] cannot move {} aside: {}", final_dir, std::strerror(errno));
  if (::rename(staging.c_str(), final_dir.c_str()) != 0) {
    const int e2 = errno;
    ::rename(old.c_str(), final_dir.c_str());
    SWIFT_FAIL("[checkpoint] cannot rename {} to {}: {}", staging, final_dir, std::strerror(e2));
  }
  fs::fsync_dir(stdfs::path(final_dir).parent_path().string());
  std::error_code ec;
  stdfs::remove_all(old, ec);
}

// ".<name>.<tag>-<pid>-<k>" -> name, tag, pid; false for anything else.
bool parse_sibling(const std::string& entry, std::string* name, std::string* tag, pid_t* pid) {
  if (entry.size() < 2 || entry[0] != '.') return false;
  for (const char* t : {"tmp", "old", "del"}) {
    const std::string mark = std::string(".") + t + "-";
    const std::size_t at = entry.rfind(mark);
    if (at == std::string::npos || at < 2) continue;
    const std::string rest = entry.substr(at + mark.size());
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash > 9 || dash + 1 == rest.size()) continue;
    if (rest.find_first_not_of("0123456789-") != std::string::npos) continue;
    if (rest.find('-', dash + 1) != std::string::npos) continue;
    *name = entry.substr(1, at - 1);
    *tag = t;
    *pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    return true;
  }
  return false;
}

bool process_alive(pid_t pid) {
  return pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH;
}

void check_intact(const std::string& dir) {
  SWIFT_CHECK(fs::is_dir(dir), "[checkpoint] {} is {}, not a checkpoint folder", dir,
              fs::kind_of(dir));
  const std::string manifest = fs::join(dir, kCheckpointManifest);
  if (fs::exists(manifest)) {
    const json m = python_json_loads(fs::read_file(manifest, 64ull << 20), manifest);
    SWIFT_CHECK(m.is_object() && m.contains("files") && m["files"].is_object(),
                "[checkpoint] {}: no \"files\" object", manifest);
    for (auto it = m["files"].begin(); it != m["files"].end(); ++it) {
      const std::string path = fs::join(dir, it.key());
      SWIFT_CHECK(it.key().find("..") == std::string::npos && fs::is_within(path, dir),
                  "[checkpoint] {}: entry \"{}\" points outside the folder", manifest, it.key());
      SWIFT_CHECK(fs::is_file(path), "[checkpoint] {} is missing (listed in {})", path, manifest);
      SWIFT_CHECK(it->is_number_unsigned() && it->get<std::uint64_t>() == fs::file_size(path),
                  "[checkpoint] {} has {} bytes, {} says {}", path, fs::file_size(path), manifest,
                  it->dump());
    }
  }
  const std::string state_path = fs::join(dir, "trainer_state.json");
  fs::require_file(state_path, "[checkpoint]", "the checkpoint is incomplete");
  const TrainerState state = TrainerState::read(state_path);
  const std::string name = stdfs::path(dir).filename().string();
  if (name.rfind("checkpoint-", 0) == 0 &&
      name.find_first_not_of("0123456789", 11) == std::string::npos && name.size() > 11) {
    SWIFT_CHECK(std::to_string(state.global_step) == name.substr(11),
                "[checkpoint] {}: global_step is {}, the folder says {}", state_path,
                state.global_step, name.substr(11));
  }
  for (const auto& e : stdfs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string p = e.path().string();
    if (e.path().extension() == ".safetensors") io::SafetensorsFile check(p);
    if (e.path().extension() == ".json") python_json_loads(fs::read_file(p, 1ull << 30), p);
  }
  const bool adapter = fs::is_file(fs::join(dir, "adapter_model.safetensors"));
  const bool full = fs::is_file(fs::join(dir, "model.safetensors")) ||
                    fs::is_file(fs::join(dir, "model.safetensors.index.json"));
  SWIFT_CHECK(adapter || full,
              "[checkpoint] {} has no weights (adapter_model.safetensors, model.safetensors or "
              "model.safetensors.index.json)",
              dir);
  if (full) io::SafetensorsModel shards(dir);  // every shard of the index present and valid
  if (has_training_state(dir)) check_training_state_files(dir);
}

}  // namespace

void write_checkpoint_atomically(const std::string& final_dir_in,
                                 const std::function<void(const std::string& staging)>& fill) {
  const std::string final_dir = normal_dir(final_dir_in);
  const stdfs::path parent = stdfs::path(final_dir).parent_path();
  SWIFT_CHECK(!final_dir.empty() && final_dir != "/" && !parent.empty(),
              "[checkpoint] refusing to write a checkpoint at '{}'", final_dir_in);
  std::error_code ec;
  stdfs::create_directories(parent, ec);
  SWIFT_CHECK(!ec, "[checkpoint] cannot create {}: {}; check the path and permissions",
              parent.string(), ec.message());
  clean_stale_staging(parent.string());
  SWIFT_CHECK(!fs::exists(final_dir) || fs::is_dir(final_dir),
              "[checkpoint] {} exists and is not a folder; move it away", final_dir);
  const std::string staging = sibling(final_dir, "tmp");
  stdfs::create_directory(staging, ec);
  SWIFT_CHECK(!ec, "[checkpoint] cannot create {}: {}; check free space and permissions", staging,
              ec.message());
  try {
    fill(staging);
    const json files = sync_tree(staging);
    fs::write_file_atomic(
        fs::join(staging, kCheckpointManifest),
        python_json_dumps(
            {{"format", "swift.cpp checkpoint manifest"}, {"version", 1}, {"files", files}}) +
            "\n");
    fsync_path(staging, true);
    if (!fs::exists(final_dir)) {
      SWIFT_CHECK(::rename(staging.c_str(), final_dir.c_str()) == 0,
                  "[checkpoint] cannot rename {} to {}: {}", staging, final_dir,
                  std::strerror(errno));
      fs::fsync_dir(parent.string());
    } else {
      replace_dir(staging, final_dir);
    }
  } catch (const std::exception& e) {
    const std::string inner = describe_exception(e);
    const std::string note = room_note(final_dir, inner);
    stdfs::remove_all(staging, ec);
    fail_save(final_dir, inner, note);
  }
}

std::vector<std::string> clean_stale_staging(const std::string& run_dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  std::vector<std::pair<std::string, std::string>> found;  // (tag, entry)
  for (const auto& e : stdfs::directory_iterator(run_dir, ec)) {
    std::string name, tag;
    pid_t pid = 0;
    const std::string entry = e.path().filename().string();
    if (!parse_sibling(entry, &name, &tag, &pid) || process_alive(pid)) continue;
    if (e.is_symlink(ec) || !e.is_directory(ec)) continue;
    found.emplace_back(tag, entry);
  }
  // An interrupted fallback swap: the checkpoint was moved aside and the new one not yet put in
  // its place. Put the old one back (its replacement's staging folder is incomplete or unsure).
  for (const auto& [tag, entry] : found) {
    if (tag != "old") continue;
    std::string name, t;
    pid_t pid = 0;
    parse_sibling(entry, &name, &t, &pid);
    const std::string from = fs::join(run_dir, entry);
    const std::string to = fs::join(run_dir, name);
    if (!fs::exists(to) && ::rename(from.c_str(), to.c_str()) == 0) {
      SWIFT_WARN("[checkpoint] restored {} from {}, left by a save that was stopped (pid {})", to,
                 from, pid);
      fs::fsync_dir(run_dir);
    }
  }
  for (const auto& [tag, entry] : found) {
    const std::string path = fs::join(run_dir, entry);
    if (!fs::exists(path)) continue;
    SWIFT_INFO("[checkpoint] removing {}, left by a save that was stopped", path);
    stdfs::remove_all(path, ec);
    removed.push_back(path);
  }
  return removed;
}

void remove_checkpoint(const std::string& dir_in) {
  const std::string dir = normal_dir(dir_in);
  if (!fs::exists(dir)) return;
  const std::string doomed = sibling(dir, "del");
  SWIFT_CHECK(::rename(dir.c_str(), doomed.c_str()) == 0, "[checkpoint] cannot remove {}: {}", dir,
              std::strerror(errno));
  fs::fsync_dir(stdfs::path(dir).parent_path().string());
  std::error_code ec;
  stdfs::remove_all(doomed, ec);
}

bool is_intact_checkpoint(const std::string& dir, std::string* why) {
  try {
    check_intact(dir);
    return true;
  } catch (const std::exception& e) {
    if (why) *why = describe_exception(e);
    return false;
  }
}

std::optional<std::string> latest_intact_checkpoint(const std::string& run_dir) {
  auto all = list_checkpoints(run_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    std::string why;
    if (is_intact_checkpoint(it->second, &why)) return it->second;
    SWIFT_WARN("[checkpoint] skipping {}: {}", it->second, why);
  }
  return std::nullopt;
}

bool copy_run_args(const std::string& run_dir, const std::string& checkpoint_dir) {
  const std::string src = fs::join(run_dir, "args.json");
  if (!fs::is_file(src)) return false;
  fs::write_file_atomic(fs::join(checkpoint_dir, "args.json"), fs::read_file(src, 64ull << 20));
  return true;
}

void create_checkpoint_symlinks(const std::string& run_dir,
                                const std::string& last_checkpoint,
                                const std::optional<std::string>& best_checkpoint) {
  const auto link = [&](const std::string& target, const char* name) {
    const std::string at = fs::join(run_dir, name);
    const std::string tmp = sibling(at, "tmp");
    const std::string abs = normal_dir(target);
    SWIFT_CHECK(::symlink(abs.c_str(), tmp.c_str()) == 0, "[checkpoint] cannot create {}: {}", at,
                std::strerror(errno));
    if (::rename(tmp.c_str(), at.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      SWIFT_FAIL("[checkpoint] cannot create {}: {}; is it a folder?", at, std::strerror(err));
    }
  };
  link(last_checkpoint, "last");
  if (best_checkpoint) link(*best_checkpoint, "best");
  fs::fsync_dir(run_dir);
}

}  // namespace swift::train

// Checkpoint files and crash-safe saving: training state round trips bit-exactly and damaged
// files fail clearly; a checkpoint folder appears whole or not at all under kill -9 at random
// moments (50 kills) and under a full file-size limit; stale staging folders are cleaned.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "common/test_util.h"
#include "io/safetensors.h"
#include "train/checkpoint_io.h"
#include "train/checkpoints.h"
#include "train/trainer_state.h"

namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;
using swift::testing::expect_error;
using swift::testing::fresh_dir;
using swift::testing::read_file;
using swift::testing::write_file;
namespace train = swift::train;

class CheckpointIo : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::err); }
  void TearDown() override {
    spdlog::set_level(spdlog::level::info);
    // fresh_dir's folders of this process: the kill test alone leaves ~10 MB.
    const std::string mine = "swift_ckio_" + std::to_string(::getpid()) + "_";
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(stdfs::temp_directory_path(), ec))
      if (e.path().filename().string().rfind(mine, 0) == 0) stdfs::remove_all(e.path(), ec);
  }
};

train::TrainingState sample_state() {
  at::manual_seed(7);
  train::TrainingState s;
  s.optimizer.step = 12;
  s.optimizer.param_groups = {
      {{{"lr", 1e-4 / 3}, {"betas", {0.9, 0.95}}, {"eps", 1e-8}, {"weight_decay", 0.1}},
       {"a.lora_A.weight", "a.lora_B.weight"}},
      {{{"lr", 1e-4 / 3}, {"betas", {0.9, 0.95}}, {"eps", 1e-8}, {"weight_decay", 0.0}},
       {"norm.weight"}}};
  s.optimizer.state["a.lora_A.weight"] = {
      12, {{"exp_avg", at::randn({8, 16})}, {"exp_avg_sq", at::rand({8, 16}) * 1e-9}}};
  s.optimizer.state["a.lora_B.weight"] = {11,
                                          {{"exp_avg", at::randn({16, 8}).to(at::kBFloat16)},
                                           {"exp_avg_sq", at::rand({16, 8}).to(at::kBFloat16)}}};
  // norm.weight never updated yet: no state, as torch keeps it.
  s.scheduler.type = "cosine";
  s.scheduler.step = 12;
  s.scheduler.base_lrs = {1e-4 / 3, 1e-4 / 3};
  s.scheduler.last_lrs = {3.0000000000000001e-05, 0.1 + 0.2};
  s.scheduler.params = {{"num_warmup_steps", 3}, {"num_training_steps", 30}};
  s.rng = train::capture_rng_state();
  s.rng.seeds = {{"seed", 42}, {"data_seed", 18446744073709551615ull}};
  std::mt19937_64 engine(42);
  engine.discard(1000);
  s.rng.engines["shuffle"] = train::engine_state(engine);
  s.data.epoch = 1;
  s.data.batch_in_epoch = 17;
  s.data.consumed_samples = 1234;
  s.data.extra = {{"shuffle_seed", 42}};
  return s;
}

void expect_same_tensor(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  EXPECT_EQ(a.scalar_type(), b.scalar_type()) << what;
  EXPECT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_TRUE(at::equal(a, b)) << what;  // bit-exact (no NaN in these)
}

TEST_F(CheckpointIo, TrainingStateRoundTripsBitExactly) {
  const std::string dir = fresh_dir("swift_ckio", "roundtrip");
  const train::TrainingState s = sample_state();
  train::save_training_state(dir, s);
  const train::TrainingState r = train::load_training_state(dir);
  EXPECT_EQ(r.optimizer.optimizer, "adamw_torch");
  EXPECT_EQ(r.optimizer.step, 12);
  ASSERT_EQ(r.optimizer.param_groups.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.optimizer.param_groups[i].params, s.optimizer.param_groups[i].params);
    EXPECT_EQ(r.optimizer.param_groups[i].hyperparameters,
              s.optimizer.param_groups[i].hyperparameters);
  }
  EXPECT_EQ(r.optimizer.param_groups[0].hyperparameters["lr"].get<double>(), 1e-4 / 3);
  ASSERT_EQ(r.optimizer.state.size(), 2u);
  for (const auto& [name, ps] : s.optimizer.state) {
    const auto& got = r.optimizer.state.at(name);
    EXPECT_EQ(got.step, ps.step);
    ASSERT_EQ(got.tensors.size(), ps.tensors.size());
    for (const auto& [key, t] : ps.tensors) expect_same_tensor(got.tensors.at(key), t, name + key);
  }
  EXPECT_EQ(r.scheduler.type, "cosine");
  EXPECT_EQ(r.scheduler.step, 12);
  EXPECT_EQ(r.scheduler.base_lrs, s.scheduler.base_lrs);  // exact doubles
  EXPECT_EQ(r.scheduler.last_lrs, s.scheduler.last_lrs);
  EXPECT_EQ(r.scheduler.params, s.scheduler.params);
  expect_same_tensor(r.rng.cpu, s.rng.cpu, "cpu rng");
  EXPECT_EQ(r.rng.seeds, s.rng.seeds);
  EXPECT_EQ(r.rng.engines, s.rng.engines);
  EXPECT_EQ(r.data.epoch, 1);
  EXPECT_EQ(r.data.batch_in_epoch, 17);
  EXPECT_EQ(r.data.consumed_samples, 1234);
  EXPECT_EQ(r.data.extra, s.data.extra);

  // The restored generators continue where the saved ones were.
  const at::Tensor want = at::randn({64});
  at::randn({5});
  train::restore_rng_state(r.rng);
  EXPECT_TRUE(at::equal(at::randn({64}), want));
  std::mt19937_64 a(42), b;
  a.discard(1000);
  train::restore_engine(r.rng.engines.at("shuffle"), &b, "shuffle");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a(), b());

  // Saved twice, the files are the same bytes.
  const std::string again = fresh_dir("swift_ckio", "roundtrip2");
  train::save_training_state(again, r);
  for (const char* f : {"optimizer.json", "optimizer.safetensors", "scheduler.json",
                        "rng_state.json", "rng_state.safetensors", "data_cursor.json"})
    EXPECT_EQ(read_file(dir + "/" + f), read_file(again + "/" + f)) << f;
  EXPECT_NO_THROW(train::check_training_state_files(dir));
}

TEST_F(CheckpointIo, OptimizerMustMatchTheModel) {
  const train::TrainingState s = sample_state();
  std::vector<std::pair<std::string, at::Tensor>> params = {{"a.lora_A.weight", at::zeros({8, 16})},
                                                            {"a.lora_B.weight", at::zeros({16, 8})},
                                                            {"norm.weight", at::zeros({16})}};
  EXPECT_NO_THROW(train::check_optimizer_matches(s.optimizer, params, "ckpt"));
  auto wrong_shape = params;
  wrong_shape[0].second = at::zeros({4, 16});
  expect_error([&] { train::check_optimizer_matches(s.optimizer, wrong_shape, "ckpt"); },
               {"ckpt", "a.lora_A.weight", "[8,16]", "[4,16]"});
  auto other = params;
  other[2].first = "lm_head.weight";
  expect_error([&] { train::check_optimizer_matches(s.optimizer, other, "ckpt"); },
               {"norm.weight", "does not train", "--resume_only_model"});
  auto fewer = params;
  fewer.push_back({"extra.weight", at::zeros({2})});
  expect_error([&] { train::check_optimizer_matches(s.optimizer, fewer, "ckpt"); },
               {"3 parameters", "trains 4"});
  auto swapped = params;
  std::swap(swapped[0], swapped[1]);
  expect_error([&] { train::check_optimizer_matches(s.optimizer, swapped, "ckpt"); },
               {"order changed"});
}

// Rewrites one JSON file of `dir` through `edit`.
void edit_json(const std::string& path, const std::function<void(json&)>& edit) {
  json j = train::python_json_loads(read_file(path), path);
  edit(j);
  write_file(path, train::python_json_dumps(j) + "\n");
}

TEST_F(CheckpointIo, DamagedTrainingStateFailsNamingFileAndField) {
  const std::string base = fresh_dir("swift_ckio", "damaged_base");
  train::save_training_state(base, sample_state());
  int n = 0;
  const auto fresh = [&]() {
    const std::string d = fresh_dir("swift_ckio", "damaged" + std::to_string(n++));
    for (const auto& e : stdfs::directory_iterator(base)) stdfs::copy(e.path(), d);
    return d;
  };
  const auto load = [](const std::string& d) { return [d] { train::load_training_state(d); }; };

  std::string d = fresh();
  stdfs::remove(d + "/optimizer.json");
  expect_error(load(d), {"optimizer.json", "not found", "--resume_only_model"});

  d = fresh();
  std::string bytes = read_file(d + "/optimizer.safetensors");
  write_file(d + "/optimizer.safetensors", bytes.substr(0, bytes.size() - 100));
  expect_error(load(d), {"optimizer.safetensors"});

  d = fresh();
  bytes = read_file(d + "/scheduler.json");
  write_file(d + "/scheduler.json", bytes.substr(0, bytes.size() / 2));
  expect_error(load(d), {"scheduler.json", "not valid JSON"});

  d = fresh();
  edit_json(d + "/optimizer.json", [](json& j) {
    j["state"]["a.lora_A.weight"]["tensors"]["exp_avg"]["shape"] = {8, 15};
  });
  expect_error(load(d), {"optimizer.safetensors", "a.lora_A.weight.exp_avg", "[8,16]", "[8,15]"});

  d = fresh();
  edit_json(d + "/optimizer.json",
            [](json& j) { j["state"]["a.lora_B.weight"]["tensors"]["exp_avg"]["dtype"] = "F32"; });
  expect_error(load(d), {"a.lora_B.weight.exp_avg", "is BF16", "says F32"});

  d = fresh();
  edit_json(d + "/optimizer.json",
            [](json& j) { j["state"]["a.lora_A.weight"]["tensors"].erase("exp_avg_sq"); });
  expect_error(load(d), {"optimizer.safetensors holds 4 tensors", "lists 3"});

  d = fresh();
  edit_json(d + "/optimizer.json",
            [](json& j) { j["state"]["ghost.weight"] = j["state"]["a.lora_A.weight"]; });
  expect_error(load(d), {"optimizer.json", "ghost.weight", "no param group"});

  d = fresh();
  edit_json(d + "/scheduler.json", [](json& j) { j["step"] = "12"; });
  expect_error(load(d), {"scheduler.json", "field \"step\"", "an integer"});

  d = fresh();
  edit_json(d + "/scheduler.json", [](json& j) { j["base_lrs"] = {1e-4}; });
  expect_error(load(d), {"1 base_lrs", "2 param groups"});

  d = fresh();
  edit_json(d + "/data_cursor.json", [](json& j) { j["batch_in_epoch"] = -1; });
  expect_error(load(d), {"data_cursor.json", "batch_in_epoch", ">= 0"});

  d = fresh();
  edit_json(d + "/data_cursor.json", [](json& j) { j.erase("consumed_samples"); });
  expect_error(load(d), {"data_cursor.json", "field \"consumed_samples\" is missing"});

  d = fresh();
  edit_json(d + "/rng_state.json", [](json& j) { j["engines"]["shuffle"] = "1 2 3"; });
  expect_error(load(d), {"rng_state.json", "shuffle", "mt19937_64"});

  d = fresh();
  edit_json(d + "/optimizer.json", [](json& j) { j["version"] = 2; });
  expect_error(load(d), {"optimizer.json", "version 2"});

  d = fresh();
  edit_json(d + "/rng_state.json", [](json& j) { j["cuda_devices"] = 1; });
  expect_error(load(d), {"rng_state.json", "1 CUDA devices"});

  // A CPU generator state of the wrong size is refused by restore, with a clear message.
  train::RngState bad = sample_state().rng;
  bad.cpu = at::zeros({10}, at::kByte);
  expect_error([&] { train::restore_rng_state(bad); }, {"CPU generator state", "10 bytes"});
}

// ---- atomic folders ----

// A checkpoint as the trainer writes one, without libtorch (the fork tests use it): weights of
// `bytes` bytes whose values encode (step, rep), adapter_config.json and trainer_state.json.
void fill_checkpoint(const std::string& dir, std::int64_t step, int rep, std::size_t bytes) {
  std::vector<float> w(bytes / 4, static_cast<float>(step * 10 + rep));
  swift::io::write_safetensors(dir + "/adapter_model.safetensors",
                               {{"base_model.model.w.lora_A.weight",
                                 swift::io::DType::kF32,
                                 {static_cast<std::int64_t>(w.size())},
                                 w.data(),
                                 w.size() * 4}});
  swift::fs::write_file_atomic(dir + "/adapter_config.json", "{\"r\": 8}\n");
  train::TrainerState ts;
  ts.global_step = step;
  ts.max_steps = 1000;
  ts.record_log({{"loss", 1.0 / (step + 1)}, {"rep", rep}});
  ts.write(dir + "/trainer_state.json");
}

std::vector<std::string> hidden_entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir))
    if (e.path().filename().string()[0] == '.') out.push_back(e.path().filename());
  return out;
}

pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST_F(CheckpointIo, AtomicWriteReplaceAndFailure) {
  const std::string run = fresh_dir("swift_ckio", "atomic");
  const std::string ck = run + "/checkpoint-5";
  train::write_checkpoint_atomically(ck,
                                     [](const std::string& d) { fill_checkpoint(d, 5, 0, 4096); });
  std::string why;
  EXPECT_TRUE(train::is_intact_checkpoint(ck, &why)) << why;
  const json manifest = json::parse(read_file(ck + "/checkpoint_manifest.json"));
  EXPECT_EQ(manifest["files"]["adapter_model.safetensors"],
            stdfs::file_size(ck + "/adapter_model.safetensors"));
  EXPECT_TRUE(hidden_entries(run).empty());

  // Re-saving the same step replaces it whole.
  train::write_checkpoint_atomically(ck,
                                     [](const std::string& d) { fill_checkpoint(d, 5, 1, 8192); });
  EXPECT_TRUE(train::is_intact_checkpoint(ck, &why)) << why;
  EXPECT_GT(stdfs::file_size(ck + "/adapter_model.safetensors"), 8192u);
  EXPECT_NE(read_file(ck + "/trainer_state.json").find("\"rep\": 1"), std::string::npos);
  EXPECT_TRUE(hidden_entries(run).empty());

  // A fill that fails leaves no staging folder and the earlier checkpoint as it was.
  const std::string before = read_file(ck + "/trainer_state.json");
  expect_error(
      [&] {
        train::write_checkpoint_atomically(ck, [](const std::string& d) {
          fill_checkpoint(d, 5, 2, 4096);
          SWIFT_FAIL("[test] tokenizer copy failed");
        });
      },
      {"saving", "checkpoint-5", "tokenizer copy failed", "earlier checkpoints are intact"});
  EXPECT_TRUE(hidden_entries(run).empty());
  EXPECT_EQ(read_file(ck + "/trainer_state.json"), before);

  // Leftovers of dead processes go at the next save; an interrupted fallback swap is undone.
  const pid_t dead = dead_pid();
  const std::string stale = run + "/.checkpoint-9.tmp-" + std::to_string(dead) + "-0";
  stdfs::create_directories(stale + "/sub");
  const std::string mine = run + "/.checkpoint-9.tmp-" + std::to_string(::getpid()) + "-99";
  stdfs::create_directories(mine);
  const std::string moved = run + "/.checkpoint-7.old-" + std::to_string(dead) + "-3";
  stdfs::create_directories(moved);
  fill_checkpoint(moved, 7, 0, 1024);
  train::write_checkpoint_atomically(run + "/checkpoint-10",
                                     [](const std::string& d) { fill_checkpoint(d, 10, 0, 1024); });
  EXPECT_FALSE(stdfs::exists(stale));
  EXPECT_TRUE(stdfs::exists(mine));  // a live process's (ours) is left alone
  stdfs::remove_all(mine);
  EXPECT_TRUE(train::is_intact_checkpoint(run + "/checkpoint-7", &why)) << why;
  EXPECT_TRUE(hidden_entries(run).empty());
  EXPECT_EQ(train::latest_intact_checkpoint(run), run + "/checkpoint-10");

  train::remove_checkpoint(run + "/checkpoint-10");
  EXPECT_FALSE(stdfs::exists(run + "/checkpoint-10"));
  EXPECT_TRUE(hidden_entries(run).empty());
  EXPECT_EQ(train::latest_intact_checkpoint(run), run + "/checkpoint-7");
}

TEST_F(CheckpointIo, IntactCheckCatchesDamage) {
  const std::string run = fresh_dir("swift_ckio", "intact");
  for (int step : {1, 2, 3})
    train::write_checkpoint_atomically(
        run + "/checkpoint-" + std::to_string(step),
        [step](const std::string& d) { fill_checkpoint(d, step, 0, 2048); });
  std::string why;
  const std::string c3 = run + "/checkpoint-3";
  EXPECT_TRUE(train::is_intact_checkpoint(c3, &why)) << why;

  const std::string w = read_file(c3 + "/adapter_model.safetensors");
  write_file(c3 + "/adapter_model.safetensors", w.substr(0, w.size() - 8));
  EXPECT_FALSE(train::is_intact_checkpoint(c3, &why));
  EXPECT_NE(why.find("adapter_model.safetensors"), std::string::npos) << why;
  EXPECT_EQ(train::latest_intact_checkpoint(run), run + "/checkpoint-2");

  // Without a manifest (a checkpoint from ms-swift), the structural checks still catch it.
  stdfs::remove(c3 + "/checkpoint_manifest.json");
  EXPECT_FALSE(train::is_intact_checkpoint(c3, &why));
  EXPECT_NE(why.find("adapter_model.safetensors"), std::string::npos) << why;
  write_file(c3 + "/adapter_model.safetensors", w);
  EXPECT_TRUE(train::is_intact_checkpoint(c3, &why)) << why;

  const std::string c2 = run + "/checkpoint-2";
  stdfs::remove(c2 + "/trainer_state.json");
  EXPECT_FALSE(train::is_intact_checkpoint(c2, &why));
  EXPECT_NE(why.find("trainer_state.json"), std::string::npos) << why;

  const std::string c1 = run + "/checkpoint-1";
  stdfs::rename(c1, run + "/checkpoint-4");
  EXPECT_FALSE(train::is_intact_checkpoint(run + "/checkpoint-4", &why));
  EXPECT_NE(why.find("global_step is 1, the folder says 4"), std::string::npos) << why;
  EXPECT_EQ(train::latest_intact_checkpoint(run), c3);

  // A checkpoint with training state is intact only when that state is complete.
  train::write_checkpoint_atomically(run + "/checkpoint-5", [](const std::string& d) {
    fill_checkpoint(d, 5, 0, 2048);
    train::save_training_state(d, sample_state());
  });
  EXPECT_TRUE(train::is_intact_checkpoint(run + "/checkpoint-5", &why)) << why;
  stdfs::remove(run + "/checkpoint-5/checkpoint_manifest.json");
  stdfs::remove(run + "/checkpoint-5/rng_state.safetensors");
  EXPECT_FALSE(train::is_intact_checkpoint(run + "/checkpoint-5", &why));
  EXPECT_NE(why.find("rng_state.safetensors"), std::string::npos) << why;
  EXPECT_FALSE(train::latest_intact_checkpoint(fresh_dir("swift_ckio", "empty")).has_value());
}

// (a) kill -9 at random moments of a save loop, 50 times: every checkpoint-N left is intact and
// there is always one to resume from.
TEST_F(CheckpointIo, KillNineDuringSavesNeverLeavesAHalfCheckpoint) {
  const std::string run = fresh_dir("swift_ckio", "kill9");
  train::write_checkpoint_atomically(
      run + "/checkpoint-1", [](const std::string& d) { fill_checkpoint(d, 1, 0, 1 << 20); });
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> delay_us(0, 200000);
  int saves_seen = 0;
  int killed_mid_save = 0;  // rounds that left a staging folder behind
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 50; ++round) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child resumes from the latest checkpoint and saves on: each step twice (the second
      // replaces the first), 3 MB each, keeping the last 3 steps.
      std::int64_t step = 1;
      if (auto latest = train::latest_intact_checkpoint(run))
        step = train::TrainerState::read(*latest + "/trainer_state.json").global_step;
      for (;;) {
        ++step;
        for (int rep = 0; rep < 2; ++rep)
          train::write_checkpoint_atomically(
              run + "/checkpoint-" + std::to_string(step),
              [&](const std::string& d) { fill_checkpoint(d, step, rep, 3 << 20); });
        train::remove_checkpoint(run + "/checkpoint-" + std::to_string(step - 3));
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saving child stopped on its own: " << status;

    const auto all = train::list_checkpoints(run);
    ASSERT_FALSE(all.empty());
    for (const auto& [step, path] : all) {
      std::string why;
      ASSERT_TRUE(train::is_intact_checkpoint(path, &why)) << "round " << round << ": " << why;
    }
    const auto latest = train::latest_intact_checkpoint(run);
    ASSERT_TRUE(latest.has_value()) << "round " << round;
    saves_seen = static_cast<int>(all.back().first);
    const std::size_t leftovers = hidden_entries(run).size();
    EXPECT_LE(leftovers, 2u) << "stale staging folders pile up";
    if (leftovers > 0) ++killed_mid_save;
  }
  EXPECT_GT(saves_seen, 10) << "the kills came too early to test anything";
  EXPECT_GT(killed_mid_save, 10) << "too few kills landed inside a save";
  train::clean_stale_staging(run);
  EXPECT_TRUE(hidden_entries(run).empty());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, 20.0);
  std::printf("[kill9] 50 kills in %.1f s, %d inside a save; reached checkpoint-%d\n", secs,
              killed_mid_save, saves_seen);
}

// (b) A full file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG): the save
// fails with an error naming the file and the limit, leaves no staging folder, and the previous
// checkpoint is intact.
TEST_F(CheckpointIo, FullFileSizeLimitFailsCleanly) {
  const std::string run = fresh_dir("swift_ckio", "full");
  train::write_checkpoint_atomically(run + "/checkpoint-1",
                                     [](const std::string& d) { fill_checkpoint(d, 1, 0, 4096); });
  const train::TrainingState big = [] {
    train::TrainingState s = sample_state();
    s.optimizer.state["a.lora_A.weight"].tensors["exp_avg"] = at::randn({8, 16}).repeat({512, 1});
    s.optimizer.state["a.lora_A.weight"].tensors["exp_avg_sq"] = at::rand({4096, 16});
    return s;
  }();
  for (int variant = 0; variant < 2; ++variant) {
    const std::string msg_path = run + "/../swift_ckio_full_msg_" + std::to_string(::getpid());
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::signal(SIGXFSZ, SIG_IGN);
      struct rlimit rl {};
      rl.rlim_cur = rl.rlim_max = 64 * 1024;
      ::setrlimit(RLIMIT_FSIZE, &rl);
      int code = 1;
      std::string msg = "no error";
      try {
        train::write_checkpoint_atomically(run + "/checkpoint-2", [&](const std::string& d) {
          if (variant == 0) {
            fill_checkpoint(d, 2, 0, 1 << 20);  // the weights overflow
          } else {
            fill_checkpoint(d, 2, 0, 1024);
            train::save_training_state(d, big);  // the optimizer overflows
          }
        });
      } catch (const swift::Error& e) {
        msg = e.what();
        code = 0;
      }
      // The limit is lifted to report back (it applies to this process only).
      rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
      ::setrlimit(RLIMIT_FSIZE, &rl);
      std::ofstream(msg_path) << msg;
      ::_exit(code);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    const std::string msg = read_file(msg_path);
    stdfs::remove(msg_path);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << msg;
    EXPECT_NE(msg.find(variant == 0 ? "adapter_model.safetensors" : "optimizer.safetensors"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("File too large"), std::string::npos) << msg;
    EXPECT_NE(msg.find("file-size limit is full"), std::string::npos) << msg;
    EXPECT_NE(msg.find("checkpoint-2"), std::string::npos) << msg;
    std::printf("[efbig] %s\n", msg.c_str());
    EXPECT_FALSE(stdfs::exists(run + "/checkpoint-2"));
    EXPECT_TRUE(hidden_entries(run).empty());
    std::string why;
    EXPECT_TRUE(train::is_intact_checkpoint(run + "/checkpoint-1", &why)) << why;
    EXPECT_EQ(train::latest_intact_checkpoint(run), run + "/checkpoint-1");
  }
}

// (b') A really full disk (ENOSPC): a 1 MiB tmpfs mounted in a private mount namespace of a
// child. Skipped where the machine does not allow that (no root, no user namespaces).
TEST_F(CheckpointIo, FullDiskFailsCleanly) {
  const std::string base = fresh_dir("swift_ckio", "enospc");
  const std::string mnt = base + "/mnt";
  stdfs::create_directories(mnt);
  const std::string msg_path = base + "/msg";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) ::_exit(77);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(77);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) ::_exit(77);
    std::string msg = "no error";
    int code = 1;
    try {
      train::write_checkpoint_atomically(
          mnt + "/checkpoint-1", [](const std::string& d) { fill_checkpoint(d, 1, 0, 4096); });
      try {
        train::write_checkpoint_atomically(
            mnt + "/checkpoint-2", [](const std::string& d) { fill_checkpoint(d, 2, 0, 4 << 20); });
      } catch (const swift::Error& e) {
        msg = e.what();
        std::string why;
        if (!hidden_entries(mnt).empty()) msg += " | STAGING LEFT";
        if (stdfs::exists(mnt + "/checkpoint-2")) msg += " | CHECKPOINT-2 EXISTS";
        if (!train::is_intact_checkpoint(mnt + "/checkpoint-1", &why)) msg += " | " + why;
        code = 0;
      }
    } catch (const std::exception& e) {
      msg = std::string("setup failed: ") + e.what();
    }
    std::ofstream(msg_path) << msg;
    ::_exit(code);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot mount a small tmpfs here";
  const std::string msg = read_file(msg_path);
  ASSERT_EQ(WEXITSTATUS(status), 0) << msg;
  EXPECT_NE(msg.find("adapter_model.safetensors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No space left on device"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the disk holding " + mnt + " is full"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(" | "), std::string::npos) << msg;
  std::printf("[enospc] %s\n", msg.c_str());
}

TEST_F(CheckpointIo, MsSwiftRunFiles) {
  const std::string run = fresh_dir("swift_ckio", "msswift");
  const std::string ck = run + "/checkpoint-3";
  stdfs::create_directories(ck);
  EXPECT_FALSE(train::copy_run_args(run, ck));
  write_file(run + "/args.json", "{\n  \"model\": \"Qwen/Qwen3-0.6B\"\n}\n");
  EXPECT_TRUE(train::copy_run_args(run, ck));
  EXPECT_EQ(read_file(ck + "/args.json"), read_file(run + "/args.json"));
  stdfs::create_directories(run + "/checkpoint-1");
  train::create_checkpoint_symlinks(run, ck, run + "/checkpoint-1");
  EXPECT_EQ(stdfs::read_symlink(run + "/last"), ck);
  EXPECT_EQ(stdfs::read_symlink(run + "/best"), run + "/checkpoint-1");
  train::create_checkpoint_symlinks(run, run + "/checkpoint-1", std::nullopt);  // replaced
  EXPECT_EQ(stdfs::read_symlink(run + "/last"), run + "/checkpoint-1");
  EXPECT_TRUE(hidden_entries(run).empty());
}

}  // namespace

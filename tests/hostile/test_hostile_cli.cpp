// The hardening findings, end to end through the `swift` binary with generated inputs: writes
// that are ours alone (--exist_ok, temp folders of killed runs), files that are not files,
// numeric paths that must compute what transformers/peft compute or refuse (activations,
// temperature, adapter ranks/dtypes/NaN, float16, max_new_tokens), size bombs, and an
// interactive session that survives a bad turn. Every output is also checked (run_command.h)
// for raw library text.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/e2e_model.h"
#include "common/jsonl.h"
#include "common/run_command.h"
#include "common/test_util.h"

namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;
using Result = swift::testing::CommandResult;

const std::string kHf = std::string(SWIFT_SOURCE_DIR) + "/tests/data/hf/";

// `timeout` turns a hang into a failure (exit 124) instead of a stuck suite.
Result run(const std::string& args, const std::string& cwd = "", int seconds = 300) {
  std::string cmd = "env -u NPROC_PER_NODE -u WORLD_SIZE HF_HUB_OFFLINE=1 timeout -s KILL " +
                    std::to_string(seconds) + " " + std::string(SWIFT_BIN) + " " + args + " 2>&1";
  if (!cwd.empty()) cmd = "cd '" + cwd + "' && " + cmd;
  return swift::testing::run_command(cmd);
}

using swift::testing::read_file;
using swift::testing::write_file;

std::string temp_dir(const std::string& name) {
  return swift::testing::fresh_dir("swift_hostile_cli", name);
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A copy of a fixture folder (model or adapter).
std::string copy_of(const std::string& from, const std::string& to) {
  stdfs::create_directories(to);
  stdfs::copy(from, to, stdfs::copy_options::recursive | stdfs::copy_options::overwrite_existing);
  return to;
}

// An adapter checkpoint of the llama fixture naming its base.
std::string adapter_copy(const std::string& dir, const std::string& name = "checkpoint-10") {
  const std::string out = copy_of(kHf + "llama/adapter", dir + "/" + name);
  auto cfg = json::parse(read_file(out + "/adapter_config.json"));
  cfg["base_model_name_or_path"] = kHf + "llama";
  write_file(out + "/adapter_config.json", cfg.dump(2));
  return out;
}

// Rewrites a safetensors header in place (same length, padded with spaces) through `edit`.
void edit_safetensors_header(const std::string& path, const std::function<void(json&)>& edit) {
  std::string bytes = read_file(path);
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  json h = json::parse(bytes.substr(8, n));
  edit(h);
  std::string text = h.dump();
  ASSERT_LE(text.size(), n);
  text.resize(n, ' ');
  bytes.replace(8, n, text);
  write_file(path, bytes);
}

std::vector<std::string> hidden_temp_entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (name.rfind('.', 0) == 0 && (has(name, ".tmp-") || has(name, ".old-"))) out.push_back(name);
  }
  return out;
}

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
  pid_t p = ::fork();
  if (p == 0) ::_exit(0);
  int status = 0;
  ::waitpid(p, &status, 0);
  return p;
}

// ---- 1. --exist_ok never removes what the command did not write -------------------------------

TEST(HostileCli, ExistOkKeepsForeignFiles) {
  const std::string dir = temp_dir("exist_ok");
  const std::string ckpt = adapter_copy(dir);
  const std::string out = dir + "/out";
  stdfs::create_directories(out + "/notes");
  write_file(out + "/README.txt", "mine");
  write_file(out + "/notes/a.txt", "also mine");
  write_file(out + "/model-00001-of-00009.safetensors", "stale shard of an earlier export");
  Result r = run("export --merge_lora true --adapters " + ckpt + " --output_dir " + out +
                 " --exist_ok true");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_file(out + "/README.txt"), "mine");
  EXPECT_EQ(read_file(out + "/notes/a.txt"), "also mine");
  EXPECT_TRUE(stdfs::is_regular_file(out + "/model.safetensors"));
  EXPECT_TRUE(stdfs::is_regular_file(out + "/config.json"));
  EXPECT_FALSE(stdfs::exists(out + "/model-00001-of-00009.safetensors"));  // ours, stale
  EXPECT_TRUE(hidden_temp_entries(dir).empty());

  // --output_dir . in a folder full of the user's files: merge-lora writes beside them.
  const std::string cwd = dir + "/work";
  stdfs::create_directories(cwd + "/src");
  write_file(cwd + "/thesis.tex", "precious");
  write_file(cwd + "/src/main.c", "int main(){}");
  r = run("merge-lora --adapters " + ckpt + " --output_dir . --exist_ok true", cwd);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_file(cwd + "/thesis.tex"), "precious");
  EXPECT_EQ(read_file(cwd + "/src/main.c"), "int main(){}");
  EXPECT_TRUE(stdfs::is_regular_file(cwd + "/model.safetensors"));
  EXPECT_TRUE(hidden_temp_entries(dir).empty());
  stdfs::remove_all(dir);
}

// ---- 5. temp folders of killed runs are removed by the next run --------------------------------

TEST(HostileCli, TempFoldersOfKilledRunsAreRemoved) {
  const std::string dir = temp_dir("stale_tmp");
  const std::string ckpt = adapter_copy(dir);
  // What kill -9 in the middle of a merge leaves: a staging folder with a partial file.
  const std::string stale = dir + "/.checkpoint-10-merged.tmp-" + std::to_string(dead_pid()) + "-0";
  stdfs::create_directories(stale);
  write_file(stale + "/model.safetensors", "partial");
  // One staged by a live process (this test) is someone else's write in progress: kept.
  const std::string live = dir + "/.checkpoint-10-merged.tmp-" + std::to_string(::getpid()) + "-7";
  stdfs::create_directories(live);
  Result r = run("merge-lora --adapters " + ckpt);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_FALSE(stdfs::exists(stale));
  EXPECT_TRUE(stdfs::exists(live));
  stdfs::remove_all(live);

  // A real kill -9 at some moment of a merge, then a run to completion: nothing hidden stays.
  stdfs::remove_all(ckpt + "-merged");
  for (const char* when : {"0.05", "0.3", "1"}) {
    swift::testing::run_command("timeout -s KILL " + std::string(when) + " " +
                                std::string(SWIFT_BIN) + " merge-lora --adapters " + ckpt +
                                " >/dev/null 2>&1");
    r = run("export --merge_lora true --exist_ok true --adapters " + ckpt);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(hidden_temp_entries(dir).empty()) << when;
  }
  stdfs::remove_all(dir);
}

TEST(HostileCli, CreateModelRefusesAbsurdSizesBeforeWriting) {
  const std::string dir = temp_dir("absurd");
  const std::string tok = swift::testing::tokenizer_asset_dir("qwen3");
  if (!stdfs::exists(tok + "/tokenizer.json")) GTEST_SKIP() << "tokenizer test asset missing";
  for (const std::string sizes :
       {"--hidden_size 65536 --num_hidden_layers 512",
        "--hidden_size 4096 --intermediate_size 10000000000", "--num_hidden_layers 1000000000",
        // within every range, but terabytes: the memory check
        "--hidden_size 8192 --num_attention_heads 64 --num_key_value_heads 8 "
        "--intermediate_size 65536 --num_hidden_layers 1000"}) {
    Result r = run("create-model --tokenizer " + tok + " --output_dir " + dir + "/m " + sizes);
    EXPECT_EQ(r.code, 1) << sizes << "\n" << r.out;
    EXPECT_TRUE(has(r.out, "[export]") || has(r.out, "[io]")) << r.out;
    EXPECT_FALSE(stdfs::exists(dir + "/m"));
    EXPECT_TRUE(hidden_temp_entries(dir).empty()) << sizes;
  }
  stdfs::remove_all(dir);
}

// ---- 3. a model file that is a FIFO never blocks ----------------------------------------------

TEST(HostileCli, FifoModelFilesFailFast) {
  const std::string dir = temp_dir("fifo");
  for (const char* name : {"config.json", "model.safetensors"}) {
    const std::string m = copy_of(kHf + "llama", dir + "/m_" + name);
    stdfs::remove(m + "/" + name);
    ASSERT_EQ(::mkfifo((m + "/" + name).c_str(), 0644), 0);
    const auto t0 = std::chrono::steady_clock::now();
    Result r = run("inspect --model " + m, "", 60);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.code, 1) << name << "\n" << r.out;
    EXPECT_TRUE(has(r.out, "FIFO")) << r.out;
    EXPECT_FALSE(has(r.out, "not found")) << r.out;
    EXPECT_LT(s, 30) << name;
  }
  stdfs::remove_all(dir);
}

// ---- 4. numeric paths: computed as transformers does, or refused --------------------------------

TEST(HostileCli, UnknownActivationIsRefused) {
  const std::string dir = temp_dir("act");
  const std::string m = copy_of(kHf + "llama", dir + "/m");
  auto cfg = json::parse(read_file(m + "/config.json"));
  cfg["hidden_act"] = "swiglu_oai_custom";
  write_file(m + "/config.json", cfg.dump(2));
  Result r = run("inspect --model " + m);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "hidden_act 'swiglu_oai_custom'")) << r.out;
  cfg["hidden_act"] = "gelu_new";  // implemented: accepted
  write_file(m + "/config.json", cfg.dump(2));
  r = run("inspect --model " + m);
  EXPECT_EQ(r.code, 0) << r.out;
  stdfs::remove_all(dir);
}

TEST(HostileCli, BrokenAdaptersAreRefused) {
  const std::string dir = temp_dir("adapters");
  // r contradicting the tensors.
  std::string ckpt = adapter_copy(dir, "rank");
  auto cfg = json::parse(read_file(ckpt + "/adapter_config.json"));
  cfg["r"] = cfg.value("r", 8) * 2;
  cfg.erase("rank_pattern");
  write_file(ckpt + "/adapter_config.json", cfg.dump(2));
  Result r = run("merge-lora --adapters " + ckpt);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "rank")) << r.out;

  // Integer tensors (same byte size as F32).
  ckpt = adapter_copy(dir, "ints");
  edit_safetensors_header(ckpt + "/adapter_model.safetensors", [](json& h) {
    for (auto it = h.begin(); it != h.end(); ++it)
      if (it.key() != "__metadata__" && it.value()["dtype"] == "F32") it.value()["dtype"] = "I32";
  });
  r = run("merge-lora --adapters " + ckpt);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "I32")) << r.out;

  // NaN weights: every byte 0xFF is a NaN in F32.
  ckpt = adapter_copy(dir, "nan");
  {
    const std::string path = ckpt + "/adapter_model.safetensors";
    std::string bytes = read_file(path);
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
      n |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
    for (std::size_t i = 8 + n; i < bytes.size(); ++i) bytes[i] = '\xFF';
    write_file(path, bytes);
  }
  r = run("merge-lora --adapters " + ckpt);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "NaN")) << r.out;

  // A field of the wrong type names the file and the field.
  ckpt = adapter_copy(dir, "field");
  cfg = json::parse(read_file(ckpt + "/adapter_config.json"));
  cfg["lora_alpha"] = "sixteen";
  write_file(ckpt + "/adapter_config.json", cfg.dump(2));
  r = run("merge-lora --adapters " + ckpt);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "'lora_alpha'") && has(r.out, "adapter_config.json")) << r.out;
  r = run("inspect --model " + kHf + "llama --adapters " + ckpt);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "'lora_alpha'")) << r.out;
  for (const auto& e : stdfs::directory_iterator(dir))
    EXPECT_FALSE(has(e.path().filename().string(), "-merged")) << e.path();
  stdfs::remove_all(dir);
}

struct E2e {
  std::string model, dataset, dir;
};

E2e e2e(const std::string& name) {
  E2e f;
  f.dir = temp_dir(name);
  f.model = swift::testing::e2e_model_dir("qwen3_e2e", "qwen3");
  if (f.model.empty()) return f;
  f.dataset = f.dir + "/rows.jsonl";
  write_file(f.dataset,
             "{\"messages\": [{\"role\": \"user\", \"content\": \"Hello there\"}]}\n"
             "{\"messages\": [{\"role\": \"user\", \"content\": \"Count to five\"}]}\n");
  return f;
}

TEST(HostileCli, TinyTemperatureActsAsGreedy) {
  E2e f = e2e("temperature");
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  auto responses = [&](const std::string& t) {
    const std::string out = f.dir + "/out_" + t + ".jsonl";
    Result r = run("infer --model " + f.model + " --val_dataset " + f.dataset +
                   " --max_new_tokens 12 --temperature " + t + " --result_path " + out);
    EXPECT_EQ(r.code, 0) << r.out;
    std::vector<std::string> v;
    for (const auto& row : swift::testing::read_jsonl(out)) v.push_back(row["response"]);
    return v;
  };
  const auto greedy = responses("0");
  ASSERT_EQ(greedy.size(), 2u);
  EXPECT_EQ(responses("1e-40"), greedy);
  EXPECT_EQ(responses("1e-300"), greedy);
  stdfs::remove_all(f.dir);
}

TEST(HostileCli, GenerationArgumentsAreChecked) {
  E2e f = e2e("genargs");
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  Result r = run("infer --model " + f.model + " --val_dataset " + f.dataset +
                 " --max_new_tokens 0 --result_path " + f.dir + "/o.jsonl");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "max_new_tokens")) << r.out;
  // float16 on the CPU: runs, or one clear line saying what to use instead.
  r = run("infer --model " + f.model + " --val_dataset " + f.dataset +
          " --max_new_tokens 4 --torch_dtype float16 --result_path " + f.dir + "/h.jsonl");
  if (r.code != 0) {
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_TRUE(has(r.out, "float16") && has(r.out, "bfloat16")) << r.out;
  }
  // A huge #N is refused before any row is copied.
  const auto t0 = std::chrono::steady_clock::now();
  r = run("infer --model " + f.model + " --val_dataset " + f.dataset +
          "#100000000000 --max_new_tokens 2 --result_path " + f.dir + "/n.jsonl");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(has(r.out, "#100000000000")) << r.out;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 60);
  stdfs::remove_all(f.dir);
}

TEST(HostileCli, InteractiveSessionSurvivesAnOverlongTurn) {
  E2e f = e2e("interactive");
  if (f.model.empty()) GTEST_SKIP() << "tokenizer test asset missing";
  std::string longturn;
  for (int i = 0; i < 400; ++i) longturn += "word ";
  write_file(f.dir + "/stdin.txt", "Hello\n" + longturn + "\nHello again\nexit\n");
  const std::string log = f.dir + "/turns.jsonl";
  Result r = swift::testing::run_command(
      "timeout -s KILL 300 " + std::string(SWIFT_BIN) + " infer --model " + f.model +
      " --max_model_len 128 --max_new_tokens 4 --temperature 0 --stream false --result_path " +
      log + " < " + f.dir + "/stdin.txt 2>&1");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r.out, "max_model_len")) << r.out;
  EXPECT_TRUE(has(r.out, "history")) << r.out;
  const auto turns = swift::testing::read_jsonl(log);
  ASSERT_EQ(turns.size(), 2u) << r.out;
  // The second saved turn still carries the first one as history.
  EXPECT_EQ(turns[1]["messages"].size(), 4u) << turns[1].dump();
  stdfs::remove_all(f.dir);
}

// ---- 3. expansion bombs in config files, through the command line ------------------------------

TEST(HostileCli, YamlAliasBombFailsFast) {
  const std::string dir = temp_dir("yaml");
  std::string y = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  const std::string names = "abcdefghijk";
  for (std::size_t i = 1; i < names.size(); ++i) {
    y += names.substr(i, 1) + ": &" + names.substr(i, 1) + " [";
    for (int k = 0; k < 8; ++k) y += std::string(k ? "," : "") + "*" + names.substr(i - 1, 1);
    y += "]\n";
  }
  write_file(dir + "/bomb.yaml", y);
  const auto t0 = std::chrono::steady_clock::now();
  Result r = run("sft " + dir + "/bomb.yaml --show_args", "", 60);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(has(r.out, "expands to more than")) << r.out;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20);
  stdfs::remove_all(dir);
}

}  // namespace

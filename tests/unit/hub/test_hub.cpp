// Model resolution and hub downloads against a fake hub on 127.0.0.1: cache hits make no
// request, misses fill the huggingface_hub / ModelScope cache layouts, broken transfers resume
// with Range requests, corrupt files never enter the cache, and errors say what to do.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/test_util.h"
#include "core/error.h"
#include "core/fs.h"
#include "fake_hub.h"
#include "hub/hub.h"

namespace swift::hub {
namespace {

namespace stdfs = std::filesystem;
using testing::FakeFile;
using testing::FakeHub;
using testing::FakeRepo;
using testing::sha256_hex;

const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string slurp(const std::string& p) {
  return fs::read_file(p);
}

void write(const std::string& p, const std::string& data) {
  stdfs::create_directories(stdfs::path(p).parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

FakeRepo tiny_repo() {
  FakeRepo r;
  r.commit = kCommit;
  r.files["config.json"] = FakeFile{"{\"model_type\":\"qwen2\"}", false, ""};
  r.files["tokenizer.json"] = FakeFile{"{\"model\":{}}", false, ""};
  r.files["model.safetensors"] = FakeFile{random_bytes(20000, 1), true, ""};
  r.files["sub/notes.txt"] = FakeFile{"nested file", false, ""};
  r.files["model.gguf"] = FakeFile{"ignored by default", true, ""};
  return r;
}

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = stdfs::temp_directory_path() /
            ("swift_hub_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(root_);
    stdfs::create_directories(root_);
    hf_cache_ = (root_ / "hf").string();
    ms_cache_ = (root_ / "ms").string();
    // Anything that falls back to the environment stays inside the temp folder.
    ::setenv("HF_HUB_CACHE", hf_cache_.c_str(), 1);
    ::setenv("MODELSCOPE_CACHE", ms_cache_.c_str(), 1);
    ::setenv("HF_HOME", (root_ / "hf_home").c_str(), 1);
    for (const char* v :
         {"USE_HF", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_ENDPOINT", "MODELSCOPE_ENDPOINT",
          "MODELSCOPE_DOMAIN", "HF_TOKEN", "MODELSCOPE_API_TOKEN", "HUGGINGFACE_HUB_CACHE"})
      ::unsetenv(v);
  }
  void TearDown() override { stdfs::remove_all(root_); }

  HubOptions options(bool use_hf) const {
    HubOptions o;
    o.use_hf = use_hf;
    o.hf_endpoint = hub_.base_url();
    o.ms_endpoint = hub_.base_url();
    o.hf_cache_dir = hf_cache_;
    o.ms_cache_dir = ms_cache_;
    o.progress = false;
    o.retry_base_delay_s = 0.01;
    return o;
  }

  std::string hf_snapshot(const std::string& folder) const {
    return hf_cache_ + "/" + folder + "/snapshots/" + kCommit;
  }

  FakeHub hub_;
  stdfs::path root_;
  std::string hf_cache_, ms_cache_;
};

using swift::testing::expect_error;

TEST_F(HubTest, LocalFolderIsTakenAsIs) {
  auto dir = (root_ / "my_model").string();
  stdfs::create_directories(dir);
  EXPECT_EQ(resolve_model_dir(dir, options(true)), dir);
  EXPECT_EQ(hub_.request_count(), 0);
  write((root_ / "file.bin").string(), "x");
  expect_error([&] { resolve_model_dir((root_ / "file.bin").string(), options(true)); },
               {"is a file"});
  expect_error([&] { resolve_model_dir("/definitely/not/here", options(true)); },
               {"does not exist"});
}

TEST_F(HubTest, HfCacheHitMakesNoRequest) {
  std::string repo = hf_cache_ + "/models--org--cached";
  write(repo + "/refs/main", kCommit);
  write(repo + "/blobs/aaa", "{}");
  write(repo + "/blobs/bbb", "weights");
  std::string snap = repo + "/snapshots/" + kCommit;
  stdfs::create_directories(snap);
  stdfs::create_symlink("../../blobs/aaa", snap + "/config.json");
  stdfs::create_symlink("../../blobs/bbb", snap + "/model.safetensors");
  for (bool use_hf : {true, false}) {
    EXPECT_EQ(resolve_model_dir("org/cached", options(use_hf)), snap);
  }
  EXPECT_EQ(hub_.request_count(), 0);
}

TEST_F(HubTest, MsCacheHitMakesNoRequest) {
  // modelscope stores "tiny.v1" as "tiny___v1".
  std::string dir = ms_cache_ + "/models/org/tiny___v1";
  write(dir + "/config.json", "{}");
  write(dir + "/model.safetensors.index.json",
        R"({"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors"}})");
  write(dir + "/model-1.safetensors", "1");
  write(dir + "/model-2.safetensors", "2");
  EXPECT_EQ(resolve_model_dir("org/tiny.v1", options(false)), dir);
  EXPECT_EQ(hub_.request_count(), 0);
}

TEST_F(HubTest, IncompleteSnapshotIsNotAHit) {
  std::string dir = (root_ / "partial").string();
  write(dir + "/config.json", "{}");
  EXPECT_FALSE(is_complete_snapshot(dir));
  EXPECT_TRUE(is_complete_snapshot(dir, /*need_weights=*/false));
  write(dir + "/model.safetensors.index.json",
        R"({"weight_map":{"a":"model-1.safetensors","b":"model-2.safetensors"}})");
  write(dir + "/model-1.safetensors", "1");
  EXPECT_FALSE(is_complete_snapshot(dir));
  write(dir + "/model-2.safetensors", "2");
  EXPECT_TRUE(is_complete_snapshot(dir));
  write(dir + "/model.safetensors.index.json", R"({"weight_map":{"a":"../escape.safetensors"}})");
  EXPECT_FALSE(is_complete_snapshot(dir));
}

TEST_F(HubTest, HfMissDownloadsIntoHuggingfaceHubLayout) {
  auto repo = tiny_repo();
  hub_.add_hf_repo("org/tiny", repo);
  auto o = options(true);
  auto o_token = o;
  o_token.token = "secret";
  std::string snap = resolve_model_dir("org/tiny", o_token);
  EXPECT_EQ(snap, hf_snapshot("models--org--tiny"));
  // 1 model-info call, then HEAD + GET per file (the .gguf is ignored as ms-swift does).
  EXPECT_EQ(hub_.request_count(), 1 + 2 * 4);
  for (const auto& r : hub_.log()) {
    // The token goes to the hub; libcurl keeps it from other hosts on redirects.
    EXPECT_EQ(r.authorization, "Bearer secret") << r.path;
  }
  for (const char* f : {"config.json", "tokenizer.json", "model.safetensors", "sub/notes.txt"}) {
    std::string p = snap + "/" + f;
    ASSERT_TRUE(stdfs::is_symlink(p)) << p;
    EXPECT_EQ(slurp(p), repo.files[f].content) << f;
    auto target = stdfs::read_symlink(p).string();
    EXPECT_EQ(target.rfind("../", 0), 0u) << "relative link expected: " << target;
    EXPECT_TRUE(fs::is_within(p, hf_cache_ + "/models--org--tiny/blobs"));
  }
  // LFS blobs are named by their SHA-256 (X-Linked-Etag), not the CDN's ETag.
  std::string lfs_blob =
      hf_cache_ + "/models--org--tiny/blobs/" + sha256_hex(repo.files["model.safetensors"].content);
  EXPECT_TRUE(stdfs::is_regular_file(lfs_blob));
  EXPECT_EQ(stdfs::read_symlink(snap + "/sub/notes.txt").string().substr(0, 9), "../../../");
  EXPECT_FALSE(stdfs::exists(snap + "/model.gguf"));
  EXPECT_EQ(slurp(hf_cache_ + "/models--org--tiny/refs/main"), kCommit);

  int before = hub_.request_count();
  EXPECT_EQ(resolve_model_dir("org/tiny", o), snap);
  EXPECT_EQ(hub_.request_count(), before);
  // Pinned to the commit itself: still a hit.
  o.revision = kCommit;
  EXPECT_EQ(resolve_model_dir("org/tiny", o), snap);
  EXPECT_EQ(hub_.request_count(), before);
}

TEST_F(HubTest, TokenStaysOnTheHubNotTheCdn) {
  hub_.add_hf_repo("org/tiny", tiny_repo());
  hub_.set_cdn_host("localhost");
  auto o = options(true);
  o.token = "secret";
  std::string snap = resolve_model_dir("org/tiny", o);
  EXPECT_TRUE(is_complete_snapshot(snap));
  int cdn = 0;
  for (const auto& r : hub_.log()) {
    bool is_cdn = r.path.rfind("/cdn/", 0) == 0;
    cdn += is_cdn;
    EXPECT_EQ(r.authorization, is_cdn ? "" : "Bearer secret") << r.path;
  }
  EXPECT_EQ(cdn, 1);
}

TEST_F(HubTest, RenamedRepoFollowsRelativeRedirects) {
  auto repo = tiny_repo();
  hub_.add_hf_repo("org/new-name", repo);
  hub_.add_rename("org/old-name", "org/new-name");
  std::string snap = resolve_model_dir("org/old-name", options(true));
  // Stored under the id the user asked for, as huggingface_hub does.
  EXPECT_EQ(snap, hf_snapshot("models--org--old-name"));
  EXPECT_EQ(slurp(snap + "/model.safetensors"), repo.files["model.safetensors"].content);
}

TEST_F(HubTest, ConfigOnlyThenWeightsFetchesOnlyWhatIsMissing) {
  auto repo = tiny_repo();
  hub_.add_hf_repo("org/tiny", repo);
  auto o = options(true);
  o.download_weights = false;
  std::string snap = resolve_model_dir("org/tiny", o);
  EXPECT_TRUE(stdfs::exists(snap + "/config.json"));
  EXPECT_FALSE(stdfs::exists(snap + "/model.safetensors"));
  EXPECT_EQ(hub_.request_count(), 1 + 2 * 3);
  EXPECT_EQ(resolve_model_dir("org/tiny", o), snap);  // a config-only hit
  EXPECT_EQ(hub_.request_count(), 1 + 2 * 3);
  // The full model: the file list again, then HEAD + GET for the one missing file.
  EXPECT_EQ(resolve_model_dir("org/tiny", options(true)), snap);
  EXPECT_EQ(slurp(snap + "/model.safetensors"), repo.files["model.safetensors"].content);
  EXPECT_EQ(hub_.request_count(), 1 + 2 * 3 + 1 + 2);
}

TEST_F(HubTest, SubfolderSyntaxFetchesOnlyThatFolder) {
  FakeRepo repo;
  repo.commit = kCommit;
  repo.files["config.json"] = FakeFile{"{}", false, ""};
  repo.files["model.safetensors"] = FakeFile{random_bytes(3000, 7), true, ""};
  repo.files["draft/config.json"] = FakeFile{"{\"draft\":true}", false, ""};
  repo.files["draft/model.safetensors"] = FakeFile{random_bytes(1000, 8), true, ""};
  hub_.add_hf_repo("org/multi", repo);
  std::string dir = resolve_model_dir("org/multi:draft", options(true));
  EXPECT_EQ(dir, hf_snapshot("models--org--multi") + "/draft");
  EXPECT_EQ(slurp(dir + "/config.json"), "{\"draft\":true}");
  EXPECT_FALSE(stdfs::exists(hf_snapshot("models--org--multi") + "/model.safetensors"));
  EXPECT_EQ(hub_.request_count(), 1 + 2 * 2);
  EXPECT_EQ(resolve_model_dir("org/multi:draft/", options(true)), dir);
  EXPECT_EQ(hub_.request_count(), 1 + 2 * 2);

  hub_.add_ms_repo("org/multi2", repo);
  std::string ms_dir = resolve_model_dir("org/multi2:draft", options(false));
  EXPECT_EQ(ms_dir, ms_cache_ + "/models/org/multi2/draft");
  EXPECT_FALSE(stdfs::exists(ms_cache_ + "/models/org/multi2/model.safetensors"));
  EXPECT_EQ(slurp(ms_dir + "/model.safetensors"), repo.files["draft/model.safetensors"].content);
}

TEST_F(HubTest, HfBrokenTransferResumesWithRange) {
  auto repo = tiny_repo();
  const std::string& weights = repo.files["model.safetensors"].content;
  hub_.add_hf_repo("org/tiny", repo);
  hub_.cut_downloads("model.safetensors", 1);
  std::string snap = resolve_model_dir("org/tiny", options(true));
  EXPECT_EQ(slurp(snap + "/model.safetensors"), weights);
  std::vector<std::string> ranges;
  for (const auto& r : hub_.log())
    if (r.path.find("/cdn/") == 0) ranges.push_back(r.range);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=" + std::to_string(weights.size() / 2) + "-");
  for (const auto& e : stdfs::recursive_directory_iterator(hf_cache_))
    EXPECT_NE(e.path().extension(), ".incomplete") << "leftover " << e.path();
}

TEST_F(HubTest, InterruptedRunResumesFromIncompleteFile) {
  auto repo = tiny_repo();
  const std::string& weights = repo.files["model.safetensors"].content;
  hub_.add_hf_repo("org/tiny", repo);
  // A previous run died after 5000 bytes.
  std::string blob = hf_cache_ + "/models--org--tiny/blobs/" + sha256_hex(weights);
  write(blob + ".incomplete", weights.substr(0, 5000));
  auto o = options(true);
  o.max_workers = 1;  // one file at a time, with a bar per file
  o.progress = true;
  std::string snap = resolve_model_dir("org/tiny", o);
  EXPECT_EQ(slurp(snap + "/model.safetensors"), weights);
  bool resumed = false;
  for (const auto& r : hub_.log()) resumed |= r.range == "bytes=5000-";
  EXPECT_TRUE(resumed);
  EXPECT_FALSE(stdfs::exists(blob + ".incomplete"));
}

TEST_F(HubTest, ServerIgnoringRangeRestartsFromZero) {
  auto repo = tiny_repo();
  const std::string& weights = repo.files["model.safetensors"].content;
  hub_.add_hf_repo("org/tiny", repo);
  hub_.set_ignore_range(true);
  std::string blob = hf_cache_ + "/models--org--tiny/blobs/" + sha256_hex(weights);
  write(blob + ".incomplete", std::string(5000, 'x'));  // not even a prefix of the file
  std::string snap = resolve_model_dir("org/tiny", options(true));
  EXPECT_EQ(slurp(snap + "/model.safetensors"), weights);
  int cdn_gets = 0;
  for (const auto& r : hub_.log()) cdn_gets += r.path.rfind("/cdn/", 0) == 0;
  EXPECT_EQ(cdn_gets, 1);  // the 200 body replaced the partial file in the same request
}

TEST_F(HubTest, ChecksumMismatchNeverEntersTheCache) {
  auto repo = tiny_repo();
  std::string wrong(64, 'e');
  repo.files["model.safetensors"].claimed_sha256 = wrong;
  hub_.add_hf_repo("org/tiny", repo);
  expect_error([&] { resolve_model_dir("org/tiny", options(true)); },
               {"org/tiny", "model.safetensors", "SHA-256", "not added to the cache"});
  std::string folder = hf_cache_ + "/models--org--tiny";
  EXPECT_FALSE(stdfs::exists(folder + "/blobs/" + wrong));
  EXPECT_FALSE(stdfs::exists(folder + "/blobs/" + wrong + ".incomplete"));
  EXPECT_FALSE(stdfs::exists(
      stdfs::symlink_status(hf_snapshot("models--org--tiny") + "/model.safetensors")));
  EXPECT_FALSE(stdfs::exists(folder + "/refs/main"));
}

TEST_F(HubTest, NotFoundSaysWhatToDo) {
  expect_error([&] { resolve_model_dir("org/missing", options(true)); },
               {"org/missing", "not found on Hugging Face", "/api/models/org/missing", "--model"});
  expect_error([&] { resolve_model_dir("org/missing", options(false)); },
               {"org/missing", "not found on ModelScope", "--use_hf true"});
  expect_error([&] { resolve_model_dir("org/wrapped-error", options(false)); },
               {"org/wrapped-error", "10010205001", "no permission", "--use_hf true"});
}

TEST_F(HubTest, AuthErrorsNameTheTokenVariable) {
  hub_.add_hf_repo("org/tiny", tiny_repo());
  hub_.fail_requests("/api/models/org/tiny", 401, 1);
  expect_error([&] { resolve_model_dir("org/tiny", options(true)); }, {"org/tiny", "HF_TOKEN"});
  hub_.add_ms_repo("org/tiny", tiny_repo());
  hub_.fail_requests("/api/v1/models/org/tiny", 403, 1);
  expect_error([&] { resolve_model_dir("org/tiny", options(false)); },
               {"org/tiny", "MODELSCOPE_API_TOKEN"});
}

TEST_F(HubTest, ServerErrorsAreRetriedClientErrorsAreNot) {
  hub_.add_hf_repo("org/tiny", tiny_repo());
  hub_.fail_requests("/api/models/org/tiny", 503, 2);
  std::string snap = resolve_model_dir("org/tiny", options(true));
  EXPECT_TRUE(is_complete_snapshot(snap));
  EXPECT_EQ(hub_.request_count(), 3 + 2 * 4);

  hub_.add_hf_repo("org/other", tiny_repo());
  hub_.fail_requests("/api/models/org/other", 400, 5);
  int before = hub_.request_count();
  expect_error([&] { resolve_model_dir("org/other", options(true)); }, {"HTTP 400"});
  EXPECT_EQ(hub_.request_count(), before + 1);

  hub_.add_hf_repo("org/down", tiny_repo());
  hub_.fail_requests("/api/models/org/down", 500, 100);
  auto o = options(true);
  o.max_retries = 2;
  before = hub_.request_count();
  expect_error([&] { resolve_model_dir("org/down", o); }, {"HTTP 500"});
  EXPECT_EQ(hub_.request_count(), before + 3);
}

TEST_F(HubTest, OfflineMissFailsWithoutNetwork) {
  hub_.add_hf_repo("org/tiny", tiny_repo());
  auto o = options(true);
  o.offline = true;
  expect_error([&] { resolve_model_dir("org/tiny", o); }, {"org/tiny", "not cached", "offline"});
  o.use_hf = false;
  expect_error([&] { resolve_model_dir("org/tiny", o); }, {"not cached", "offline"});
  EXPECT_EQ(hub_.request_count(), 0);
}

TEST_F(HubTest, ModelScopeDownload) {
  auto repo = tiny_repo();
  hub_.add_ms_repo("org/tiny.v1", repo);
  hub_.cut_downloads("model.safetensors", 1);
  auto o = options(false);
  o.token = "ms-secret";
  o.progress = true;  // exercises the per-file bars (stderr)
  std::string dir = resolve_model_dir("org/tiny.v1", o);
  EXPECT_EQ(dir, ms_cache_ + "/models/org/tiny___v1");
  for (const char* f : {"config.json", "tokenizer.json", "model.safetensors", "sub/notes.txt"}) {
    EXPECT_TRUE(stdfs::is_regular_file(dir + "/" + f)) << f;
    EXPECT_EQ(slurp(dir + "/" + f), repo.files[f].content) << f;
  }
  EXPECT_FALSE(stdfs::exists(dir + "/model.gguf"));
  EXPECT_FALSE(stdfs::exists(dir + "/.gitattributes"));
  bool resumed = false;
  for (const auto& r : hub_.log()) {
    resumed |= !r.range.empty();
    EXPECT_EQ(r.cookie, "m_session_id=ms-secret");
  }
  EXPECT_TRUE(resumed);
  int before = hub_.request_count();
  EXPECT_EQ(resolve_model_dir("org/tiny.v1", options(false)), dir);
  EXPECT_EQ(hub_.request_count(), before);
}

TEST_F(HubTest, ModelScopeChecksumMismatch) {
  auto repo = tiny_repo();
  repo.files["model.safetensors"].claimed_sha256 = std::string(64, 'a');
  hub_.add_ms_repo("org/bad", repo);
  expect_error([&] { resolve_model_dir("org/bad", options(false)); },
               {"org/bad", "model.safetensors", "SHA-256"});
  EXPECT_FALSE(stdfs::exists(ms_cache_ + "/models/org/bad/model.safetensors"));
  EXPECT_FALSE(is_complete_snapshot(ms_cache_ + "/models/org/bad"));
}

TEST_F(HubTest, BadIdsAreRejected) {
  for (const char* id : {"../x", "/abs", "a/b/c", "org/..", "org/.hidden", "org/na me", "org/a..b",
                         "justname", "org/", "org/x:../y", "org/x:", "org/x:/abs"}) {
    EXPECT_THROW(resolve_model_dir(id, options(true)), Error) << id;
    EXPECT_THROW(resolve_model_dir(id, options(false)), Error) << id;
  }
  EXPECT_THROW(resolve_model_dir("org/a--b", options(true)), Error);
  EXPECT_EQ(hub_.request_count(), 0);
  EXPECT_NO_THROW(validate_model_id("Qwen/Qwen2.5-0.5B-Instruct"));
  EXPECT_NO_THROW(validate_model_id("LLM-Research/Meta-Llama-3_1-8B"));
}

TEST_F(HubTest, UnsafeFileNamesFromTheHubAreRefused) {
  auto repo = tiny_repo();
  repo.files["../../evil.json"] = FakeFile{"x", false, ""};
  hub_.add_ms_repo("org/evil", repo);
  expect_error([&] { resolve_model_dir("org/evil", options(false)); }, {"unsafe file name"});
  EXPECT_FALSE(stdfs::exists(ms_cache_ + "/evil.json"));
  EXPECT_FALSE(stdfs::exists(ms_cache_ + "/models/evil.json"));
}

TEST_F(HubTest, OptionsFromEnvironment) {
  auto o = hub_options_from_env(false, std::nullopt);
  EXPECT_FALSE(o.use_hf);
  EXPECT_FALSE(o.offline);
  EXPECT_EQ(o.hf_endpoint, "https://huggingface.co");
  EXPECT_EQ(o.ms_endpoint, "https://www.modelscope.cn");
  EXPECT_EQ(o.hf_cache_dir, hf_cache_);
  EXPECT_EQ(o.ms_cache_dir, ms_cache_);

  ::setenv("USE_HF", "True", 1);
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  ::setenv("HF_ENDPOINT", "https://hf-mirror.com/", 1);
  ::setenv("MODELSCOPE_DOMAIN", "www.modelscope.ai", 1);
  ::setenv("HF_TOKEN", "hf_abc", 1);
  ::setenv("MODELSCOPE_API_TOKEN", "ms_abc", 1);
  o = hub_options_from_env(false, std::string("v1"));
  EXPECT_TRUE(o.use_hf);
  EXPECT_TRUE(o.offline);
  EXPECT_EQ(o.hf_endpoint, "https://hf-mirror.com");
  EXPECT_EQ(o.ms_endpoint, "https://www.modelscope.ai");
  EXPECT_EQ(o.token, "hf_abc");
  EXPECT_EQ(o.revision.value_or(""), "v1");

  ::setenv("USE_HF", "0", 1);
  ::unsetenv("HF_HUB_OFFLINE");
  ::setenv("TRANSFORMERS_OFFLINE", "yes", 1);
  ::setenv("MODELSCOPE_ENDPOINT", "http://127.0.0.1:9", 1);
  o = hub_options_from_env(false, std::nullopt);
  EXPECT_FALSE(o.use_hf);
  EXPECT_TRUE(o.offline);
  EXPECT_EQ(o.ms_endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(o.token, "ms_abc");
  EXPECT_TRUE(hub_options_from_env(true, std::nullopt).use_hf);

  ::unsetenv("HF_HUB_CACHE");
  ::unsetenv("MODELSCOPE_CACHE");
  ::setenv("HF_HOME", "/tmp/somewhere", 1);
  EXPECT_EQ(default_hf_cache_dir(), "/tmp/somewhere/hub");
  EXPECT_EQ(default_ms_cache_dir(), fs::home_dir() + "/.cache/modelscope/hub");
}

TEST(ModelSuffix, LastPathComponent) {
  EXPECT_EQ(model_suffix("Qwen/Qwen2.5-7B-Instruct"), "Qwen2.5-7B-Instruct");
  EXPECT_EQ(model_suffix("/data/models/llama/"), "llama");
  EXPECT_EQ(model_suffix("gpt2"), "gpt2");
}

}  // namespace
}  // namespace swift::hub

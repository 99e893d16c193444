// Reliability check 17: model folders, single-file and sharded through
// model.safetensors.index.json, including hostile indexes (path escapes, symlinks, missing or
// inconsistent shards). Nothing outside the folder may be opened.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/fs.h"
#include "io/safetensors.h"
#include "io_test_util.h"

namespace swift::io {
namespace {

const float kVals[4] = {1, 2, 3, 4};

void shard(const std::string& path, const std::vector<std::string>& names) {
  std::vector<TensorBytes> ts;
  for (const auto& n : names) ts.push_back({n, DType::kF32, {2}, kVals, 8});
  write_safetensors(path, ts);
}

// Folder with two good shards; tests then overwrite the index with a crafted one.
struct Sharded {
  TempDir root;  // holds "model/" and files "outside" it
  std::string dir;
  Sharded() {
    dir = root.file("model");
    std::filesystem::create_directories(dir);
    shard(fs::join(dir, "model-00001-of-00002.safetensors"), {"a", "b"});
    shard(fs::join(dir, "model-00002-of-00002.safetensors"), {"c"});
  }
  void index(const std::string& weight_map) const {
    fs::write_file_atomic(fs::join(dir, "model.safetensors.index.json"),
                          R"({"metadata":{"total_size":24},"weight_map":)" + weight_map + "}");
  }
  void expect_reject(const std::string& phrase) const {
    try {
      SafetensorsModel m(dir);
      ADD_FAILURE() << "accepted, expected \"" << phrase << "\"";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    }
  }
};

const std::string kS1 = "\"model-00001-of-00002.safetensors\"";
const std::string kS2 = "\"model-00002-of-00002.safetensors\"";

TEST(SafetensorsModel, SingleFile) {
  TempDir d;
  shard(d.file("model.safetensors"), {"y", "x"});
  SafetensorsModel m(d.path());
  EXPECT_EQ(m.names(), (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(m.files().size(), 1u);
  const auto* r = m.find("x");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->info->name, "x");
  EXPECT_EQ(std::memcmp(r->file->data(*r->info), kVals, 8), 0);
  EXPECT_EQ(m.find("z"), nullptr);
}

TEST(SafetensorsModel, OtherStemRealFile) {
  TempDir d;
  std::filesystem::copy_file(
      std::string(SWIFT_SOURCE_DIR) + "/tests/data/io/llama_adapter_model.safetensors",
      d.file("adapter_model.safetensors"));
  SafetensorsModel m(d.path(), "adapter_model");
  EXPECT_EQ(m.names().size(), 28u);
}

TEST(SafetensorsModel, NoWeights) {
  TempDir d;
  try {
    SafetensorsModel m(d.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no model.safetensors"), std::string::npos);
  }
  EXPECT_THROW(SafetensorsModel m(d.file("nope")), Error);
}

TEST(SafetensorsModel, ShardedOk) {
  Sharded s;
  s.index("{\"a\":" + kS1 + ",\"b\":" + kS1 + ",\"c\":" + kS2 + "}");
  SafetensorsModel m(s.dir);
  EXPECT_EQ(m.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(m.files().size(), 2u);
  EXPECT_NE(m.find("c")->file->path().find("00002"), std::string::npos);
}

TEST(SafetensorsModel, IndexShape) {
  Sharded s;
  fs::write_file_atomic(fs::join(s.dir, "model.safetensors.index.json"), "{\"weight_map\":");
  s.expect_reject("index is not valid JSON");
  fs::write_file_atomic(fs::join(s.dir, "model.safetensors.index.json"), "[]");
  s.expect_reject("no \"weight_map\" object");
  s.index("[]");
  s.expect_reject("no \"weight_map\" object");
  s.index("{\"a\":1}");
  s.expect_reject("weight_map value for \"a\" is not a string");
  s.index("{\"a\":" + kS1 + ",\"a\":" + kS2 + "}");
  s.expect_reject("duplicate key \"a\"");
  s.index("{}");
  s.expect_reject("weight_map is empty");
  s.index("{\"a\":\"\"}");
  s.expect_reject("empty shard file name");
}

TEST(SafetensorsModel, PathEscapes) {
  Sharded s;
  // A valid shard outside the folder: loading it would "work", so rejection proves the check.
  shard(s.root.file("outside.safetensors"), {"a", "b", "c"});
  const std::string all = R"({"a":X,"b":X,"c":X})";
  auto with = [&](const std::string& p) {
    std::string w = all;
    for (std::size_t i; (i = w.find('X')) != std::string::npos;) w.replace(i, 1, "\"" + p + "\"");
    return w;
  };
  s.index(with("../outside.safetensors"));
  s.expect_reject("contains \"..\"");
  s.index(with("sub/../../outside.safetensors"));
  s.expect_reject("contains \"..\"");
  s.index(with(s.root.file("outside.safetensors")));
  s.expect_reject("is absolute");
  std::filesystem::create_symlink(s.root.file("outside.safetensors"),
                                  fs::join(s.dir, "link.safetensors"));
  s.index(with("link.safetensors"));
  s.expect_reject("resolves outside the model folder");
  // A symlinked folder escaping too.
  std::filesystem::create_symlink(s.root.path(), fs::join(s.dir, "up"));
  s.index(with("up/outside.safetensors"));
  s.expect_reject("resolves outside the model folder");
  // A symlink that stays inside is fine.
  std::filesystem::create_symlink("model-00002-of-00002.safetensors",
                                  fs::join(s.dir, "alias.safetensors"));
  s.index("{\"a\":" + kS1 + ",\"b\":" + kS1 + ",\"c\":\"alias.safetensors\"}");
  EXPECT_NO_THROW(SafetensorsModel m(s.dir));
}

TEST(SafetensorsModel, SymlinkedSingleFileAndIndex) {
  TempDir d;
  std::string dir = d.file("m");
  std::filesystem::create_directories(dir);
  shard(d.file("outside.safetensors"), {"a"});
  std::filesystem::create_symlink(d.file("outside.safetensors"),
                                  fs::join(dir, "model.safetensors"));
  try {
    SafetensorsModel m(dir);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("resolves outside"), std::string::npos) << e.what();
  }
}

// Hub cache snapshots hold symlinks into the repository's blobs/ folder: these must load.
TEST(SafetensorsModel, HubCacheLayout) {
  TempDir d;
  std::string repo = d.file("models--org--name");
  std::filesystem::create_directories(repo + "/blobs");
  std::filesystem::create_directories(repo + "/snapshots/abc123");
  shard(repo + "/blobs/0123abcd", {"w"});
  std::filesystem::create_symlink("../../blobs/0123abcd",
                                  repo + "/snapshots/abc123/model.safetensors");
  SafetensorsModel m(repo + "/snapshots/abc123");
  EXPECT_EQ(m.names(), (std::vector<std::string>{"w"}));
}

TEST(SafetensorsModel, Consistency) {
  Sharded s;
  s.index("{\"a\":" + kS1 + ",\"b\":" + kS1 + ",\"c\":\"model-00003-of-00002.safetensors\"}");
  s.expect_reject("missing shard \"model-00003-of-00002.safetensors\"");
  s.index("{\"a\":" + kS1 + ",\"b\":" + kS1 + ",\"c\":" + kS2 + ",\"d\":" + kS2 + "}");
  s.expect_reject("tensor \"d\" is listed in the index for shard");
  s.index("{\"a\":" + kS1 + ",\"c\":" + kS2 + "}");
  s.expect_reject("tensor \"b\" in shard \"model-00001-of-00002.safetensors\" is not listed");
  // Same tensor in two shards.
  shard(fs::join(s.dir, "model-00002-of-00002.safetensors"), {"c", "a"});
  s.index("{\"a\":" + kS1 + ",\"b\":" + kS1 + ",\"c\":" + kS2 + "}");
  s.expect_reject("same tensor in two shards");
  // A corrupt shard is reported with its own file name.
  fs::write_file_atomic(fs::join(s.dir, "model-00002-of-00002.safetensors"), "garbage!!");
  s.expect_reject("model-00002-of-00002.safetensors: header too large");
}

}  // namespace
}  // namespace swift::io
